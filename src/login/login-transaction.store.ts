// Login transactions at rest: ONE KvStore record per transaction (`login-tx:{tenant}:{sha256(id)}`), one TTL (until
// the transaction's expiresAt by our clock), sealed (AES-GCM, bound to its key) so a dump of the store names nobody,
// and named only by the SHA-256 of its id, which the client holds as a bearer reference. Every transition is a
// compare-and-set of the whole record (KvStore.compareAndSet): of concurrent events read from the same version one
// wins; the others re-read and are judged again against the new state, so two right codes cannot both complete.
//
// API (for the next front door):
//   createLoginTransactions(deps: { store: KvStore; secret: string; now?: () => number }): LoginTransactions
//   begin(input: Omit<BeginLogin, 'id'> & { id?: string }): Promise<LoginTransaction>   id: from idFor, else random
//   beginWith(input, events: { event, policy }[]): Promise<ApplyResult>   begin, and its first events in the same write
//   idFor(tenantId: string, binding: string): string      the id of the one transaction bound to e.g. an interaction
//   get(tenantId: string, id: string): Promise<LoginTransaction | null>      null: unknown, malformed id or expired
//   apply(tenantId: string, id: string, event: LoginEvent, policy: LoginPolicy | null): Promise<ApplyResult>
//   discard(tenantId: string, id: string): Promise<void>
import { createHmac, randomBytes } from 'node:crypto';
import { createSealer, deriveSecret, digest } from '../crypto/sealing.js';
import type { KvStore } from '../store/kv-store.js';
import { beginLogin, transition, type BeginLogin, type LoginEvent, type LoginPolicy, type LoginTransaction, type TransitionError } from './login-transaction.machine.js';

export type ApplyResult =
  | { ok: true; tx: LoginTransaction }
  /** `login.not_found`: unknown, malformed or already gone; `tx` is the record as it stands when there is one */
  | { ok: false; error: TransitionError | 'login.not_found'; tx: LoginTransaction | null };

const ID = /^[A-Za-z0-9_-]{22}$/;
/** compare-and-set rounds before giving up: each lost round means another event was applied meanwhile */
const MAX_ROUNDS = 8;

export function createLoginTransactions(deps: { store: KvStore; secret: string; now?: () => number }) {
  const { store } = deps;
  const now = deps.now ?? Date.now;
  if (!deps.secret) throw new Error('createLoginTransactions needs a secret');
  const sealer = createSealer([deriveSecret(deps.secret, 'login transactions seal v1')]);
  const bindingKey = deriveSecret(deps.secret, 'login transactions binding v1');
  const keyOf = (tenantId: string, id: string) => `login-tx:${tenantId}:${digest(id)}`;
  /** the record lives exactly as long as the transaction, by our clock; the store refuses a TTL of 0 */
  const ttlOf = (tx: LoginTransaction) => Math.max(1, Math.ceil((tx.expiresAt - now()) / 1000));

  async function read(tenantId: string, id: string): Promise<{ raw: string; tx: LoginTransaction } | null> {
    if (typeof id !== 'string' || !ID.test(id)) return null;
    const key = keyOf(tenantId, id);
    const raw = await store.get(key);
    if (!raw) return null;
    try {
      const tx = JSON.parse(sealer.open(raw, key)) as LoginTransaction;
      return tx.id === id && tx.tenantId === tenantId ? { raw, tx } : null;
    } catch (err) {
      // sealed under a secret since replaced: the transaction is simply gone
      if (err instanceof Error && err.message === 'crypto.unseal_failed') return null;
      throw err;
    }
  }

  return {
    /**
     * A transaction bound to something its front door already holds (the hosted pages: the interaction's uid), so it
     * needs no reference of its own: a MAC under our secret, so knowing the binding alone does not name the record.
     */
    idFor(tenantId: string, binding: string): string {
      return createHmac('sha256', bindingKey).update(`${tenantId}\0${binding}`).digest().subarray(0, 16).toString('base64url');
    },

    /** @throws Error when a transaction with `input.id` exists already (discard it first to start over) */
    async begin(input: Omit<BeginLogin, 'id'> & { id?: string }): Promise<LoginTransaction> {
      if (input.id !== undefined && !ID.test(input.id)) throw new RangeError('a login transaction id is 16 bytes, base64url');
      const tx = beginLogin({ ...input, id: input.id ?? randomBytes(16).toString('base64url') }, now());
      const key = keyOf(tx.tenantId, tx.id);
      if (!(await store.setIfAbsent(key, sealer.seal(JSON.stringify(tx), key), ttlOf(tx)))) throw new Error('login transaction id collision');
      return tx;
    },

    /**
     * begin() with its first events already applied, judged by the machine one after the other as apply() would judge
     * them, and written once: a sign-in that knows them all at the start (the hosted gate: first factor passed, second
     * factor assessed) saves a read and a compare-and-set per event, and no other event can come between them. Stops at
     * the first event the machine refuses and writes the state before it; the result is the last event's.
     * @throws Error as begin() does
     */
    async beginWith(input: Omit<BeginLogin, 'id'> & { id?: string }, events: readonly { event: LoginEvent; policy: LoginPolicy | null }[]): Promise<ApplyResult> {
      if (input.id !== undefined && !ID.test(input.id)) throw new RangeError('a login transaction id is 16 bytes, base64url');
      let tx = beginLogin({ ...input, id: input.id ?? randomBytes(16).toString('base64url') }, now());
      let result: ApplyResult = { ok: true, tx };
      for (const { event, policy } of events) {
        result = transition(tx, event, policy, now());
        if (!result.ok) break;
        tx = result.tx;
      }
      const key = keyOf(tx.tenantId, tx.id);
      if (!(await store.setIfAbsent(key, sealer.seal(JSON.stringify(tx), key), ttlOf(tx)))) throw new Error('login transaction id collision');
      return result;
    },

    /** the transaction as it stands; a live one past its expiresAt reads as expired */
    async get(tenantId: string, id: string): Promise<LoginTransaction | null> {
      const found = await read(tenantId, id);
      if (!found) return null;
      const { tx } = found;
      return tx.expiresAt <= now() && tx.state !== 'completed' && tx.state !== 'failed' ? { ...tx, state: 'expired' } : tx;
    },

    /** one event, judged by the pure machine and written with compare-and-set; never two winners for one version */
    async apply(tenantId: string, id: string, event: LoginEvent, policy: LoginPolicy | null): Promise<ApplyResult> {
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const found = await read(tenantId, id);
        if (!found) return { ok: false, error: 'login.not_found', tx: null };
        const result = transition(found.tx, event, policy, now());
        if (!result.ok) return result;
        const key = keyOf(tenantId, id);
        if (await store.compareAndSet(key, found.raw, sealer.seal(JSON.stringify(result.tx), key), ttlOf(result.tx))) return result;
      }
      // contention beyond reason on one transaction: refuse rather than spin
      const current = await read(tenantId, id);
      return { ok: false, error: 'login.invalid_transition', tx: current?.tx ?? null };
    },

    async discard(tenantId: string, id: string): Promise<void> {
      if (typeof id === 'string' && ID.test(id)) await store.del([keyOf(tenantId, id)]);
    },
  };
}

export type LoginTransactions = ReturnType<typeof createLoginTransactions>;
