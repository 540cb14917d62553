// `tessera/verify`: the one line a resource server needs to trust a Tessera access token (issue #18 §2):
//   const { verify } = createVerifier({ issuer: 'https://id.example.com/t/acme', audience: 'https://api.example.com' });
// Offline: the issuer's JWKS (found through discovery) is fetched once and kept; a token naming a kid the cache
// does not know refetches it, at most once per cool-down, which is how a rotated key is picked up without letting
// tokens with random kids turn into a request flood against the issuer. Only the algorithms of the published keys
// are accepted, so `alg: none`, HS256 signed with the public key (algorithm confusion) and any algorithm the issuer
// does not publish are refused before a signature is even tried. Depends on jose only.
import { productionSignal } from '../config/production-signals.js';
import { isDevelopmentToken, looksLikeDevelopmentToken } from '../config/development-token.js';
import { createLocalJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from 'jose';

export interface VerifierOptions {
  /** the tenant's issuer, e.g. https://id.example.com/t/acme */
  readonly issuer: string;
  /** this API's identifier as registered in the tenant (the token's `aud`) */
  readonly audience: string;
  /** where the signing keys are; default: `jwks_uri` of the issuer's discovery document */
  readonly jwksUri?: string;
  /** seconds of clock difference tolerated on exp/nbf/iat; default 5 */
  readonly clockToleranceSeconds?: number;
  /** seconds between two JWKS refetches caused by an unknown kid; default 30 */
  readonly refetchCooldownSeconds?: number;
  /** the claim holding permissions (the tenant's `rbac.permissionsClaim`); default `permissions` */
  readonly permissionsClaim?: string;
  /**
   * Accept this tenant's development token (`tessera_dev_...`, issue #19) with full rights. Off unless given, and
   * even then refused wherever `env` (default process.env) signals production: a platform marker, PRODUCTION=true,
   * or no explicit NODE_ENV/TESSERA_ENV=development.
   */
  readonly developmentTokens?: { readonly tenant: string; readonly secret: string; readonly env?: Readonly<Record<string, string | undefined>> };
  /** for tests: the fetch used for discovery and JWKS */
  readonly fetch?: typeof fetch;
}

/** the verified claims of an access token (RFC 9068 §2.2), with Tessera's RBAC claims as lists */
export interface AccessTokenClaims extends JWTPayload {
  readonly sub: string;
  readonly client_id: string;
  readonly roles: string[];
  readonly permissions: string[];
  /** the scopes, split from the space-delimited `scope` */
  readonly scopes: string[];
  readonly scope?: string;
  /** how the user signed in (RFC 8176), on a user's token */
  readonly amr?: string[];
  readonly acr?: string;
  /** when the user signed in, epoch seconds (RFC 9068 §2.2.1), on a user's token */
  readonly auth_time?: number;
  /** true only for a development token the verifier was opted in to accept: every requirement is met */
  readonly development?: true;
}

/** Thrown by `verify`: `invalid_token` for a token that must be refused, `temporarily_unavailable` when the keys cannot be fetched. */
export class TokenVerificationError extends Error {
  constructor(readonly code: 'invalid_token' | 'temporarily_unavailable', message: string) {
    super(message);
    this.name = 'TokenVerificationError';
  }
}

// asymmetric algorithms only: a symmetric one would let anyone holding the public JWKS mint tokens
const asymmetric = /^(RS|PS|ES)(256|384|512)$|^EdDSA$|^Ed25519$/;

/** names from a JSON array of strings or a space-delimited string */
export function listOf(value: unknown): string[] {
  if (typeof value === 'string') return value.split(' ').filter(Boolean);
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

interface KeyCache { readonly getKey: JWTVerifyGetKey; readonly algorithms: string[]; readonly kids: Set<string> }

export function createVerifier(options: VerifierOptions) {
  const fetchImpl = options.fetch ?? fetch;
  const cooldownMs = (options.refetchCooldownSeconds ?? 30) * 1000;
  const permissionsClaim = options.permissionsClaim ?? 'permissions';
  let cache: Promise<KeyCache> | undefined;
  let fetchedAt = 0;

  async function getJson(url: string): Promise<unknown> {
    const response = await fetchImpl(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(5000) });
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    return response.json();
  }

  async function load(): Promise<KeyCache> {
    let jwksUri = options.jwksUri;
    if (!jwksUri) {
      const metadata = (await getJson(`${options.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`)) as { issuer?: unknown; jwks_uri?: unknown };
      // OpenID Connect Discovery §4.3: the document must be the issuer's own
      if (metadata.issuer !== options.issuer || typeof metadata.jwks_uri !== 'string') throw new Error('discovery document does not match the issuer');
      jwksUri = metadata.jwks_uri;
    }
    const jwks = (await getJson(jwksUri)) as JSONWebKeySet;
    if (!Array.isArray(jwks?.keys)) throw new Error('the JWKS has no keys');
    // signing keys only (RFC 7517 §4.2/§4.3), each bound to the algorithm it publishes
    const keys = jwks.keys.filter((k) => typeof k.alg === 'string' && asymmetric.test(k.alg) && (k.use === undefined || k.use === 'sig') && (!k.key_ops || k.key_ops.includes('verify')) && !('d' in k));
    fetchedAt = Date.now();
    return {
      getKey: createLocalJWKSet({ keys }),
      algorithms: [...new Set(keys.map((k) => k.alg!))],
      kids: new Set(keys.map((k) => k.kid).filter((kid): kid is string => typeof kid === 'string')),
    };
  }

  function keys(forceRefetch = false): Promise<KeyCache> {
    if (forceRefetch && Date.now() - fetchedAt >= cooldownMs) cache = undefined;
    cache ??= load().catch((error: unknown) => {
      cache = undefined; // a failed fetch is retried by the next token, not remembered
      throw error;
    });
    return cache;
  }

  function kidOf(token: string): string | undefined {
    try {
      const header = JSON.parse(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString()) as { kid?: unknown };
      return typeof header.kid === 'string' ? header.kid : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * The claims of `token` when it is an access token of this issuer for this audience.
   * @throws TokenVerificationError invalid_token | temporarily_unavailable
   */
  async function verify(token: string): Promise<AccessTokenClaims> {
    if (looksLikeDevelopmentToken(token)) return verifyDevelopmentToken(token);
    let keyCache: KeyCache;
    try {
      keyCache = await keys();
      const kid = kidOf(token);
      if (kid !== undefined && !keyCache.kids.has(kid)) keyCache = await keys(true);
    } catch {
      throw new TokenVerificationError('temporarily_unavailable', 'the signing keys could not be fetched');
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keyCache.getKey, {
        issuer: options.issuer,
        audience: options.audience,
        typ: 'at+jwt',
        algorithms: keyCache.algorithms,
        requiredClaims: ['exp', 'sub', 'client_id'],
        clockTolerance: options.clockToleranceSeconds ?? 5,
      }));
    } catch (error) {
      throw new TokenVerificationError('invalid_token', describe(error));
    }
    const cnf = payload.cnf;
    if (cnf && typeof cnf === 'object' && Object.keys(cnf).length) {
      throw new TokenVerificationError('invalid_token', 'the access token is bound to a key (DPoP or mTLS) and cannot be used as a bearer token');
    }
    return {
      ...payload,
      sub: String(payload.sub),
      client_id: String(payload.client_id),
      roles: listOf(payload.roles),
      permissions: listOf(payload[permissionsClaim]),
      scopes: listOf(payload.scope),
      ...(payload.amr !== undefined ? { amr: listOf(payload.amr) } : {}),
    } as AccessTokenClaims;
  }

  function verifyDevelopmentToken(token: string): AccessTokenClaims {
    const dev = options.developmentTokens;
    if (!dev) throw new TokenVerificationError('invalid_token', 'development tokens are refused (the verifier does not opt in to them)');
    const blockedBy = productionSignal(dev.env ?? process.env);
    if (blockedBy) throw new TokenVerificationError('invalid_token', `development tokens are refused in production: ${blockedBy}`);
    if (!isDevelopmentToken(token, dev.tenant, dev.secret)) throw new TokenVerificationError('invalid_token', 'not the development token of this tenant');
    return { iss: options.issuer, aud: options.audience, sub: `dev:${dev.tenant}`, client_id: 'tessera_dev', roles: [], permissions: [], scopes: [], development: true };
  }

  return { verify };
}

function describe(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'the access token expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    return `the access token was refused: ${error.claim === 'typ' ? 'it is not an access token (typ at+jwt)' : `its ${error.claim} claim is not valid here`}`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'the access token is signed with an algorithm the issuer does not publish';
  return 'the access token is malformed or its signature does not verify';
}

export type Verifier = ReturnType<typeof createVerifier>;
