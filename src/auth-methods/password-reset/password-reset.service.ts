// Setting a new password after a recovery code or link proved the user (the hosted reset page, the REST API's
// recovery): every session, grant and refresh token of the account ends, remembered devices stop skipping the
// second factor, and the user is told by email. Koa-free.
import type { Locale } from '../../i18n/i18n.js';
import type Provider from 'oidc-provider';
import type { UsersService } from '../../accounts/users.service.js';
import type { AuditLog } from '../../audit/audit-log.js';
import type { MfaRepository } from '../../db/mfa.repository.js';
import type { OidcModelsRepository } from '../../db/oidc-models.repository.js';
import type { UserRecord } from '../../db/users.repository.js';
import type { Courier, CourierTenant } from '../../notifications/courier.js';
import { revokeAccount } from '../../oidc/account-revocation.js';
import type { AccountLinking } from '../federated/account-linking.js';

export interface PasswordResetDeps { users: UsersService; linking: AccountLinking; oidcModels: OidcModelsRepository; mfa: MfaRepository; audit: AuditLog; courier: Courier }

export async function resetPassword(deps: PasswordResetDeps, input: {
  tenant: CourierTenant; provider: Provider; user: UserRecord; passwordHash: string;
  /** the code or link went to the account's email: an unverified address is verified now */
  emailProven: boolean;
  request: { ip: string; userAgent: string | null };
  /** audit data: which front door (hosted pages leave it out) */
  front?: string;
  /** the language of the page that asked, for the notice email (default: the tenant's) */
  locale?: Locale;
}): Promise<void> {
  const { tenant, user, request } = input;
  await deps.users.setPasswordHash(user.id, input.passwordHash);
  // Without this the id_token of the sign-in that follows would say email_verified false (and requireVerifiedEmail
  // ask for yet another code). An upstream account that put this address on the account unproven never owned it:
  // it goes (emailProven).
  if (input.emailProven && !user.emailVerified) {
    await deps.users.markVerified(user.id, 'email');
    if (user.email) await deps.linking.emailProven(tenant.id, user.id, user.email, request);
  }
  const revoked = await revokeAccount(input.provider, deps.oidcModels, tenant.id, user.id);
  // remembered browsers skip the second factor: after a reset none of them is trusted any more (issue #5)
  const devices = await deps.mfa.revokeAllTrustedDevices(tenant.id, user.id);
  await deps.audit.record({ tenantId: tenant.id, type: 'password.reset', actor: user.id, subject: user.id, ...request, data: { revokedGrants: revoked.grants, revokedTrustedDevices: devices, ...(input.front ? { front: input.front } : {}) } });
  if (user.email) void deps.courier.passwordChanged(tenant, user.email, request.ip, input.locale);
}
