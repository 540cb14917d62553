// Checks a Bearer access token issued to a headless app (the backend OTP API's apps and the REST API's clients):
// an RS256 JWT of a tenant (RFC 9068) verified with the tenant's published keys, `aud` the app's slug, the client
// a headless app, the user present and enabled. Every failure is the same null.
import { createLocalJWKSet, decodeJwt, type JWK, type JWTPayload } from 'jose';
import type { Client } from 'oidc-provider';
import type { Services } from '../services.js';
import { verifyAccessToken } from '../rbac/access-token-check.js';
import { slugPattern } from '../tenants/environment-names.js';
import type { TenantContext } from '../oidc/tenant-providers.js';

const bearerSyntax = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i;
const publicMembers = ['kty', 'crv', 'x', 'y', 'n', 'e', 'kid', 'alg', 'use'] as const;

export interface AppAccess {
  tenant: TenantContext;
  claims: JWTPayload;
  client: Client;
  appSlug: string;
  user: NonNullable<Awaited<ReturnType<Services['users']['findById']>>>;
}

/** the token of an `Authorization: Bearer` header value, or null */
export const bearerToken = (header: string): string | null => bearerSyntax.exec(header)?.[1] ?? null;

export async function verifyAppAccessToken(services: Services, token: string): Promise<AppAccess | null> {
  let unverified: JWTPayload;
  try {
    unverified = decodeJwt(token);
  } catch {
    return null;
  }
  const prefix = `${services.config.publicUrl.origin}/t/`;
  const slug = typeof unverified.iss === 'string' && unverified.iss.startsWith(prefix) ? unverified.iss.slice(prefix.length) : '';
  const resolved = slugPattern.test(slug) ? await services.providers.get(slug) : null;
  if (!resolved || typeof unverified.aud !== 'string') return null;
  const { jwks } = await services.keys.loadJwks(resolved.tenant.id);
  const keySet = createLocalJWKSet({ keys: jwks.keys.map((key) => Object.fromEntries(publicMembers.filter((m) => key[m] !== undefined).map((m) => [m, key[m]])) as JWK) });
  const verdict = await verifyAccessToken(token, keySet, { issuer: resolved.tenant.issuer, audience: unverified.aud });
  if (!verdict.ok) return null;
  // only a headless app's own tokens: aud is the app slug of the client the token was issued to
  const client = await resolved.provider.Client.find(String(verdict.claims.client_id));
  const app = client as unknown as { headless?: boolean; app_slug?: string } | undefined;
  if (!client || !app?.headless || app.app_slug !== unverified.aud) return null;
  const user = await services.users.findById(resolved.tenant.id, String(verdict.claims.sub));
  if (!user || user.disabled) return null;
  return { tenant: resolved.tenant, claims: verdict.claims, client, appSlug: app.app_slug, user };
}
