// What an accepted sign-in code proves, whichever front door checked it (hosted code page, backend OTP API): the
// account of that email or phone — its address or number now verified — or, on a first sign-in where sign-up is
// allowed, a new verified account. Koa-free; the caller passes how to end an account's sessions.
import type { AuditLog } from '../../audit/audit-log.js';
import type { UsersService } from '../../accounts/users.service.js';
import type { UserRecord } from '../../db/users.repository.js';
import type { AccountLinking } from '../federated/account-linking.js';
import type { Challenge } from './one-time-codes.js';

export interface CodeSignInDeps { users: UsersService; linking: AccountLinking; audit: AuditLog }
export interface CodeSignInRequest { ip: string; userAgent: string | null }
/** ends every session and grant of an account (oidc/account-revocation.ts through the tenant's provider) */
export type RevokeAccount = (userId: string) => Promise<unknown>;

/**
 * RFC 8176: a code by SMS is `sms`; by email or WhatsApp it is a one-time password, `otp`. What counts is the
 * channel the code actually went by: a WhatsApp request that fell back to SMS was confirmed by SMS.
 */
export const amrOfCode = (challenge: Challenge): string[] => ((challenge.deliveredVia ?? challenge.channel) === 'sms' ? ['sms'] : ['otp']);

/**
 * An account's unverified email has just been proven by a code or link sent to it: upstream accounts that claimed
 * the address unproven are unlinked and, if any were, every session of the account ends (they may be theirs).
 */
export async function proveEmail(deps: CodeSignInDeps, tenantId: string, user: UserRecord, request: CodeSignInRequest, revoke: RevokeAccount): Promise<UserRecord> {
  const verified = await deps.users.markVerified(user.id, 'email');
  const dropped = await deps.linking.emailProven(tenantId, user.id, user.email!, request);
  if (dropped.length) await revoke(user.id);
  return verified;
}

/**
 * The account an accepted `login` code signs in; null when none exists and sign-up is not allowed (the code was
 * never delivered then, so this is only reached by a code that could not be known).
 */
export async function accountForCode(deps: CodeSignInDeps, input: { tenantId: string; challenge: Challenge; allowSignUp: boolean; request: CodeSignInRequest; revoke: RevokeAccount }): Promise<{ user: UserRecord; created: boolean } | null> {
  const { tenantId, challenge } = input;
  const byEmail = challenge.channel === 'email';
  let user = byEmail ? await deps.users.findByEmail(tenantId, challenge.identifier) : await deps.users.findByPhone(tenantId, challenge.identifier);
  if (!user) {
    if (!challenge.data.signUp || !input.allowSignUp) return null;
    user = await deps.users.createVerified(tenantId, { [byEmail ? 'email' : 'phone']: challenge.identifier });
    await deps.audit.record({ tenantId, type: 'signup.completed', actor: user.id, subject: user.id, ...input.request, data: { method: challenge.channel } });
    return { user, created: true };
  }
  if (byEmail ? !user.emailVerified : !user.phoneVerified) {
    user = byEmail ? await proveEmail(deps, tenantId, user, input.request, input.revoke) : await deps.users.markVerified(user.id, 'phone');
  }
  return { user, created: false };
}
