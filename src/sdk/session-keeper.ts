// The session of one client: kept in the app's storage (localStorage by default, so every tab of the origin shares
// it), held in memory, refreshed ahead of expiry on a timer and on demand through the refresh coordinator, and
// announced to onAuthStateChange listeners and to the other tabs.
import { TesseraError } from './client-error.js';
import type { AuthEvent, AuthStateListener, Session, SessionStorage } from './client-types.js';
import { createRefreshCoordinator, fingerprint } from './refresh-coordinator.js';

/** setTimeout's largest delay (2^31 − 1 ms); a later refresh is scheduled again when it fires */
const longestTimer = 2_147_483_647;

export function memoryStorage(): SessionStorage {
  const items = new Map<string, string>();
  return {
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => { items.set(key, value); },
    removeItem: (key) => { items.delete(key); },
  };
}

/** localStorage where there is one (every tab of the origin shares it), else memory */
export function defaultStorage(): SessionStorage {
  try {
    const local = (globalThis as { localStorage?: SessionStorage }).localStorage;
    if (local) return local;
  } catch {
    // a sandboxed frame or a disabled storage throws on access
  }
  return memoryStorage();
}

function parse(text: string | null): Session | null {
  if (!text) return null;
  try {
    const value = JSON.parse(text) as Session;
    return value && typeof value.refresh_token === 'string' && typeof value.access_token === 'string' ? value : null;
  } catch {
    return null;
  }
}

export interface KeeperOptions {
  /** the client's issuer: a session without its own is this one's */
  issuer: string;
  storageKey: string;
  channelName: string;
  storage?: SessionStorage;
  refreshMarginSeconds: number;
  autoRefresh: boolean;
  /** presents the refresh token of `held` to the API */
  present(refreshToken: string, held: Session): Promise<Session>;
}

export function createSessionKeeper(options: KeeperOptions) {
  const storage = options.storage ?? defaultStorage();
  const listeners = new Set<AuthStateListener>();
  let session: Session | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let disposed = false;

  /** a storage that throws (quota, a disabled one) reads as empty and writes nowhere: the session lives in memory */
  const readStored = async () => {
    try {
      return parse(await storage.getItem(options.storageKey));
    } catch {
      return null;
    }
  };
  async function write(next: Session | null) {
    try {
      if (next) await storage.setItem(options.storageKey, JSON.stringify(next));
      else await storage.removeItem(options.storageKey);
    } catch {
      // kept in memory only; other tabs will not see it
    }
  }
  const ready = readStored().then((stored) => { session = stored; schedule(); });

  function emit(event: AuthEvent) {
    for (const listener of [...listeners]) {
      try {
        listener(event, session);
      } catch {
        // one listener's bug must not stop the others or the refresh
      }
    }
  }

  function schedule() {
    if (timer) clearTimeout(timer);
    timer = null;
    if (!session || !options.autoRefresh || disposed) return;
    // a little jitter: tabs that loaded together do not all wake at once (the coordinator copes either way)
    const due = Date.parse(session.access_expires_at) - options.refreshMarginSeconds * 1000 - Math.random() * 2000 - Date.now();
    timer = setTimeout(() => { void current(true).catch(() => undefined); }, Math.min(Math.max(due, 0), longestTimer));
    (timer as { unref?: () => void }).unref?.();
  }

  /** replaces the session here, in storage unless it came from there, and tells the listeners */
  async function set(next: Session | null, event: AuthEvent, persist = true) {
    // new tokens of another environment, in this tab or adopted from another: a switch (issue #19)
    const from = session?.issuer ?? options.issuer;
    if (event === 'TOKEN_REFRESHED' && session && next && (next.issuer ?? options.issuer) !== from) event = 'ENVIRONMENT_SWITCHED';
    session = next;
    if (persist) await write(next);
    schedule();
    emit(event);
  }

  const coordinator = createRefreshCoordinator({
    channelName: options.channelName,
    readStored,
    async present(refreshToken, held) {
      const fresh = await options.present(refreshToken, held);
      // the user read earlier stays with the session
      const next = { ...fresh, user: fresh.user ?? session?.user ?? null };
      await set(next, 'TOKEN_REFRESHED');
      return next;
    },
    adopt(next, event) {
      if (event === 'TOKEN_REFRESHED' && next && session?.refresh_token === next.refresh_token) return;
      if (event === 'SIGNED_OUT' && !session) return;
      void set(next, event, false);
    },
    adoptStored(fp) {
      // the storage decides (a server's clients of different users share the channel's name, not their storage);
      // a browser's other tabs may see the write a moment after the message
      const look = async (again: boolean) => {
        const stored = await readStored();
        if (disposed || (session && fingerprint(session.refresh_token) === fp)) return;
        if (stored && fingerprint(stored.refresh_token) === fp) await set(stored, 'SIGNED_IN', false);
        else if (again) setTimeout(() => { void look(false); }, 250);
      };
      void look(true);
    },
    currentFingerprint: () => (session ? fingerprint(session.refresh_token) : null),
  });

  const expiring = (s: Session) => Date.parse(s.access_expires_at) - options.refreshMarginSeconds * 1000 <= Date.now();

  /** the session, refreshed first when its access token expires within the margin (or when forced) */
  async function current(force = false): Promise<Session | null> {
    await ready;
    if (disposed) throw new TesseraError('sdk.disposed', 'This client was disposed.');
    if (!session) {
      // signed in by another tab whose message has not arrived yet: storage is shared and already has it
      const stored = await readStored();
      if (stored && !session) await set(stored, 'SIGNED_IN', false);
    }
    const held = session;
    if (!held) return null;
    if (Date.parse(held.refresh_expires_at) <= Date.now()) {
      await set(null, 'SIGNED_OUT');
      return null;
    }
    if (!force && !expiring(held)) return held;
    try {
      const next = await coordinator.refresh(held);
      if (session?.refresh_token !== next.refresh_token) await set(next, 'TOKEN_REFRESHED', false);
      return next;
    } catch (error) {
      // the API refused the token (revoked, replayed, expired) or the session is gone: signed out
      if (error instanceof TesseraError && error.code !== 'sdk.network_error' && error.code !== 'sdk.disposed') {
        if (session?.refresh_token === held.refresh_token) await set(null, 'SIGNED_OUT');
      }
      throw error;
    }
  }

  return {
    ready,
    current,
    /** the session held now, without refreshing */
    held: () => session,
    async signedIn(next: Session) {
      await ready;
      await set(next, 'SIGNED_IN');
      coordinator.announceSignedIn(next);
    },
    async signedOut() {
      await ready;
      const held = session;
      await set(null, 'SIGNED_OUT');
      if (held) coordinator.announceSignedOut(held);
    },
    /**
     * presents the held refresh token (refreshed first when due) for something else than a refresh, through the
     * coordinator so that it never races a refresh here or in another tab; `present` answering a session makes it
     * this one's, null keeps the held one. A token another tab rotated first is taken up and presented anew.
     * @throws TesseraError('sdk.not_signed_in')
     */
    async exchange(present: (refreshToken: string, held: Session) => Promise<Session | null>): Promise<Session | null> {
      for (;;) {
        if (!(await current())) throw new TesseraError('sdk.not_signed_in', 'Sign in first.');
        const { session: next, presented } = await coordinator.exchange(() => session, async (token, held) => {
          const fresh = await present(token, held);
          if (fresh) await set(fresh, 'TOKEN_REFRESHED');
          return fresh;
        });
        if (presented) return next;
        if (next && session?.refresh_token !== next.refresh_token) await set(next, 'TOKEN_REFRESHED', false);
      }
    },
    async userUpdated(next: Session) {
      await set(next, 'USER_UPDATED');
    },
    subscribe(listener: AuthStateListener): () => void {
      listeners.add(listener);
      void ready.then(() => { if (listeners.has(listener)) listener('INITIAL_SESSION', session); });
      return () => { listeners.delete(listener); };
    },
    dispose() {
      disposed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      listeners.clear();
      coordinator.dispose();
    },
  };
}

export type SessionKeeper = ReturnType<typeof createSessionKeeper>;
