// Management API callers present access tokens the system tenant issued (RFC 9068 JWTs for the audience
// `{PUBLIC_URL}/api`), checked here against its keys without a call to the provider per request.
import { createLocalJWKSet, jwtVerify, type JWK, type JWTVerifyGetKey } from 'jose';
import type { Services } from '../services.js';
import { AppError } from '../errors/app-error.js';
import { managementAudience, systemSlug } from '../tenants/system-tenant.js';
import type { Principal } from './operation.js';

// RFC 6750 §2.1 b64token
const bearerSyntax = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i;
const privateMembers = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']);

export class InvalidToken extends AppError {
  constructor(message: string, readonly presented: boolean) {
    super('auth.invalid_token', message);
  }
}

export function createBearerAuth(services: Services) {
  const audience = managementAudience(services.config.publicUrl);
  // keyed by the provider instance: a key rotation rebuilds it (announced to every process), and so the key set
  const keySets = new WeakMap<object, JWTVerifyGetKey>();

  async function keys(): Promise<{ issuer: string; tenantId: string; keySet: JWTVerifyGetKey }> {
    const system = await services.providers.get(systemSlug);
    if (!system) throw new InvalidToken('The installation has no system tenant.', true);
    let keySet = keySets.get(system);
    if (!keySet) {
      const { jwks } = await services.keys.loadJwks(system.tenant.id);
      const publicKeys = jwks.keys.map((key) => Object.fromEntries(Object.entries(key).filter(([name]) => !privateMembers.has(name))) as JWK);
      keySet = createLocalJWKSet({ keys: publicKeys });
      keySets.set(system, keySet);
    }
    return { issuer: system.tenant.issuer, tenantId: system.tenant.id, keySet };
  }

  return {
    /** @throws InvalidToken when the header is missing, malformed, or the token is not a live Management API token */
    async authenticate(authorization: string | undefined): Promise<Principal> {
      if (!authorization) throw new InvalidToken('An access token is required: Authorization: Bearer <token>.', false);
      const token = bearerSyntax.exec(authorization)?.[1];
      if (!token) throw new InvalidToken('The Authorization header must be "Bearer <token>".', true);
      const { issuer, tenantId, keySet } = await keys();
      let payload;
      try {
        ({ payload } = await jwtVerify(token, keySet, { issuer, audience, typ: 'at+jwt', algorithms: ['RS256', 'ES256', 'EdDSA'], requiredClaims: ['exp', 'client_id'] }));
      } catch {
        throw new InvalidToken('The access token is expired, or was not issued by this installation\'s system tenant for the Management API.', true);
      }
      const clientId = payload.client_id;
      if (typeof clientId !== 'string') throw new InvalidToken('The access token names no client.', true);
      // a deleted client's tokens stop working at once rather than when they expire
      const client = await services.clients.sourceFor(tenantId).find(clientId);
      if (!client || client.disabled === true) throw new InvalidToken('The client of this access token no longer exists or is disabled.', true);
      const tenants = client.operator_tenants;
      return {
        actor: `client:${clientId}`,
        clientId,
        scopes: new Set(typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : []),
        tenants: Array.isArray(tenants) ? tenants.filter((slug): slug is string => typeof slug === 'string') : null,
      };
    },
  };
}

export type BearerAuth = ReturnType<typeof createBearerAuth>;
