// The admin console's own session: a random id in a signed, httpOnly, SameSite=Lax cookie scoped to /admin, and a
// record in the short-lived store holding the operator's user id and the system-tenant session it came from.
// Idle sessions end after `idleSeconds`; none outlives `maxSeconds`, whatever its activity.
// The store never holds a usable secret (issue #13): the session id and the sign-in `state` name their records only
// by their SHA-256 (both are 32 random bytes or more, so a hash cannot be turned back), and the PKCE verifier is
// sealed, as the federated sign-in's records are (federation-store.ts).
import { createHash, randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import type { KvStore } from '../store/kv-store.js';
import type { Sealer } from '../crypto/sealing.js';

export const sessionCookie = 'tessera.admin';
const signInCookie = 'tessera.admin.signin';

export interface AdminSessionRecord {
  id: string;
  userId: string;
  /** uid of the system tenant's provider session the operator signed in with */
  sessionUid: string | null;
  createdAt: number;
  /** the `ui_locales` the operator opened /admin/sign-in with: the console's language before Accept-Language */
  uiLocales?: string;
}

export interface PendingSignIn { verifier: string; returnTo: string; uiLocales?: string }

export function createAdminSessions(deps: { store: KvStore; sealer: Sealer; https: boolean; idleSeconds?: number; maxSeconds?: number }) {
  const idle = deps.idleSeconds ?? 30 * 60;
  const max = deps.maxSeconds ?? 8 * 3600;
  const ref = (id: string) => createHash('sha256').update(id).digest('base64url');
  const key = (id: string) => `admin:session:${ref(id)}`;
  const flashKey = (record: AdminSessionRecord) => `admin:flash:${ref(record.id)}`;
  const secretKey = (record: AdminSessionRecord, name: string) => `admin:secret:${ref(record.id)}:${name}`;
  const signInKey = (state: string) => `admin:signin:${ref(state)}`;
  /** what the store keeps of a record: all but its id */
  const stored = ({ id: _id, ...rest }: AdminSessionRecord) => JSON.stringify(rest);
  const cookie = (maxAgeMs?: number) => ({ path: '/admin', httpOnly: true, sameSite: 'lax' as const, secure: deps.https, signed: true, overwrite: true, ...(maxAgeMs !== undefined ? { maxAge: maxAgeMs } : {}) });

  return {
    async open(ctx: Context, userId: string, sessionUid: string | null, uiLocales?: string): Promise<AdminSessionRecord> {
      const record: AdminSessionRecord = { id: randomBytes(24).toString('base64url'), userId, sessionUid, createdAt: Date.now(), ...(uiLocales ? { uiLocales } : {}) };
      await deps.store.set(key(record.id), stored(record), idle);
      ctx.cookies.set(sessionCookie, record.id, cookie());
      return record;
    },
    /** this browser's live session, its idle timer restarted; null when there is none */
    async current(ctx: Context): Promise<AdminSessionRecord | null> {
      const id = ctx.cookies.get(sessionCookie, { signed: true });
      if (!id || !/^[A-Za-z0-9_-]{32}$/.test(id)) return null;
      const raw = await deps.store.get(key(id));
      if (!raw) return null;
      const record: AdminSessionRecord = { ...(JSON.parse(raw) as Omit<AdminSessionRecord, 'id'>), id };
      const left = Math.floor((record.createdAt + max * 1000 - Date.now()) / 1000);
      if (left <= 0) {
        await deps.store.del([key(id)]);
        return null;
      }
      await deps.store.set(key(id), raw, Math.min(idle, left));
      return record;
    },
    async end(ctx: Context, record: AdminSessionRecord | null): Promise<void> {
      if (record) await deps.store.del([key(record.id), flashKey(record)]);
      ctx.cookies.set(sessionCookie, '', cookie(0));
    },

    // The PKCE verifier waits in the store under the `state` sent to the provider; the browser that started the
    // sign-in holds the state in a cookie, so a code cannot be planted in another browser (login CSRF).
    async begin(ctx: Context, state: string, pending: PendingSignIn): Promise<void> {
      const k = signInKey(state);
      await deps.store.set(k, deps.sealer.seal(JSON.stringify(pending), k), 600);
      ctx.cookies.set(signInCookie, state, cookie(600_000));
    },
    async finish(ctx: Context, state: string): Promise<PendingSignIn | null> {
      const expected = ctx.cookies.get(signInCookie, { signed: true });
      ctx.cookies.set(signInCookie, '', cookie(0));
      if (!expected || expected !== state || !/^[A-Za-z0-9_-]{10,100}$/.test(state)) return null;
      const k = signInKey(state);
      const sealed = await deps.store.get(k);
      // single use: of two callbacks with one state only the one that claims it goes on
      if (!sealed || !(await deps.store.setIfAbsent(`${k}:taken`, '1', 600))) return null;
      await deps.store.del([k]);
      try {
        return JSON.parse(deps.sealer.open(sealed, k)) as PendingSignIn;
      } catch {
        return null;
      }
    },

    /** a one-time message for the next page this session sees (POST-redirect-GET) */
    async flash(record: AdminSessionRecord, message: string, isError = false): Promise<void> {
      await deps.store.set(flashKey(record), JSON.stringify({ message, isError }), 120);
    },
    async takeFlash(record: AdminSessionRecord): Promise<{ message: string; isError: boolean } | null> {
      const raw = await deps.store.get(flashKey(record));
      if (!raw) return null;
      await deps.store.del([flashKey(record)]);
      return JSON.parse(raw) as { message: string; isError: boolean };
    },

    // A new client secret waits, sealed and for two minutes at most, for the one page that shows it: the page after
    // the redirect that follows creation or rotation. Reading it deletes it, so a reload shows it no more.
    async keepSecret(record: AdminSessionRecord, name: string, secret: string): Promise<void> {
      const context = `admin-secret:${record.id}:${name}`;
      await deps.store.set(secretKey(record, name), deps.sealer.seal(secret, context), 120);
    },
    async takeSecret(record: AdminSessionRecord, name: string): Promise<string | null> {
      const sealed = await deps.store.get(secretKey(record, name));
      if (!sealed) return null;
      await deps.store.del([secretKey(record, name)]);
      return deps.sealer.open(sealed, `admin-secret:${record.id}:${name}`);
    },
  };
}

export type AdminSessions = ReturnType<typeof createAdminSessions>;
