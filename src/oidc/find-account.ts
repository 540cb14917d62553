// findAccount for oidc-provider: a tenant's user as an OIDC account. Disabled users are not found, so their
// sessions, refresh tokens and userinfo calls stop working at once.
import type { Account, KoaContextWithOIDC } from 'oidc-provider';
import type { UserRecord } from '../db/users.repository.js';
import { profileClaimNames } from '../validation/standard-claims.js';
import { accountReadAhead, providerRequests, type RequestScope } from './request-read-ahead.js';

export type UserLookup = (id: string) => Promise<UserRecord | null>;

export function accountClaims(user: UserRecord): Record<string, unknown> {
  const claims: Record<string, unknown> = { sub: user.id };
  for (const [name, value] of Object.entries(user.profile)) {
    if (profileClaimNames.has(name) && value !== null && value !== undefined) claims[name] = value;
  }
  // identifiers come from their own columns, with verified flags only a verification sets
  if (user.email) Object.assign(claims, { email: user.email, email_verified: user.emailVerified });
  if (user.phone) Object.assign(claims, { phone_number: user.phone, phone_number_verified: user.phoneVerified });
  claims.updated_at = Math.floor(user.updatedAt.getTime() / 1000);
  return claims;
}

/** the user's role names, released with the `roles` scope (issue #6) under the tenant's claim name */
export interface RoleClaims { claim: string; rolesOf(userId: string): Promise<string[]> }

/** @param scope where a refresh leaves the user it read with the refresh token (durable-adapter.ts) */
export function createFindAccount(lookup: UserLookup, roles?: RoleClaims, scope: RequestScope = providerRequests) {
  return async function findAccount(_ctx: KoaContextWithOIDC, sub: string): Promise<Account | undefined> {
    const readAhead = scope.take<UserRecord | null>(accountReadAhead(sub));
    const user = readAhead ? readAhead.value : await lookup(sub);
    if (!user || user.disabled) return undefined;
    return {
      accountId: user.id,
      async claims(_use: string, scope: string) {
        const claims = accountClaims(user);
        // read at issuance, and only when asked for: a role change shows in the next id_token or userinfo answer
        if (roles && scope.split(' ').includes('roles')) claims[roles.claim] = await roles.rolesOf(user.id);
        return claims as { sub: string };
      },
    };
  };
}
