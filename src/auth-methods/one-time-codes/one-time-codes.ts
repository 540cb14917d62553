// One-time codes and sign-in links (issue #3): issue, resend, check, consume. Everything lives in the KvStore
// with TTLs, so any process can finish a challenge another one started.
//
// Per challenge `otc:{tenant}:{id}:` holds
//   rec   sealed (AES-GCM) flow record: identifier, purpose, data... written at issue and by update()
//   code  {gen, codeHash, linkHash, sentAt, expiresAt}: the current code, rewritten only by (re)issue
//   pv    {gen, channel, provider?, ref?}: how generation `gen` was delivered, when it matters: by another channel
//         than asked (WhatsApp fell back to SMS), or with the provider verifying the code (Twilio Verify)
//   n     attempts (INCR), shared by every generation: a resend never buys new guesses
//   end   'used' | 'locked', written with SET NX: whoever writes it first decides the challenge's fate
//   gen:G claim of the right to replace generation G (two concurrent resends make one new code, not two)
// and `otc-link:{tenant}:{linkHash}` points a link at its challenge. (What an accepted reset challenge grants, the
// new-password step, is a login transaction: password-reset/reset-permission.ts.)
// Codes and link tokens are kept only as HMAC-SHA256 under a key derived from `secret`: a plain hash
// of a 6-digit code falls to 10^6 guesses, and a token in the clear would be usable by anyone who can read Redis.
// The identifier (email/phone) and flow data are sealed, so a dump of Redis names nobody.
import { createHmac, hkdfSync, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { KvStore } from '../../store/kv-store.js';
import { createSealer } from '../../crypto/sealing.js';
import type { CodePurpose } from '../../notifications/email/email-templates.js';

export type ChallengeChannel = 'email' | 'sms' | 'whatsapp';

export interface Challenge {
  id: string; tenantId: string; purpose: CodePurpose; channel: ChallengeChannel;
  /** normalised email or E.164 phone */
  identifier: string;
  interactionUid: string | null;
  /** hash of the browser cookie that asked (magic links) */
  browserBinding: string | null;
  /** epoch ms */
  expiresAt: number;
  maxAttempts: number;
  /** epoch ms of the last (re)send */
  sentAt: number;
  providerVerification: { provider: string; ref: string } | null;
  /** the channel the current code actually went by, when it was not `channel` (WhatsApp fell back to SMS) */
  deliveredVia: ChallengeChannel | null;
  /** flow data (e.g. pending sign-up: password hash, name) */
  data: Record<string, unknown>;
}

export type CodeCheck =
  | { status: 'ok'; challenge: Challenge }
  | { status: 'wrong'; attemptsLeft: number }
  /** max attempts reached: the challenge is dead */
  | { status: 'locked' }
  /** unknown, expired or already used */
  | { status: 'expired' };

/** what became of a link that no longer works */
export type LinkFate = 'used' | 'replaced' | 'expired' | 'invalid';

export interface IssueInput {
  tenantId: string; purpose: CodePurpose; channel: ChallengeChannel; identifier: string;
  interactionUid: string | null; codeLength: number; ttlSeconds: number; maxAttempts: number;
  withLink: boolean; browserBinding?: string | null; data?: Record<string, unknown>;
  /** sandbox test recipients only (the caller enforces that): this code instead of a random one, resends too */
  fixedCode?: string;
}

/** Thrown by reissue/update/recordDelivery when the challenge is expired, used or locked. */
export class ChallengeGoneError extends Error {
  readonly code = 'otp.challenge_gone';
  constructor() {
    super('This code has expired or was already used.');
    this.name = 'ChallengeGoneError';
  }
}

export interface OneTimeCodesDeps {
  store: KvStore;
  secret: string;
  now?: () => number;
  /** how long a challenge can be kept alive by resends, from its first issue; default 1 h (or its TTL if longer) */
  maxLifetimeSeconds?: number;
}

interface Rec {
  tenantId: string; purpose: CodePurpose; channel: ChallengeChannel; identifier: string;
  interactionUid: string | null; browserBinding: string | null; maxAttempts: number; ttlSeconds: number;
  codeLength: number;
  /** sealed with the rest of the record, never stored in the clear */
  fixedCode: string | null;
  /** epoch ms after which no resend extends the challenge: the attempts counter lives until then */
  deadline: number;
  data: Record<string, unknown>;
}
interface CodeState { gen: number; codeHash: string; linkHash: string | null; sentAt: number; expiresAt: number }
interface DeliveryState { gen: number; channel: ChallengeChannel; provider?: string; ref?: string }
interface Loaded { rec: Rec; code: CodeState; pv: DeliveryState | null; challenge: Challenge }

const ID = /^[A-Za-z0-9_-]{22}$/; // 16 random bytes: the id appears in URLs, so it must not be guessable
const LINK_TOKEN = /^[A-Za-z0-9_-]{43}$/; // 32 random bytes (link and grant tokens)
const EXPIRED = { status: 'expired' } as const;
const LOCKED = { status: 'locked' } as const;

export function createOneTimeCodes(deps: OneTimeCodesDeps) {
  const { store } = deps;
  const now = deps.now ?? Date.now;
  const maxLifetimeSeconds = deps.maxLifetimeSeconds ?? 3600;
  if (!Number.isSafeInteger(maxLifetimeSeconds) || maxLifetimeSeconds < 1) throw new RangeError('maxLifetimeSeconds must be a positive integer');
  const maxLifetimeMs = maxLifetimeSeconds * 1000;
  if (!deps.secret) throw new Error('createOneTimeCodes needs a secret');
  // Separate keys for MACs and sealing, neither equal to keys other features derive from the same secret.
  const macKey = Buffer.from(hkdfSync('sha256', deps.secret, 'tessera', 'one-time codes mac v1', 32));
  const sealer = createSealer([Buffer.from(hkdfSync('sha256', deps.secret, 'tessera', 'one-time codes seal v1', 32)).toString('base64url')]);

  const mac = (...parts: (string | number)[]) => createHmac('sha256', macKey).update(parts.join('\0')).digest();
  // Binding the code's MAC to tenant, challenge and generation: a stored hash is only good for its own code.
  const codeMac = (t: string, id: string, gen: number, code: string) => mac('code', t, id, gen, code);
  const linkMac = (t: string, token: string) => mac('link', t, token).toString('base64url');
  const sameMac = (stored: string, computed: Buffer) => {
    const s = Buffer.from(stored, 'base64url');
    return s.length === computed.length && timingSafeEqual(s, computed);
  };

  const key = (t: string, id: string, part: string) => `otc:${t}:${id}:${part}`;
  const linkKey = (t: string, linkHash: string) => `otc-link:${t}:${linkHash}`;
  // What became of a link after it stopped working (used, replaced by a resend, or expired), kept a day so its page can say which.
  const linkFateKey = (t: string, linkHash: string) => `otc-link-fate:${t}:${linkHash}`;
  const LINK_FATE_SECONDS = 86_400;
  /** whole seconds until `at` by our clock, at least 1 (the store refuses 0) */
  const ttlUntil = (at: number) => Math.max(1, Math.ceil((at - now()) / 1000));

  function newCode(length: number): string {
    return String(randomInt(0, 10 ** length)).padStart(length, '0');
  }

  async function writeCode(t: string, id: string, state: CodeState) {
    const ttl = ttlUntil(state.expiresAt);
    await Promise.all([
      store.set(key(t, id, 'code'), JSON.stringify(state), ttl),
      state.linkHash ? store.set(linkKey(t, state.linkHash), id, ttl) : undefined,
      state.linkHash ? store.set(linkFateKey(t, state.linkHash), 'issued', LINK_FATE_SECONDS) : undefined,
    ]);
  }

  /** `live` is null when the challenge is unknown, expired, used or locked; `end` says which of the last two */
  async function load(t: string, id: string): Promise<{ live: Loaded | null; end: string | null }> {
    if (typeof id !== 'string' || !ID.test(id)) return { live: null, end: null };
    const [recRaw, codeRaw, pvRaw, end] = await store.getMany(['rec', 'code', 'pv', 'end'].map((p) => key(t, id, p)));
    if (end || !recRaw || !codeRaw) return { live: null, end: end ?? null };
    const code = JSON.parse(codeRaw) as CodeState;
    // The TTL runs on the store's clock; this check makes expiry exact on ours.
    if (code.expiresAt <= now()) return { live: null, end: null };
    let rec: Rec;
    try {
      rec = JSON.parse(sealer.open(recRaw, key(t, id, 'rec'))) as Rec;
    } catch (err) {
      // Sealed under a secret since replaced: its code MACs are unverifiable too, so it is simply gone.
      if (err instanceof Error && err.message === 'crypto.unseal_failed') return { live: null, end: null };
      throw err;
    }
    const pvState = pvRaw ? (JSON.parse(pvRaw) as DeliveryState) : null;
    // A verification started for an earlier code died with that code.
    const pv = pvState?.gen === code.gen ? pvState : null;
    const challenge: Challenge = {
      id, tenantId: t, purpose: rec.purpose, channel: rec.channel, identifier: rec.identifier,
      interactionUid: rec.interactionUid, browserBinding: rec.browserBinding, expiresAt: code.expiresAt,
      maxAttempts: rec.maxAttempts, sentAt: code.sentAt,
      providerVerification: pv?.provider && pv.ref ? { provider: pv.provider, ref: pv.ref } : null,
      deliveredVia: pv && pv.channel !== rec.channel ? pv.channel : null, data: rec.data,
    };
    return { live: { rec, code, pv, challenge }, end: null };
  }

  /** once `end` is written nothing else is needed; the counters stay until the deadline so `locked` holds */
  async function retire(t: string, id: string, code: CodeState) {
    const keys = ['rec', 'code', 'pv'].map((p) => key(t, id, p));
    if (code.linkHash) keys.push(linkKey(t, code.linkHash));
    await store.del(keys);
  }

  /**
   * One attempt under the shared rules. The counter is incremented BEFORE the answer is judged, so of any
   * number of concurrent guesses only those numbered 1..maxAttempts are judged at all, and the one numbered
   * maxAttempts, if wrong, kills the challenge.
   */
  async function attempt(t: string, id: string, judge: (l: Loaded) => boolean | Promise<boolean | 'expired'>): Promise<CodeCheck> {
    const { live: l, end } = await load(t, id);
    if (end === 'locked') return LOCKED;
    if (!l) return EXPIRED;
    const { rec, code } = l;
    const endTtl = ttlUntil(rec.deadline);
    const n = await store.incr(key(t, id, 'n'), endTtl);
    // Past the last attempt nothing is judged: the challenge is dead, or a right answer just used it up.
    if (n > rec.maxAttempts) return (await store.get(key(t, id, 'end'))) === 'used' ? EXPIRED : LOCKED;
    // a provider's judgement (Twilio Verify) is asked for only within the attempts reserved above
    const judged = judge(l);
    // a local comparison is judged at once (no turn of the event loop between the count and the consumption)
    const verdict = judged instanceof Promise ? await judged : judged;
    if (verdict === 'expired') return EXPIRED;
    if (verdict) {
      if (await store.setIfAbsent(key(t, id, 'end'), 'used', endTtl)) {
        await retire(t, id, code);
        if (code.linkHash) await store.set(linkFateKey(t, code.linkHash), 'used', LINK_FATE_SECONDS);
        return { status: 'ok', challenge: l.challenge };
      }
      // Lost to a concurrent right answer (used) or to the last wrong guess (locked).
      return (await store.get(key(t, id, 'end'))) === 'locked' ? LOCKED : EXPIRED;
    }
    if (n < rec.maxAttempts) return { status: 'wrong', attemptsLeft: rec.maxAttempts - n };
    await store.setIfAbsent(key(t, id, 'end'), 'locked', endTtl);
    await retire(t, id, code);
    return LOCKED;
  }

  async function liveOrThrow(t: string, id: string): Promise<Loaded> {
    const { live } = await load(t, id);
    if (!live) throw new ChallengeGoneError();
    return live;
  }

  return {
    /** @throws RangeError for a code length outside 4–8, a malformed fixedCode or a non-positive TTL / attempt count */
    async issue(input: IssueInput): Promise<{ challenge: Challenge; code: string; linkToken: string | null }> {
      const { tenantId: t, codeLength, ttlSeconds, maxAttempts } = input;
      if (!Number.isInteger(codeLength) || codeLength < 4 || codeLength > 8) throw new RangeError(`codeLength must be 4 to 8, got ${codeLength}`);
      if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1) throw new RangeError(`ttlSeconds must be a positive integer, got ${ttlSeconds}`);
      if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1) throw new RangeError(`maxAttempts must be a positive integer, got ${maxAttempts}`);
      if (!t) throw new RangeError('tenantId is required');
      if (input.fixedCode !== undefined && !/^\d{4,8}$/.test(input.fixedCode)) throw new RangeError('fixedCode must be 4 to 8 digits');

      const id = randomBytes(16).toString('base64url');
      const at = now();
      const deadline = at + Math.max(ttlSeconds * 1000, maxLifetimeMs);
      const code = input.fixedCode ?? newCode(codeLength);
      const linkToken = input.withLink ? randomBytes(32).toString('base64url') : null;
      const rec: Rec = {
        tenantId: t, purpose: input.purpose, channel: input.channel, identifier: input.identifier,
        interactionUid: input.interactionUid, browserBinding: input.browserBinding ?? null, maxAttempts, ttlSeconds,
        codeLength, fixedCode: input.fixedCode ?? null, deadline, data: input.data ?? {},
      };
      const state: CodeState = {
        gen: 1, codeHash: codeMac(t, id, 1, code).toString('base64url'), linkHash: linkToken ? linkMac(t, linkToken) : null,
        sentAt: at, expiresAt: at + ttlSeconds * 1000,
      };
      // The counter exists from the start with the family's lifetime: INCR keeps an existing key's TTL.
      await Promise.all([
        store.set(key(t, id, 'rec'), sealer.seal(JSON.stringify(rec), key(t, id, 'rec')), ttlUntil(deadline)),
        store.set(key(t, id, 'n'), '0', ttlUntil(deadline)),
      ]);
      await writeCode(t, id, state);
      const challenge: Challenge = {
        id, tenantId: t, purpose: rec.purpose, channel: rec.channel, identifier: rec.identifier,
        interactionUid: rec.interactionUid, browserBinding: rec.browserBinding, expiresAt: state.expiresAt,
        maxAttempts, sentAt: at, providerVerification: null, deliveredVia: null, data: rec.data,
      };
      return { challenge, code, linkToken };
    },

    async get(tenantId: string, id: string): Promise<Challenge | null> {
      return (await load(tenantId, id)).live?.challenge ?? null;
    },

    /**
     * A new code (and link) for the same challenge, valid for the challenge's TTL again (never past its
     * deadline); the previous code and link stop working, the attempts already made still count.
     * @throws ChallengeGoneError when the challenge is expired, used or locked
     */
    async reissue(challenge: Challenge, cooldownSeconds: number): Promise<{ code: string; linkToken: string | null; challenge: Challenge } | { retryAfterSeconds: number }> {
      if (!Number.isSafeInteger(cooldownSeconds) || cooldownSeconds < 0) throw new RangeError(`cooldownSeconds must be a non-negative integer, got ${cooldownSeconds}`);
      const { tenantId: t, id } = challenge;
      const { rec, code: old, challenge: current } = await liveOrThrow(t, id);
      const at = now();
      const readyAt = old.sentAt + cooldownSeconds * 1000;
      if (at < readyAt) return { retryAfterSeconds: Math.max(1, Math.ceil((readyAt - at) / 1000)) };
      const expiresAt = Math.min(at + rec.ttlSeconds * 1000, rec.deadline);
      if (expiresAt - at < 1000) throw new ChallengeGoneError();
      // Two resends racing past the cooldown check: only the one that claims this generation makes a code.
      if (!(await store.setIfAbsent(key(t, id, `gen:${old.gen}`), '1', ttlUntil(rec.deadline)))) {
        return { retryAfterSeconds: Math.max(1, cooldownSeconds) };
      }
      const gen = old.gen + 1;
      const code = rec.fixedCode ?? newCode(rec.codeLength);
      const linkToken = old.linkHash ? randomBytes(32).toString('base64url') : null;
      const state: CodeState = {
        gen, codeHash: codeMac(t, id, gen, code).toString('base64url'), linkHash: linkToken ? linkMac(t, linkToken) : null,
        sentAt: at, expiresAt,
      };
      await writeCode(t, id, state);
      await store.del([key(t, id, 'pv'), ...(old.linkHash ? [linkKey(t, old.linkHash)] : [])]);
      if (old.linkHash) await store.set(linkFateKey(t, old.linkHash), 'replaced', LINK_FATE_SECONDS);
      // Used or locked while we were writing: hand out nothing for a dead challenge.
      if (await store.get(key(t, id, 'end'))) {
        await retire(t, id, state);
        throw new ChallengeGoneError();
      }
      return { code, linkToken, challenge: { ...current, expiresAt, sentAt: at, providerVerification: null, deliveredVia: null } };
    },

    /** single use: 'ok' consumes the challenge. A code the provider generated (Twilio Verify) never matches here. */
    async verifyCode(tenantId: string, id: string, code: string): Promise<CodeCheck> {
      return attempt(tenantId, id, (l) => {
        // Computed and compared even when a provider verifies, so the answer takes the same time.
        const matches = sameMac(l.code.codeHash, codeMac(tenantId, id, l.code.gen, String(code)));
        return matches && !l.challenge.providerVerification;
      });
    },

    /**
     * when the provider verifies (Twilio Verify): the attempt is reserved first, so of concurrent guesses only those
     * within maxAttempts ever reach the provider; then consumed through the same rules
     */
    async verifyThroughProvider(tenantId: string, id: string, ask: () => Promise<'approved' | 'wrong' | 'expired'>): Promise<CodeCheck> {
      return attempt(tenantId, id, async () => {
        const answer = await ask();
        return answer === 'expired' ? 'expired' : answer === 'approved';
      });
    },

    /** how the current code went out: another channel than asked, or a provider that checks it. @throws ChallengeGoneError */
    async recordDelivery(challenge: Challenge, delivery: { channel: ChallengeChannel; verification: { provider: string; ref: string } | null }): Promise<void> {
      const { code } = await liveOrThrow(challenge.tenantId, challenge.id);
      const pv: DeliveryState = { gen: code.gen, channel: delivery.channel, ...delivery.verification };
      await store.set(key(challenge.tenantId, challenge.id, 'pv'), JSON.stringify(pv), ttlUntil(code.expiresAt));
    },

    /** does not consume; null for an unknown, expired, used or replaced link */
    async findByLink(tenantId: string, token: string): Promise<Challenge | null> {
      if (typeof token !== 'string' || !LINK_TOKEN.test(token)) return null;
      const linkHash = linkMac(tenantId, token);
      const id = await store.get(linkKey(tenantId, linkHash));
      if (!id) return null;
      const { live: l } = await load(tenantId, id);
      // The pointer can outlive a resend by a moment: the current code state must name this very link.
      if (!l || !l.code.linkHash || !sameMac(l.code.linkHash, Buffer.from(linkHash, 'base64url'))) return null;
      return l.challenge;
    },

    /** single use (link path); false if already used, locked or expired */
    async consume(challenge: Challenge): Promise<boolean> {
      const { tenantId: t, id } = challenge;
      const { live: l } = await load(t, id);
      if (!l) return false;
      if (!(await store.setIfAbsent(key(t, id, 'end'), 'used', ttlUntil(l.rec.deadline)))) return false;
      await retire(t, id, l.code);
      if (l.code.linkHash) await store.set(linkFateKey(t, l.code.linkHash), 'used', LINK_FATE_SECONDS);
      return true;
    },

    /** why a link that findByLink no longer finds stopped working: used, replaced by a newer one, expired, or never ours */
    async linkFate(tenantId: string, token: string): Promise<LinkFate> {
      if (typeof token !== 'string' || !LINK_TOKEN.test(token)) return 'invalid';
      const fate = await store.get(linkFateKey(tenantId, linkMac(tenantId, token)));
      return fate === 'used' || fate === 'replaced' ? fate : fate === 'issued' ? 'expired' : 'invalid';
    },

    /**
     * Replaces the flow data. Concurrent updates of one challenge: the last write wins.
     * @throws ChallengeGoneError
     */
    async update(challenge: Challenge, data: Record<string, unknown>): Promise<void> {
      const { tenantId: t, id } = challenge;
      const { rec } = await liveOrThrow(t, id);
      const next: Rec = { ...rec, data };
      await store.set(key(t, id, 'rec'), sealer.seal(JSON.stringify(next), key(t, id, 'rec')), ttlUntil(rec.deadline));
    },
  };
}

export type OneTimeCodes = ReturnType<typeof createOneTimeCodes>;
