// The bench's reference point: oidc-provider alone, in-memory adapter, one static client per issuer, configured
// like a Tessera tenant (same features, scopes, claims and response types, so discovery documents match; the
// same key set — RSA 2048, P-256, Ed25519 — so JWKS documents match; client_credentials tokens are RFC 9068
// JWTs for a default resource). One process, one Provider and one http server per issuer (BARE_ISSUERS).
import { createServer, type Server } from 'node:http';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider, { errors, type Configuration } from 'oidc-provider';
import { standardClaims } from '../../src/validation/standard-claims.js';

export interface BareIssuer {
  port: number;
  /** access-token signing alg of the default resource */
  alg: 'RS256' | 'ES256';
  clientId: string;
  clientSecret: string;
}

async function key(alg: 'RS256' | 'ES256' | 'EdDSA'): Promise<JWK> {
  const options = alg === 'EdDSA' ? { crv: 'Ed25519' } : alg === 'RS256' ? { modulusLength: 2048 } : {};
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...options });
  return { ...(await exportJWK(privateKey)), kid: await calculateJwkThumbprint(await exportJWK(publicKey)), alg, use: 'sig' };
}

async function configuration(issuer: string, spec: BareIssuer): Promise<Configuration> {
  const resource = `${issuer}/api`;
  const jwa = ['RS256', 'ES256', 'EdDSA'];
  return {
    clients: [{
      client_id: spec.clientId,
      client_secret: spec.clientSecret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    jwks: { keys: [await key('RS256'), await key('ES256'), await key('EdDSA')] } as Configuration['jwks'],
    claims: standardClaims as unknown as Configuration['claims'],
    scopes: ['openid', 'offline_access', 'profile', 'email', 'phone', 'address'],
    responseTypes: ['code'],
    cookies: { keys: ['bare-provider-cookie-secret-not-used-by-the-bench'] },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    enabledJWA: {
      idTokenSigningAlgValues: jwa as never,
      userinfoSigningAlgValues: jwa as never,
      introspectionSigningAlgValues: jwa as never,
      authorizationSigningAlgValues: jwa as never,
    },
    discovery: { ui_locales_supported: ['en'], claims_locales_supported: ['en'] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      claimsParameter: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx, _client, oneOf) => oneOf ?? resource,
        useGrantedResource: async () => false,
        getResourceServerInfo: async (_ctx, indicator) => {
          if (indicator !== resource) throw new errors.InvalidTarget();
          return { scope: '', audience: indicator, accessTokenTTL: 3600, accessTokenFormat: 'jwt', jwt: { sign: { alg: spec.alg } } };
        },
      },
    },
  };
}

async function main() {
  const issuers = JSON.parse(process.env.BARE_ISSUERS ?? '[]') as BareIssuer[];
  if (!issuers.length) throw new Error('BARE_ISSUERS (JSON) is required');
  const servers: Server[] = [];
  for (const spec of issuers) {
    const issuer = `http://127.0.0.1:${spec.port}`;
    const provider = new Provider(issuer, await configuration(issuer, spec));
    const server = createServer(provider.callback());
    server.keepAliveTimeout = 65_000; // as Tessera's main.ts
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(spec.port, '127.0.0.1', resolve);
    });
    servers.push(server);
  }
  // exit through process.exit so `node --cpu-prof` writes its profile
  process.once('SIGTERM', () => {
    for (const server of servers) server.closeAllConnections();
    process.exit(0);
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`bare provider failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
