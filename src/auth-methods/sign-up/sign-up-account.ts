// What an accepted sign-up code makes, whichever front door checked it (the hosted code page, the REST API): a new
// verified account with the password (and name) given at sign-up, or — for an address that already had an
// unverified account — that account, its email now proven and its password set. Koa-free.
import { AppError } from '../../errors/app-error.js';
import type { UserRecord } from '../../db/users.repository.js';
import { proveEmail, type CodeSignInDeps, type CodeSignInRequest, type RevokeAccount } from '../one-time-codes/code-sign-in.js';
import type { Challenge } from '../one-time-codes/one-time-codes.js';

/**
 * @param passwordHash a password chosen when the code was answered; default: the one given at sign-up (if any)
 * @returns null when the address was verified by someone else meanwhile (the code proved the mailbox, not this
 * registration)
 */
export async function accountForSignUp(deps: CodeSignInDeps, input: { tenantId: string; challenge: Challenge; passwordHash?: string | null; request: CodeSignInRequest; revoke: RevokeAccount }): Promise<UserRecord | null> {
  const { tenantId, challenge } = input;
  const passwordHash = input.passwordHash ?? (typeof challenge.data.passwordHash === 'string' ? challenge.data.passwordHash : null);
  const existing = typeof challenge.data.existingUserId === 'string' ? await deps.users.findById(tenantId, challenge.data.existingUserId) : null;
  let user: UserRecord;
  if (existing) {
    if (passwordHash) await deps.users.setPasswordHash(existing.id, passwordHash);
    user = existing.emailVerified ? await deps.users.markVerified(existing.id, 'email') : await proveEmail(deps, tenantId, existing, input.request, input.revoke);
  } else {
    try {
      user = await deps.users.createVerified(tenantId, { email: challenge.identifier, passwordHash, name: typeof challenge.data.name === 'string' ? challenge.data.name : undefined });
    } catch (error) {
      if (error instanceof AppError && error.code === 'user.email_taken') return null;
      throw error;
    }
  }
  await deps.audit.record({ tenantId, type: 'signup.completed', actor: user.id, subject: user.id, ...input.request, data: { method: 'password' } });
  return user;
}
