// The short-lived records of a federated sign-in, in the KvStore so any process can finish what another began:
//   fed-state:{tenant}:{sha256(state)}  sealed: connection, purpose, nonce, PKCE verifier, browser binding (10 min)
//   fed-post:{tenant}:{sha256(ref)}     a form_post callback's fields, until the browser comes back by GET (2 min)
//   fed-result:{tenant}:{sha256(ref)}   the verified upstream profile, until the interaction takes it (5 min)
// (An upstream account waiting for the user to prove the existing account is a state of the interaction's login
// transaction: pending-link.ts.)
// Every record is single use: taken with a claim (SET NX) so two requests cannot both use one. The random tokens
// (state, refs) appear in keys only hashed, so reading the store yields none that a request would accept.
import { createHash, randomBytes } from 'node:crypto';
import type { Sealer } from '../../crypto/sealing.js';
import type { KvStore } from '../../store/kv-store.js';
import type { UpstreamProfile } from './upstream.js';

export interface FlowState {
  connection: string;
  /** login: inside interaction `uid`; link: from the account page, for `userId`; rest: REST API login transaction `uid` */
  purpose: 'login' | 'link' | 'rest';
  uid: string | null;
  /** rest: the app's registered page the browser returns to with the result's token */
  redirectTo?: string;
  userId: string | null;
  nonce: string;
  codeVerifier: string;
  /** sha256 of the browser's binding cookie */
  binding: string;
}

/** uid: the interaction, or (REST API) the login transaction, the result belongs to */
export interface UpstreamResult { uid: string; connection: string; profile: UpstreamProfile }

const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');
export const randomToken = () => randomBytes(32).toString('base64url');
export const bindingHash = sha256;

export function createFederationStore(deps: { store: KvStore; sealer: Sealer }) {
  const { store, sealer } = deps;

  async function put(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    await store.set(key, sealer.seal(JSON.stringify(value), key), ttlSeconds);
  }
  /** reads and retires a record; null when absent, expired or already taken */
  async function take<T>(key: string, ttlSeconds: number): Promise<T | null> {
    const sealed = await store.get(key);
    if (!sealed || !(await store.setIfAbsent(`${key}:taken`, '1', ttlSeconds))) return null;
    await store.del([key]);
    try {
      return JSON.parse(sealer.open(sealed, key)) as T;
    } catch {
      return null;
    }
  }

  return {
    /** @returns the state to send upstream */
    async saveState(tenantId: string, state: FlowState): Promise<string> {
      const token = randomToken();
      await put(`fed-state:${tenantId}:${sha256(token)}`, state, 600);
      return token;
    },
    takeState: (tenantId: string, token: string) => take<FlowState>(`fed-state:${tenantId}:${sha256(token)}`, 600),
    async stashPost(tenantId: string, fields: Record<string, string>): Promise<string> {
      const ref = randomToken();
      await put(`fed-post:${tenantId}:${sha256(ref)}`, fields, 120);
      return ref;
    },
    takePost: (tenantId: string, ref: string) => take<Record<string, string>>(`fed-post:${tenantId}:${sha256(ref)}`, 120),
    async saveResult(tenantId: string, result: UpstreamResult): Promise<string> {
      const ref = randomToken();
      await put(`fed-result:${tenantId}:${sha256(ref)}`, result, 300);
      return ref;
    },
    /** reads a result without taking it (the REST API checks which sign-in it belongs to first); null when gone */
    async peekResult(tenantId: string, ref: string): Promise<UpstreamResult | null> {
      const key = `fed-result:${tenantId}:${sha256(ref)}`;
      const sealed = await store.get(key);
      if (!sealed || (await store.get(`${key}:taken`))) return null;
      try {
        return JSON.parse(sealer.open(sealed, key)) as UpstreamResult;
      } catch {
        return null;
      }
    },
    takeResult: (tenantId: string, ref: string) => take<UpstreamResult>(`fed-result:${tenantId}:${sha256(ref)}`, 300),
  };
}

export type FederationStore = ReturnType<typeof createFederationStore>;
