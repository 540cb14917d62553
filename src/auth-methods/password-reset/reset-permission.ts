// The permission to set a new password, as a login transaction (src/login/, issue #16 §1): an accepted reset code or
// link proved the mailbox, so a transaction of method `password_reset` begins, `identified` for that account. The
// token the new-password form carries in its URL is the transaction's id (16 random bytes, naming the record) followed
// by a verifier (16 more): the store keeps only the id's SHA-256 and, sealed in the record, the verifier's.
// Setting the password is the transaction's `first_factor_passed` (the mailbox proven, a new password chosen): a
// compare-and-set, so of concurrent submissions exactly one sets a password. The link may be opened in another
// browser, so the permission is a bearer token bound to the interaction it was asked from, not to the interaction's
// own transaction (hosted-login.ts).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { LoginTransactions } from '../../login/login-transaction.store.js';

/** how long the new-password form stays usable after the code or link was accepted */
export const resetPermissionTtl = 600;

export interface ResetPermission { userId: string; interactionUid: string }

/** both halves are 16 bytes, base64url */
const TOKEN = /^([A-Za-z0-9_-]{22})([A-Za-z0-9_-]{22})$/;
const hashOf = (verifier: string) => createHash('sha256').update(verifier).digest();

export function createResetPermissions(deps: { logins: LoginTransactions }) {
  const { logins } = deps;

  async function open(tenantId: string, token: string, uid: string): Promise<{ id: string; permission: ResetPermission } | null> {
    const parts = typeof token === 'string' ? TOKEN.exec(token) : null;
    if (!parts) return null;
    const [, id, verifier] = parts as unknown as [string, string, string];
    const tx = await logins.get(tenantId, id);
    const data = tx?.methodData;
    if (!tx || tx.method !== 'password_reset' || tx.state !== 'identified' || !data || typeof data.verifier !== 'string') return null;
    if (!timingSafeEqual(hashOf(verifier), Buffer.from(data.verifier, 'base64url'))) return null;
    return typeof data.userId === 'string' && data.interactionUid === uid ? { id, permission: { userId: data.userId, interactionUid: uid } } : null;
  }

  return {
    /** @returns the token for the new-password form's URL */
    async grant(tenantId: string, permission: ResetPermission & { email: string }): Promise<string> {
      const verifier = randomBytes(16).toString('base64url');
      const tx = await logins.begin({
        tenantId, clientId: null, front: 'hosted', method: 'password_reset', identifier: { kind: 'email', value: permission.email },
        methodData: { userId: permission.userId, interactionUid: permission.interactionUid, verifier: hashOf(verifier).toString('base64url') },
        ttlSeconds: resetPermissionTtl,
      });
      return `${tx.id}${verifier}`;
    },
    /** the permission, still unused; null for an unknown, expired, used or foreign token */
    async peek(tenantId: string, token: string, uid: string): Promise<ResetPermission | null> {
      return (await open(tenantId, token, uid))?.permission ?? null;
    },
    /** uses the permission: the first factor of this reset passes; null when another request used it first */
    async take(tenantId: string, token: string, uid: string): Promise<ResetPermission | null> {
      const opened = await open(tenantId, token, uid);
      if (!opened) return null;
      const { id, permission } = opened;
      const taken = await logins.apply(tenantId, id, { type: 'first_factor_passed', userId: permission.userId, method: 'password_reset', amr: ['pwd', 'otp'] }, null);
      return taken.ok ? permission : null;
    },
  };
}

export type ResetPermissions = ReturnType<typeof createResetPermissions>;
