// OAuth clients of a tenant. Secrets are generated here, shown once, and kept only sealed: oidc-provider needs
// the plain secret to check client_secret_basic/post, so hashing is not an option (issue #2), encryption is.
import { createHash, randomBytes } from 'node:crypto';
import type { ClientsRepository } from '../db/clients.repository.js';
import type { Sealer } from '../crypto/sealing.js';
import { AppError, assertThat } from '../errors/app-error.js';
import type { ClientSource } from '../oidc/adapter-factory.js';
import type { ClientCache } from './client-cache.js';
import { openidScopes } from '../validation/standard-claims.js';
import { appSlugPattern, loginTransactionGrantType } from '../oidc/protocol-names.js';
import { defaultReuseIntervalSeconds } from '../oidc/refresh-token-reuse.js';
import { protocolMetadataSchema, type ProtocolMetadata } from './protocol-metadata.js';
import { validate as validateInput } from '../validation/validate.js';

/** the device grant (RFC 8628) and token exchange (RFC 8693) need the tenant's `grants` switched on; implicit its `protocol` */
export const grantTypes = ['authorization_code', 'refresh_token', 'client_credentials', 'implicit', 'urn:ietf:params:oauth:grant-type:device_code', 'urn:ietf:params:oauth:grant-type:token-exchange'] as const;
export const authMethods = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth', 'none'] as const;
/** the methods that authenticate with a secret Tessera generates */
const secretMethods = new Set<string>(['client_secret_basic', 'client_secret_post', 'client_secret_jwt']);
type GrantType = (typeof grantTypes)[number];
type AuthMethod = (typeof authMethods)[number];

export interface CreateClientInput {
  name: string;
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  grants?: string[];
  public?: boolean;
  scope?: string;
  authMethod?: string;
  firstParty?: boolean;
  refreshTokenReuseInterval?: number;
  jwksUri?: string;
  jwks?: { keys: unknown[] };
  /** OpenID Back-Channel Logout: where logout tokens are posted */
  backchannelLogoutUri?: string;
  /** a system-tenant client: the tenants its Management API tokens may touch */
  operatorTenants?: string[];
  /**
   * an app of the backend OTP API (issue #16): a first-party confidential client whose secret travels in the body
   * (client_secret_post), with the refresh and login-transaction grants, the headless capability on and `appSlug`
   * as its tokens' audience; its id starts with the tenant's slug, so the tenant follows from the app id
   */
  headless?: { appSlug: string; tenantSlug: string; allowedOrigins?: string[] };
  /** PAR, DPoP, JAR, JARM, pairwise, mTLS and response-type metadata (protocol-metadata.ts) */
  protocol?: ProtocolMetadata;
}

export interface CreatedClient {
  client_id: string;
  client_secret: string | null;
  client_name: string;
  token_endpoint_auth_method: AuthMethod;
  grant_types: GrantType[];
  redirect_uris: string[];
}

/** checks metadata exactly as the tenant's provider will when it loads the client */
export type MetadataValidator = (metadata: Record<string, unknown>) => Promise<void>;

/** app slugs Tessera keeps for its own clients: the REST auth API's built-in client (rest-api/rest-client.ts) */
export const builtInRestAppSlug = 'tessera-rest';
const reservedAppSlugs: ReadonlySet<string> = new Set([builtInRestAppSlug]);
const appGrants = ['refresh_token', loginTransactionGrantType];

/** what every app's metadata holds (its auth method apart) */
const appMetadata = (name: string, appSlug: string, reuseInterval: number) => ({
  client_name: name, application_type: 'web', grant_types: appGrants, response_types: [] as string[], redirect_uris: [] as string[],
  first_party: true, refresh_token_reuse_interval: reuseInterval, headless: true, app_slug: appSlug,
});

const secretContext = (tenantId: string, clientId: string) => `client-secret:${tenantId}:${clientId}`;
const isWebUri = (uri: string) => /^https?:\/\//i.test(uri);

export function createClientsService(deps: { repository: ClientsRepository; sealer: Sealer; cache: ClientCache }) {
  const { repository, sealer, cache } = deps;

  async function load(tenantId: string, clientId: string): Promise<Record<string, unknown> | undefined> {
    const record = await repository.find(tenantId, clientId);
    if (!record) return undefined;
    return {
      ...record.metadata,
      client_id: record.clientId,
      ...(record.sealedSecret ? { client_secret: sealer.open(record.sealedSecret, secretContext(tenantId, record.clientId)) } : {}),
    };
  }

  /** an app's metadata and a new secret, checked as the tenant's provider will check them */
  async function appRecord(tenantId: string, clientId: string, name: string, appSlug: string, reuseInterval: number, validate: MetadataValidator, allowedOrigins: string[] = []) {
    const secret = randomBytes(32).toString('base64url');
    const metadata: Record<string, unknown> = {
      ...appMetadata(name, appSlug, reuseInterval), token_endpoint_auth_method: 'client_secret_post',
      // the browser origins that may call the REST auth API naming this app (rest-api/rest-cors.ts)
      ...(allowedOrigins.length ? { allowed_origins: [...new Set(allowedOrigins)] } : {}),
    };
    try {
      await validate({ ...metadata, client_id: clientId, client_secret: secret });
    } catch (error) {
      throw new AppError('client.invalid_metadata', (error as { error_description?: string }).error_description ?? (error as Error).message);
    }
    return { secret, record: { clientId, name, metadata, sealedSecret: sealer.seal(secret, secretContext(tenantId, clientId)), firstParty: true } };
  }

  /**
   * The built-in REST client is a public client (RFC 6749 §2.1): the REST API needs no app credentials, so no secret
   * could be kept anywhere, and its refresh tokens are used at the standard token endpoint with `client_id` alone —
   * rotated on every use (oidc-provider rotates for public clients) and replay-checked like every other.
   */
  async function builtInRecord(clientId: string, validate: MetadataValidator) {
    const metadata = { ...appMetadata('REST auth API (built-in)', builtInRestAppSlug, 0), token_endpoint_auth_method: 'none' };
    try {
      await validate({ ...metadata, client_id: clientId });
    } catch (error) {
      throw new AppError('client.invalid_metadata', (error as { error_description?: string }).error_description ?? (error as Error).message);
    }
    return { clientId, name: metadata.client_name, metadata, sealedSecret: null, firstParty: true };
  }

  /** @throws AppError('request.invalid' | 'app.slug_reserved' | 'app.slug_taken' | 'client.invalid_metadata') */
  async function createApp(tenantId: string, name: string, app: NonNullable<CreateClientInput['headless']>, reuseInterval: number, validate: MetadataValidator): Promise<CreatedClient> {
    assertThat(appSlugPattern.test(app.appSlug), 'request.invalid', 'An app slug is 2 to 40 lower-case letters, digits or hyphens, starting with a letter.');
    if (reservedAppSlugs.has(app.appSlug)) throw new AppError('app.slug_reserved');
    // checked before the insert: two creations racing with one slug can both pass (the slug is only an audience)
    if ((await repository.list(tenantId)).some((c) => c.metadata.app_slug === app.appSlug)) throw new AppError('app.slug_taken');
    const clientId = `${app.tenantSlug}.${randomBytes(12).toString('base64url')}`;
    const { secret, record } = await appRecord(tenantId, clientId, name, app.appSlug, reuseInterval, validate, app.allowedOrigins);
    await repository.create(tenantId, record);
    // a new app's origins (CORS preflights) are taken at once, here and in every other process
    await cache.changed(tenantId, clientId);
    return { client_id: clientId, client_secret: secret, client_name: name, token_endpoint_auth_method: 'client_secret_post', grant_types: appGrants as GrantType[], redirect_uris: [] };
  }

  return {
    /**
     * The tenant's built-in REST client (app slug `tessera-rest`, a public client: builtInRecord), created on first use
     * and made public if an older version made it confidential. Its id is derived from the tenant, so concurrent first
     * calls in any number of processes insert the same row: one insert wins (ON CONFLICT DO NOTHING) and every caller
     * answers with that id.
     * @throws AppError('client.invalid_metadata')
     */
    async ensureBuiltInRestApp(tenantId: string, tenantSlug: string, validate: MetadataValidator): Promise<string> {
      const clientId = `${tenantSlug}.${createHash('sha256').update(`${builtInRestAppSlug}\0${tenantId}`).digest('base64url').slice(0, 16)}`;
      const existing = await repository.find(tenantId, clientId);
      if (!existing) {
        await repository.createIfAbsent(tenantId, await builtInRecord(clientId, validate));
      } else if (existing.metadata.token_endpoint_auth_method !== 'none') {
        // made before it was public (client_secret_post with a secret nobody kept): made public in place, so its live
        // refresh tokens and sessions carry on and now work at the token endpoint too
        await repository.update(tenantId, clientId, { metadata: { ...existing.metadata, token_endpoint_auth_method: 'none' }, sealedSecret: null });
        await cache.changed(tenantId, clientId);
      }
      return clientId;
    },
    /** @throws AppError('client.invalid_metadata' | 'request.invalid' | 'app.slug_reserved' | 'app.slug_taken') */
    async create(tenantId: string, input: CreateClientInput, validate: MetadataValidator): Promise<CreatedClient> {
      const name = input.name?.trim();
      assertThat(name && name.length <= 100, 'request.invalid', 'A client name is 1 to 100 characters.');
      if (input.headless) return createApp(tenantId, name, input.headless, input.refreshTokenReuseInterval ?? defaultReuseIntervalSeconds, validate);
      const redirectUris = input.redirectUris ?? [];
      const grants = (input.grants?.length ? input.grants : redirectUris.length ? ['authorization_code', 'refresh_token'] : ['client_credentials']);
      const unknownGrant = grants.find((g) => !(grantTypes as readonly string[]).includes(g));
      if (unknownGrant) throw new AppError('client.invalid_metadata', `Unknown grant "${unknownGrant}"; use ${grantTypes.join(', ')}.`);
      const authMethod = (input.authMethod ?? (input.public ? 'none' : 'client_secret_basic')) as AuthMethod;
      if (!authMethods.includes(authMethod)) throw new AppError('client.invalid_metadata', `Unknown auth method "${authMethod}"; use ${authMethods.join(', ')}.`);
      if (input.public && authMethod !== 'none') throw new AppError('client.invalid_metadata', 'A public client authenticates with "none".');
      if (authMethod === 'none' && grants.includes('client_credentials')) {
        throw new AppError('client.invalid_metadata', 'client_credentials needs a client that can authenticate; a public client cannot use it.');
      }
      const scopes = [...new Set((input.scope ?? '').split(' ').filter(Boolean))];
      if (grants.includes('authorization_code') && scopes.length && !scopes.includes('openid')) {
        throw new AppError('client.invalid_metadata', 'A client that signs users in must be allowed the "openid" scope: add it to --scope.');
      }
      if ((authMethod === 'private_key_jwt' || authMethod === 'self_signed_tls_client_auth') && !input.jwksUri && !input.jwks) {
        throw new AppError('client.invalid_metadata', `${authMethod} needs the client's public keys: give --jwks-uri or --jwks.`);
      }
      const protocol = validateInput(protocolMetadataSchema, input.protocol ?? {});

      const clientId = randomBytes(12).toString('base64url');
      const secret = secretMethods.has(authMethod) ? randomBytes(32).toString('base64url') : null;
      const metadata: Record<string, unknown> = {
        client_name: name,
        application_type: redirectUris.every(isWebUri) ? 'web' : 'native',
        grant_types: grants,
        response_types: grants.includes('authorization_code') ? ['code'] : [],
        redirect_uris: redirectUris,
        post_logout_redirect_uris: input.postLogoutRedirectUris ?? [],
        token_endpoint_auth_method: authMethod,
        // oidc-provider refuses scopes other than its own in `scope`, so the API's scopes go to `api_scope`.
        ...(scopes.some((s) => openidScopes.has(s)) ? { scope: scopes.filter((s) => openidScopes.has(s)).join(' ') } : {}),
        ...(scopes.some((s) => !openidScopes.has(s)) ? { api_scope: scopes.filter((s) => !openidScopes.has(s)).join(' ') } : {}),
        ...(input.jwksUri ? { jwks_uri: input.jwksUri } : {}),
        ...(input.jwks ? { jwks: input.jwks } : {}),
        first_party: input.firstParty ?? false,
        refresh_token_reuse_interval: input.refreshTokenReuseInterval ?? defaultReuseIntervalSeconds,
        ...(input.backchannelLogoutUri ? { backchannel_logout_uri: input.backchannelLogoutUri, backchannel_logout_session_required: true } : {}),
        ...(input.operatorTenants?.length ? { operator_tenants: input.operatorTenants } : {}),
        ...protocol,
      };
      try {
        await validate({ ...metadata, client_id: clientId, ...(secret ? { client_secret: secret } : {}) });
      } catch (error) {
        const description = (error as { error_description?: string }).error_description ?? (error as Error).message;
        throw new AppError('client.invalid_metadata', description);
      }
      await repository.create(tenantId, {
        clientId,
        name,
        metadata,
        sealedSecret: secret ? sealer.seal(secret, secretContext(tenantId, clientId)) : null,
        firstParty: input.firstParty ?? false,
      });
      return { client_id: clientId, client_secret: secret, client_name: name, token_endpoint_auth_method: authMethod, grant_types: grants as GrantType[], redirect_uris: redirectUris };
    },
    /** what oidc-provider loads for a client id: its metadata with the unsealed secret (cached, client-cache.ts) */
    sourceFor(tenantId: string): ClientSource {
      return {
        find: (clientId) => cache.get(tenantId, clientId, () => load(tenantId, clientId)),
        peek: (clientId) => cache.peek(tenantId, clientId),
        async save(clientId, stored) {
          const { client_id: _id, client_secret: secret, ...metadata } = stored;
          void _id;
          const name = typeof metadata.client_name === 'string' && metadata.client_name.trim() ? metadata.client_name.trim().slice(0, 100) : clientId;
          const sealedSecret = typeof secret === 'string' ? sealer.seal(secret, secretContext(tenantId, clientId)) : null;
          const updated = await repository.update(tenantId, clientId, { name, metadata, sealedSecret, firstParty: false });
          if (!updated) await repository.create(tenantId, { clientId, name, metadata, sealedSecret, firstParty: false });
          await cache.changed(tenantId, clientId);
        },
        async remove(clientId) {
          await repository.delete(tenantId, clientId);
          await cache.changed(tenantId, clientId);
        },
      };
    },
  };
}

export type ClientsService = ReturnType<typeof createClientsService>;
