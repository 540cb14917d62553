// The bench's reference point: oidc-provider alone, in-memory adapter, one static client per issuer, configured
// like a Tessera tenant (same features, scopes, claims and response types, so discovery documents match; the
// same key set — RSA 2048, P-256, Ed25519 — so JWKS documents match; client_credentials tokens are RFC 9068
// JWTs for a default resource). One process, one Provider and one http server per issuer (BARE_ISSUERS).
// For the refresh step each issuer also has a confidential code + refresh_token client, rotating every refresh
// token and answering with an ID token and an opaque access token, as Tessera's refresh does; the library's own
// refresh-vs-client_credentials ratio is what Tessera's is read against. A refresh token is minted as a finished
// sign-in would leave it (a Grant for `openid offline_access`, then the token) by a POST (bare-refresh.ts) on
// BARE_CONTROL_PORT, a server of its own: the measured servers answer nothing but the provider.
import { createServer, type Server } from 'node:http';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider, { errors, type Configuration } from 'oidc-provider';
import { standardClaims } from '../../src/validation/standard-claims.js';
import { bareMintPath, bareRefreshClientId, bareRefreshRedirectUri } from './bare-refresh.js';

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
    }, {
      client_id: bareRefreshClientId(spec.clientId),
      client_secret: spec.clientSecret,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [bareRefreshRedirectUri],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    // Tessera rotates every refresh token (src/oidc/provider-config.ts)
    rotateRefreshToken: true,
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
        // the machine client's tokens are for the API; a user's refresh gets an opaque token (userinfo), as in Tessera
        defaultResource: async (_ctx, client, oneOf) => oneOf ?? (client?.clientId === spec.clientId ? resource : undefined),
        useGrantedResource: async () => false,
        getResourceServerInfo: async (_ctx, indicator) => {
          if (indicator !== resource) throw new errors.InvalidTarget();
          return { scope: '', audience: indicator, accessTokenTTL: 3600, accessTokenFormat: 'jwt', jwt: { sign: { alg: spec.alg } } };
        },
      },
    },
  };
}

/** a refresh token of a new user's `openid offline_access` grant to the issuer's refresh client */
async function mintRefreshToken(provider: Provider, spec: BareIssuer, user: number): Promise<string> {
  const client = await provider.Client.find(bareRefreshClientId(spec.clientId));
  if (!client) throw new Error('no refresh client');
  const accountId = `bench-user-${user}`;
  const grant = new provider.Grant({ clientId: client.clientId, accountId });
  grant.addOIDCScope('openid offline_access');
  const grantId = await grant.save();
  const token = new provider.RefreshToken({ client, accountId, grantId, scope: 'openid offline_access', gty: 'authorization_code', authTime: Math.floor(Date.now() / 1000) });
  return token.save();
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
}

async function main() {
  const issuers = JSON.parse(process.env.BARE_ISSUERS ?? '[]') as BareIssuer[];
  if (!issuers.length) throw new Error('BARE_ISSUERS (JSON) is required');
  const servers: Server[] = [];
  const providers = new Map<string, [Provider, BareIssuer]>();
  for (const spec of issuers) {
    const issuer = `http://127.0.0.1:${spec.port}`;
    const provider = new Provider(issuer, await configuration(issuer, spec));
    providers.set(bareMintPath(spec.port), [provider, spec]);
    const server = createServer(provider.callback());
    server.keepAliveTimeout = 65_000; // as Tessera's main.ts
    await listen(server, spec.port);
    servers.push(server);
  }
  if (process.env.BARE_CONTROL_PORT) {
    let users = 0;
    const control = createServer((req, res) => {
      const found = req.method === 'POST' ? providers.get(req.url ?? '') : undefined;
      if (!found) return void res.writeHead(404).end();
      mintRefreshToken(found[0], found[1], users++).then(
        (token) => res.writeHead(200, { 'content-type': 'text/plain' }).end(token),
        (error: unknown) => res.writeHead(500).end(String(error)),
      );
    });
    await listen(control, Number(process.env.BARE_CONTROL_PORT));
    servers.push(control);
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
