// OpenID Connect upstreams — Google, Apple and any issuer with discovery — through openid-client: discovery,
// authorization code + PKCE + state + nonce, then the id_token verified with jose against the issuer's JWKS
// (signature, issuer, audience, expiry, nonce) rather than trusted for having come over TLS. Apple on top:
// response_mode=form_post, a client secret that is an ES256 JWT (VENDORS.md §7), the name only in the first
// callback's `user` field. Google: the `hd` claim checked when the tenant restricts the hosted domain.
import * as client from 'openid-client';
import { createRemoteJWKSet, customFetch, importPKCS8, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { defaultScopes, type ConnectionSettings } from '../../tenants/connection-settings.js';
import { assertedTrue, text, upstreamEmail, UpstreamError, type CallbackInput, type Connector, type UpstreamProfile } from './upstream.js';

type OidcConnection = Extract<ConnectionSettings, { type: 'google' | 'oidc' | 'apple' }>;

const METADATA_TTL_MS = 3600_000;
// Google also issues id_tokens with its legacy issuer (VENDORS.md §5)
const GOOGLE_ISSUER = 'https://accounts.google.com';
const APPLE_AUDIENCE = 'https://appleid.apple.com';

/** `outboundFetch`: every call to an upstream (discovery, JWKS, token, userinfo) goes through it */
export function createOidcConnectors(outboundFetch: typeof fetch) {
  const metadata = new Map<string, { at: number; server: client.ServerMetadata }>();
  const jwks = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

  async function serverMetadata(issuer: string, timeoutMs: number): Promise<client.ServerMetadata> {
    const cached = metadata.get(issuer);
    if (cached && Date.now() - cached.at < METADATA_TTL_MS) return cached.server;
    try {
      const discovered = await client.discovery(new URL(issuer), 'discovery', undefined, undefined, {
        execute: issuer.startsWith('http://') ? [client.allowInsecureRequests] : [], timeout: Math.ceil(timeoutMs / 1000),
        [client.customFetch]: outboundFetch as client.CustomFetch,
      });
      const server = discovered.serverMetadata();
      metadata.set(issuer, { at: Date.now(), server });
      return server;
    } catch (error) {
      throw asUpstreamError(error, `discovery of ${issuer}`);
    }
  }

  function keySet(uri: string, timeoutMs: number) {
    let set = jwks.get(uri);
    if (!set) jwks.set(uri, (set = createRemoteJWKSet(new URL(uri), { timeoutDuration: timeoutMs, [customFetch]: outboundFetch })));
    return set;
  }

  async function clientAuth(connection: OidcConnection, secret: string | null): Promise<client.ClientAuth> {
    if (connection.type === 'apple') {
      // A fresh, short-lived secret per exchange: Apple allows up to six months, a leak should not be worth that.
      const key = await importPKCS8(secret!, 'ES256');
      const jwt = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: connection.keyId }).setIssuer(connection.teamId)
        .setSubject(connection.clientId).setAudience(APPLE_AUDIENCE).setIssuedAt().setExpirationTime('5m').sign(key);
      return client.ClientSecretPost(jwt);
    }
    if (!secret) return client.None();
    return connection.type === 'oidc' && connection.tokenEndpointAuthMethod === 'client_secret_post' ? client.ClientSecretPost(secret) : client.ClientSecretBasic(secret);
  }

  async function configuration(connection: OidcConnection, secret: string | null): Promise<client.Configuration> {
    const server = await serverMetadata(connection.issuer, connection.timeoutMs);
    const config = new client.Configuration(server, connection.clientId, undefined, await clientAuth(connection, secret));
    if (connection.issuer.startsWith('http://')) client.allowInsecureRequests(config);
    config.timeout = Math.ceil(connection.timeoutMs / 1000);
    config[client.customFetch] = outboundFetch as client.CustomFetch;
    return config;
  }

  async function verifiedIdToken(connection: OidcConnection, server: client.ServerMetadata, idToken: string, nonce: string): Promise<JWTPayload> {
    if (!server.jwks_uri) throw new UpstreamError('invalid_response', 'the issuer publishes no jwks_uri');
    const issuers = connection.issuer === GOOGLE_ISSUER ? [GOOGLE_ISSUER, 'accounts.google.com'] : [server.issuer];
    try {
      const { payload } = await jwtVerify(idToken, keySet(server.jwks_uri, connection.timeoutMs), { issuer: issuers, audience: connection.clientId, clockTolerance: 60 });
      if (payload.nonce !== nonce) throw new UpstreamError('invalid_response', 'id_token nonce mismatch');
      return payload;
    } catch (error) {
      if (error instanceof UpstreamError) throw error;
      throw new UpstreamError('invalid_response', `id_token rejected (${(error as { code?: string }).code ?? (error as Error).name})`);
    }
  }

  /** Apple's `user` form field: {"name":{"firstName","lastName"},"email"}, sent on the first authorization only */
  function appleName(params: URLSearchParams): string | null {
    try {
      const user = JSON.parse(params.get('user') ?? 'null') as { name?: { firstName?: unknown; lastName?: unknown } } | null;
      return text([text(user?.name?.firstName), text(user?.name?.lastName)].filter(Boolean).join(' '));
    } catch {
      return null;
    }
  }

  return {
    /** @param secret the unsealed client secret (Apple: the .p8 private key) */
    connector(connection: OidcConnection, secret: string | null): Connector {
      const scopes = connection.scopes ?? defaultScopes[connection.type];
      return {
        responseMode: connection.type === 'apple' ? 'form_post' : 'query',
        async authorizationUrl({ redirectUri, state, nonce, codeChallenge }) {
          const config = await configuration(connection, secret);
          return client.buildAuthorizationUrl(config, {
            redirect_uri: redirectUri, scope: scopes.join(' '), state, nonce, code_challenge: codeChallenge, code_challenge_method: 'S256',
            ...(connection.type === 'apple' ? { response_mode: 'form_post' } : {}),
            ...(connection.type === 'google' && connection.hostedDomain ? { hd: connection.hostedDomain } : {}),
          });
        },
        async complete(input: CallbackInput): Promise<UpstreamProfile> {
          const error = input.params.get('error');
          if (error) throw new UpstreamError('denied', error.slice(0, 64));
          const config = await configuration(connection, secret);
          const current = new URL(input.redirectUri);
          for (const [key, value] of input.params) if (key !== 'user') current.searchParams.set(key, value);
          let tokens;
          try {
            tokens = await client.authorizationCodeGrant(config, current, {
              pkceCodeVerifier: input.codeVerifier, expectedState: input.state, expectedNonce: input.nonce, idTokenExpected: true,
            });
          } catch (err) {
            throw asUpstreamError(err, 'code exchange');
          }
          const verified = await verifiedIdToken(connection, config.serverMetadata(), tokens.id_token!, input.nonce);
          // An issuer may keep the profile out of the id_token (OIDC Core 5.4: claims requested by scope are
          // returned from userinfo when an access token is issued): ask userinfo, for the same subject only.
          const claims = verified.email === undefined && config.serverMetadata().userinfo_endpoint
            ? { ...(await userinfo(config, tokens.access_token, String(verified.sub))), ...verified }
            : verified;
          if (connection.type === 'google' && connection.hostedDomain && claims.hd !== connection.hostedDomain) {
            throw new UpstreamError('not_allowed', 'the Google account is not in the hosted domain');
          }
          const email = upstreamEmail(claims.email);
          const joined = text([text(claims.given_name), text(claims.family_name)].filter(Boolean).join(' '));
          return {
            subject: String(claims.sub), email, emailVerified: !!email && assertedTrue(claims.email_verified),
            name: text(claims.name) ?? joined ?? (connection.type === 'apple' ? appleName(input.params) : null),
            picture: text(claims.picture, 2048), issuer: config.serverMetadata().issuer,
          };
        },
      };
    },
  };
}

async function userinfo(config: client.Configuration, accessToken: string, sub: string): Promise<Record<string, unknown>> {
  try {
    return await client.fetchUserInfo(config, accessToken, sub);
  } catch (error) {
    throw asUpstreamError(error, 'userinfo');
  }
}

/**
 * openid-client's errors, as what the sign-in flow can tell the user. Every transport failure (timeout, refused,
 * not allowed by OUTBOUND_POLICY) reads the same: told apart in the tenant's audit log they would make the issuer
 * setting a port probe.
 */
function asUpstreamError(error: unknown, what: string): UpstreamError {
  if (error instanceof UpstreamError) return error;
  const e = error as { name?: string; code?: string; error?: string; cause?: { name?: string; code?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || e.cause?.name === 'TimeoutError' || (e.name === 'TypeError' && /fetch/i.test(String((error as Error).message)))) {
    return new UpstreamError('unreachable', `${what}: unreachable`);
  }
  if (e.code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' && e.cause?.code === 'ECONNREFUSED') return new UpstreamError('unreachable', `${what}: unreachable`);
  return new UpstreamError('invalid_response', `${what}: ${e.error ?? e.code ?? e.name ?? 'error'}`);
}

export type OidcConnectors = ReturnType<typeof createOidcConnectors>;
