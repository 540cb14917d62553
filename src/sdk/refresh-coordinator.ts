// Race-proof refresh (issue #18 §1). Within a tab, refresh is single-flight: every caller that finds the access token
// expiring shares one promise. Across tabs it is a claim protocol over BroadcastChannel, without Web Locks (which
// have hung other SDKs): a tab that needs a refresh announces a claim on the refresh token it holds, waits a short
// window in which every other claim on the same token reaches it, and only the earliest claim (time, then tab id)
// presents the token; the others wait for the winner's `done` message and adopt the session it carries. A refresh
// token, once known to be presented by any tab, is never presented again: oidc-provider rotates it and a replay
// revokes the whole family (DESIGN.md), which is exactly how other SDKs log their users out.
// The window only saves requests; correctness does not rest on it. A tab whose messages arrive later than the window
// (a throttled or busy tab) cannot know that another tab presents the same token at the same time, so every
// presentation carries an Idempotency-Key named after the token (presentationKey): the API rotates the token once
// and answers each presentation with that one rotation's tokens.
import { TesseraError } from './client-error.js';
import type { Session } from './client-types.js';

/** how long every claim waits for the others' claims; one that arrives later costs a second request, not the session */
const claimWindowMs = 120;
/** how long a claim holds before another tab may conclude its owner vanished */
const leaseMs = 15_000;

type Message =
  | { t: 'claim'; fp: string; id: string; ts: number }
  | { t: 'done'; fp: string; session: Session }
  | { t: 'failed'; fp: string; spent: boolean }
  | { t: 'signed_in'; fp: string }
  | { t: 'signed_out'; fp: string };

type Outcome = { session: Session } | { failed: true; spent: boolean } | { timeout: true };

export interface CoordinatorDeps {
  channelName: string;
  /** the session as the shared storage has it now */
  readStored(): Promise<Session | null>;
  /** presents the refresh token of `held` to the API (once) */
  present(refreshToken: string, held: Session): Promise<Session>;
  /** another tab rotated the token this tab holds, or signed this session out */
  adopt(session: Session | null, event: 'TOKEN_REFRESHED' | 'SIGNED_OUT'): void;
  /** another tab signed in: the session whose refresh token has this fingerprint is in storage (or soon will be) */
  adoptStored(fp: string): void;
  /** the fingerprint of the refresh token this tab holds now, if any */
  currentFingerprint(): string | null;
}

/** a short, non-secret name for a refresh token (two 32-bit FNV-1a hashes): the channel never carries claims' tokens */
export function fingerprint(token: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ token.length;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return (a >>> 0).toString(36) + (b >>> 0).toString(36);
}

/**
 * the Idempotency-Key under which a refresh token is presented (four 32-bit hashes, 128 bits, of the token): every tab
 * that presents one token sends one key with one body, so the API rotates the token once and answers every
 * presentation with that rotation's answer (within the refresh token's reuse interval, 10 s by default) — two tabs whose claims crossed late both get the same successor
 */
export function presentationKey(token: string): string {
  const lanes = [[0x811c9dc5, 0x01000193], [0x01000193, 0x5bd1e995], [0x5bd1e995, 0x85ebca6b], [0x27d4eb2f, 0xc2b2ae35]] as const;
  return `rt-${lanes.map(([seed, factor]) => {
    let h = seed ^ token.length;
    for (let i = 0; i < token.length; i++) h = Math.imul(h ^ token.charCodeAt(i), factor) ^ (h >>> 15);
    return (h >>> 0).toString(36);
  }).join('.')}`;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const tabId = () => Math.random().toString(36).slice(2) + Date.now().toString(36);

export function createRefreshCoordinator(deps: CoordinatorDeps) {
  const id = tabId();
  const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(deps.channelName) : null;
  // Node: an open channel would keep a script's process alive until dispose()
  (channel as { unref?: () => void } | null)?.unref?.();
  /** the earliest claim seen per refresh-token fingerprint */
  const claims = new Map<string, { id: string; ts: number }>();
  /** fingerprints of tokens presented by any tab: never presented again */
  const spent = new Set<string>();
  /** what the tab that presented a token got for it, as that tab announced it */
  const results = new Map<string, Session>();
  const waiters = new Map<string, Set<(outcome: Outcome) => void>>();
  let inflight: Promise<Session> | null = null;
  let disposed = false;

  const earlier = (x: { id: string; ts: number }, y: { id: string; ts: number }) => x.ts < y.ts || (x.ts === y.ts && x.id < y.id);

  function consider(fp: string, claim: { id: string; ts: number }) {
    const best = claims.get(fp);
    if (!best || earlier(claim, best)) claims.set(fp, claim);
  }

  function settle(fp: string, outcome: Outcome) {
    const set = waiters.get(fp);
    waiters.delete(fp);
    set?.forEach((resolve) => resolve(outcome));
  }

  function remember(fp: string, session: Session) {
    if (results.size > 16) results.clear();
    results.set(fp, session);
  }

  function post(message: Message) {
    if (channel && !disposed) channel.postMessage(message);
  }

  if (channel) {
    channel.onmessage = (event: MessageEvent<Message>) => {
      const message = event.data;
      if (!message || typeof message !== 'object') return;
      if (message.t === 'claim') consider(message.fp, { id: message.id, ts: message.ts });
      else if (message.t === 'done') {
        spent.add(message.fp);
        remember(message.fp, message.session);
        claims.delete(message.fp);
        if (deps.currentFingerprint() === message.fp) deps.adopt(message.session, 'TOKEN_REFRESHED');
        settle(message.fp, { session: message.session });
      } else if (message.t === 'failed') {
        if (message.spent) spent.add(message.fp);
        claims.delete(message.fp);
        settle(message.fp, { failed: true, spent: message.spent });
      } else if (message.t === 'signed_in') deps.adoptStored(message.fp);
      // only the session that was signed out: clients of other users (a server's) may share the channel's name
      else if (message.t === 'signed_out' && deps.currentFingerprint() === message.fp) deps.adopt(null, 'SIGNED_OUT');
    };
  }

  function waitFor(fp: string, ms: number): Promise<Outcome> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        waiters.get(fp)?.delete(done);
        resolve({ timeout: true });
      }, ms);
      const done = (outcome: Outcome) => {
        clearTimeout(timer);
        resolve(outcome);
      };
      let set = waiters.get(fp);
      if (!set) waiters.set(fp, (set = new Set()));
      set.add(done);
    });
  }

  const lost = () => new TesseraError('sdk.session_lost', 'The session ended while it was being refreshed; sign in again.');

  /** the session as storage has it when another tab already rotated `held`, else null */
  async function rotatedElsewhere(held: Session): Promise<Session | null> {
    const stored = await deps.readStored();
    if (!stored) throw new TesseraError('sdk.not_signed_in', 'Signed out in another tab.');
    return stored.refresh_token !== held.refresh_token ? stored : null;
  }

  /** presents `held` once across tabs; `present` answering null kept the token unspent (a switch that needs a challenge) */
  async function run(held: Session, present: (refreshToken: string, held: Session) => Promise<Session | null>): Promise<Session | null> {
    const fp = fingerprint(held.refresh_token);
    for (;;) {
      if (disposed) throw new TesseraError('sdk.disposed', 'This client was disposed.');
      const known = results.get(fp) ?? (await rotatedElsewhere(held));
      if (known) return known;
      // presented by some tab, and its result is not here: presenting it again would revoke the family
      if (spent.has(fp)) throw lost();
      const other = claims.get(fp);
      if (other && other.id !== id) {
        const age = Date.now() - other.ts;
        // its owner vanished (a closed tab) perhaps after presenting it: the same reasoning
        if (age >= leaseMs) throw lost();
        await waitFor(fp, leaseMs - age + claimWindowMs);
        continue;
      }
      if (channel) {
        const mine = { id, ts: Date.now() };
        consider(fp, mine);
        post({ t: 'claim', fp, ...mine });
        await sleep(claimWindowMs);
        if (claims.get(fp)?.id !== id) continue;
        const late = await rotatedElsewhere(held);
        if (late) {
          claims.delete(fp);
          post({ t: 'failed', fp, spent: false });
          return late;
        }
      }
      spent.add(fp);
      try {
        const session = await present(held.refresh_token, held);
        if (!session) {
          spent.delete(fp);
          claims.delete(fp);
          post({ t: 'failed', fp, spent: false });
          settle(fp, { failed: true, spent: false });
          return null;
        }
        remember(fp, session);
        claims.delete(fp);
        post({ t: 'done', fp, session });
        settle(fp, { session });
        return session;
      } catch (error) {
        // no answer at all: the token may never have arrived, so it may be claimed again; any answer spent it
        const answered = !(error instanceof TesseraError && error.code === 'sdk.network_error');
        if (!answered) spent.delete(fp);
        claims.delete(fp);
        post({ t: 'failed', fp, spent: answered });
        settle(fp, { failed: true, spent: answered });
        throw error;
      }
    }
  }

  return {
    /** the one refresh of `held` across this tab and every other; callers at the same time share it */
    refresh(held: Session): Promise<Session> {
      if (!inflight) inflight = (run(held, deps.present) as Promise<Session>).finally(() => { inflight = null; });
      return inflight;
    },
    /**
     * presents the refresh token for something else than a refresh (an environment switch), after any refresh in
     * flight and under the same claim across tabs. Null when another tab had rotated it first (try again with the
     * stored session) or `present` kept it unspent.
     */
    async exchange(held: () => Session | null, present: (refreshToken: string, held: Session) => Promise<Session | null>): Promise<{ session: Session | null; presented: boolean }> {
      while (inflight) await inflight.catch(() => undefined);
      const current = held();
      if (!current) throw new TesseraError('sdk.not_signed_in', 'Sign in first.');
      let presented = false;
      const mine = run(current, (token, from) => { presented = true; return present(token, from); });
      // a refresh asked meanwhile waits for it and gets its session (or the one held, kept unspent)
      const shared: Promise<Session> = (inflight = mine.then((session) => session ?? current)
        .finally(() => { if (inflight === shared) inflight = null; }));
      shared.catch(() => undefined);
      return { session: await mine, presented };
    },
    announceSignedIn(session: Session) { post({ t: 'signed_in', fp: fingerprint(session.refresh_token) }); },
    announceSignedOut(session: Session) { post({ t: 'signed_out', fp: fingerprint(session.refresh_token) }); },
    dispose() {
      disposed = true;
      channel?.close();
      for (const fp of [...waiters.keys()]) settle(fp, { timeout: true });
    },
  };
}

export type RefreshCoordinator = ReturnType<typeof createRefreshCoordinator>;
