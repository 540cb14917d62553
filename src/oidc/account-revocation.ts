// Ends everything a user holds in a tenant — sessions, grants, refresh tokens, and the short-lived access
// tokens and codes issued under those grants — e.g. after a password reset (issue #3) or a session revoke.
import type Provider from 'oidc-provider';
import type { OidcModelsRepository } from '../db/oidc-models.repository.js';

/** one grant: its refresh tokens and the grant itself (PostgreSQL), its access tokens and codes (Redis) */
export async function revokeGrant(provider: Provider, repository: OidcModelsRepository, tenantId: string, grantId: string): Promise<void> {
  await Promise.all([
    provider.AccessToken.revokeByGrantId(grantId),
    provider.AuthorizationCode.revokeByGrantId(grantId),
    repository.revokeByGrantId(tenantId, 'RefreshToken', grantId),
    repository.revokeByGrantId(tenantId, 'Grant', grantId),
  ]);
}

export async function revokeAccount(provider: Provider, repository: OidcModelsRepository, tenantId: string, accountId: string): Promise<{ grants: number }> {
  const grantIds = await repository.grantIdsOfAccount(tenantId, accountId);
  await Promise.all(grantIds.flatMap((grantId) => [
    provider.AccessToken.revokeByGrantId(grantId),
    provider.AuthorizationCode.revokeByGrantId(grantId),
  ]));
  await repository.deleteAccountRows(tenantId, accountId);
  return { grants: grantIds.length };
}
