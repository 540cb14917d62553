// The permission to set a new password, as a login transaction (src/login/, issue #16 §1): an accepted reset code or
// link proved the mailbox, so a transaction of method `password_reset` begins, `identified` for that account; its id
// (16 random bytes) is the token the new-password form carries in its URL — the store keeps only its SHA-256, sealed.
// Setting the password is the transaction's `first_factor_passed` (the mailbox proven, a new password chosen): a
// compare-and-set, so of concurrent submissions exactly one sets a password. The link may be opened in another
// browser, so the permission is a bearer token bound to the interaction it was asked from, not to the interaction's
// own transaction (hosted-login.ts).
import type { LoginTransactions } from '../../login/login-transaction.store.js';

/** how long the new-password form stays usable after the code or link was accepted */
export const resetPermissionTtl = 600;

export interface ResetPermission { userId: string; interactionUid: string }

export function createResetPermissions(deps: { logins: LoginTransactions }) {
  const { logins } = deps;

  async function open(tenantId: string, token: string, uid: string): Promise<ResetPermission | null> {
    const tx = await logins.get(tenantId, token);
    const data = tx?.methodData;
    if (!tx || tx.method !== 'password_reset' || tx.state !== 'identified' || !data) return null;
    return typeof data.userId === 'string' && data.interactionUid === uid ? { userId: data.userId, interactionUid: uid } : null;
  }

  return {
    /** @returns the token for the new-password form's URL */
    async grant(tenantId: string, permission: ResetPermission & { email: string }): Promise<string> {
      const tx = await logins.begin({
        tenantId, clientId: null, front: 'hosted', method: 'password_reset', identifier: { kind: 'email', value: permission.email },
        methodData: { userId: permission.userId, interactionUid: permission.interactionUid }, ttlSeconds: resetPermissionTtl,
      });
      return tx.id;
    },
    /** the permission, still unused; null for an unknown, expired, used or foreign token */
    peek: open,
    /** uses the permission: the first factor of this reset passes; null when another request used it first */
    async take(tenantId: string, token: string, uid: string): Promise<ResetPermission | null> {
      const permission = await open(tenantId, token, uid);
      if (!permission) return null;
      const taken = await logins.apply(tenantId, token, { type: 'first_factor_passed', userId: permission.userId, method: 'password_reset', amr: ['pwd', 'otp'] }, null);
      return taken.ok ? permission : null;
    },
  };
}

export type ResetPermissions = ReturnType<typeof createResetPermissions>;
