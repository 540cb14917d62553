// Management API callers present access tokens the system tenant issued (RFC 9068 JWTs for the audience
// `{PUBLIC_URL}/api`), checked here against its keys without a call to the provider per request.
import { createLocalJWKSet, type JWTVerifyGetKey } from 'jose';
import { publicJwks } from '../tenants/signing-keys.js';
import type { Services } from '../services.js';
import { AppError } from '../errors/app-error.js';
import { isDevelopmentToken, looksLikeDevelopmentToken } from '../config/development-token.js';
import { managementAudience, managementScopes } from '../tenants/system-tenant.js';
import { systemSlug } from '../tenants/issuer.js';
import { verifyAccessToken } from '../rbac/access-token-check.js';
import type { Principal } from './operation.js';
import { operatorTenants } from './operator-access.js';

// RFC 6750 §2.1 b64token
const bearerSyntax = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i;

export class InvalidToken extends AppError {
  constructor(message: string, readonly presented: boolean) {
    super('auth.invalid_token', message);
  }
}

export function createBearerAuth(services: Services) {
  const audience = managementAudience(services.config.publicUrl);
  // keyed by the provider instance: a key rotation rebuilds it (announced to every process), and so the key set
  const keySets = new WeakMap<object, JWTVerifyGetKey>();

  async function keys(): Promise<{ issuer: string; tenantId: string; keySet: JWTVerifyGetKey; permissionsClaim: string }> {
    const system = await services.providers.get(systemSlug);
    if (!system) throw new InvalidToken('The installation has no system tenant.', true);
    let keySet = keySets.get(system);
    if (!keySet) {
      const { jwks } = await services.keys.loadJwks(system.tenant.id);
      keySet = createLocalJWKSet(publicJwks(jwks));
      keySets.set(system, keySet);
    }
    return { issuer: system.tenant.issuer, tenantId: system.tenant.id, keySet, permissionsClaim: system.tenant.settings.rbac.permissionsClaim };
  }

  // issue #19: full rights on the one tenant TESSERA_DEV_TENANT names, only where config says development
  function developmentPrincipal(token: string): Principal {
    const dev = services.config.developmentToken;
    if (dev.state !== 'on' || !isDevelopmentToken(token, dev.tenant, dev.secret)) throw new InvalidToken('Development tokens are not accepted by this server.', true);
    return { actor: `dev-token:${dev.tenant}`, scopes: new Set(managementScopes.filter((scope) => scope !== 'operators:write')), tenants: [dev.tenant] };
  }

  return {
    /** @throws InvalidToken when the header is missing, malformed, or the token is not a live Management API token */
    async authenticate(authorization: string | undefined): Promise<Principal> {
      if (!authorization) throw new InvalidToken('An access token is required: Authorization: Bearer <token>.', false);
      const token = bearerSyntax.exec(authorization)?.[1];
      if (!token) throw new InvalidToken('The Authorization header must be "Bearer <token>".', true);
      if (looksLikeDevelopmentToken(token)) return developmentPrincipal(token);
      const { issuer, tenantId, keySet, permissionsClaim } = await keys();
      // the same rules as any resource server of ours (RFC 9068 §4, no sender-constrained token as a bearer one)
      const verdict = await verifyAccessToken(token, keySet, { issuer, audience });
      if (!verdict.ok) throw new InvalidToken(`Not a Management API token of this installation's system tenant: ${verdict.description}.`, true);
      const payload = verdict.claims;
      if (typeof payload.jti === 'string' && await services.revokedAccessTokens.isRevoked(tenantId, payload.jti)) {
        throw new InvalidToken('The access token was revoked.', true);
      }
      const clientId = payload.client_id;
      if (typeof clientId !== 'string') throw new InvalidToken('The access token names no client.', true);
      // a deleted client's tokens stop working at once rather than when they expire
      const client = await services.clients.sourceFor(tenantId).find(clientId);
      if (!client || client.disabled === true) throw new InvalidToken('The client of this access token no longer exists or is disabled.', true);
      let scopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [];
      // A token a system-tenant user obtained through some client carries that client's scopes: the user acts only
      // within what their operator roles permit (a viewer must not write through a client registered for writes).
      const sub = payload.sub;
      if (sub === clientId) {
        return { actor: `client:${clientId}`, clientId, scopes: new Set(scopes), tenants: operatorTenants({ client: client.operator_tenants }) };
      }
      if (typeof sub !== 'string') throw new InvalidToken('The access token names no subject.', true);
      const held = payload[permissionsClaim];
      scopes = scopes.filter((scope) => Array.isArray(held) && held.includes(scope));
      // the operator's own tenant restriction, read now: a tenant taken from them is gone from their live tokens too
      const user = await services.userAdmin.find({ id: tenantId, slug: systemSlug }, sub).catch((error: unknown) => {
        if (error instanceof AppError && error.code === 'user.not_found') return null;
        throw error;
      });
      if (!user || user.disabled) throw new InvalidToken('The operator of this access token no longer exists or is disabled.', true);
      return {
        actor: `operator:${sub}`,
        clientId,
        scopes: new Set(scopes),
        tenants: operatorTenants({ client: client.operator_tenants, user: user.metadata.tenants }),
      };
    },
  };
}

export type BearerAuth = ReturnType<typeof createBearerAuth>;
