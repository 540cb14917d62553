// One oidc-provider instance per tenant, built on first use and cached (LRU). Instances are caches of what
// PostgreSQL holds: a change (key rotation, settings) bumps the tenant's version and is announced over the
// store's pub/sub; every process also re-checks the version at most `revalidateMs` after its last check,
// which bounds staleness if an announcement is lost.
import { loginTransactionGrant, loginTransactionGrantType, loginTransactionParameter, type RedeemLogin } from './login-transaction-grant.js';
import { resourceServerInfo } from './resource-servers.js';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { storeOutageOf } from '../store/store-outage.js';
import { rollBackFailedRotation } from './rotation-rollback.js';
import type { Logger } from 'pino';
import type { KvStore } from '../store/kv-store.js';
import type { TenantsRepository } from '../db/tenants.repository.js';
import { parseTenantSettings, type TenantSettings } from '../tenants/tenant-settings.js';
import { createLocalJWKSet } from 'jose';
import { publicJwks, type SigningKeys } from '../tenants/signing-keys.js';
import type { RevokedAccessTokens } from './revoked-access-tokens.js';
import { jwtAccessTokenEndpoints } from './jwt-access-token-endpoints.js';
import { tenantProviderConfiguration, type ProviderPages } from './provider-config.js';
import { createFindAccount, type UserLookup } from './find-account.js';
import { refreshTokenReuse } from './refresh-token-reuse.js';
import { unauthorizedClientAnswer } from './unauthorized-client.js';
import { clientPolicyAnswer } from './client-policy-error.js';
import { providerAnswers } from './provider-answers.js';
import type { ProtocolAudit } from './protocol-audit.js';
import type { MtlsHeaders } from './mtls-certificate.js';
import type { ClaimsFor } from './rbac-claims.js';
import type { SessionActivityRepository } from '../db/session-activity.repository.js';
import { sessionTracking } from './session-tracking.js';
import type { RateLimiter } from '../store/rate-limiter.js';
import { tokenExchangeGrant, tokenExchangeGrantType, tokenExchangeParameters } from './token-exchange.js';
import { slugPattern, splitSlug } from '../tenants/environment-names.js';
import { mayEnterEnvironment } from './environment-access.js';
import { deviceVerificationGuard } from './device-flow.js';
import { issuerFor } from '../tenants/issuer.js';
import { rememberClients } from './remembered-clients.js';

export interface TenantContext {
  readonly id: string;
  readonly slug: string;
  readonly name: string;
  readonly issuer: string;
  /** `live` for the tenant itself, else the environment's name (issue #19) */
  readonly environment: string;
  /** the tenant (live environment) this environment belongs to: its own slug for live */
  readonly tenantSlug: string;
  readonly settings: TenantSettings;
}

export interface TenantProvider {
  readonly tenant: TenantContext;
  readonly provider: Provider;
}

export interface TenantProvidersDeps {
  publicUrl: URL;
  cookieSecrets: readonly string[];
  /** how the provider's own outbound calls leave (net/outbound-guard.ts) */
  outboundFetch: typeof fetch;
  /** the tenant's DPoP nonce secret, 32 bytes, the same in every process */
  dpopNonceSecret(tenantId: string): Buffer;
  /** the TLS proxy's client certificate headers, when the deployment passes them (MTLS_CERT_HEADER) */
  mtls?: MtlsHeaders;
  /** records protocol events (tokens, replays, revocations, logouts) in the audit log */
  protocolAudit?: ProtocolAudit;
  /** told of each successful token endpoint request (metrics) */
  onTokenIssued?(grantType: string): void;
  /** describes each session: device, IP, method, last activity (issue #6) */
  sessionActivity?: SessionActivityRepository;
  maxSize: number;
  tenants: TenantsRepository;
  keys: SigningKeys;
  store: KvStore;
  /** JWT access tokens revoked before they expire */
  revokedAccessTokens: RevokedAccessTokens;
  adapterFor(tenantId: string): NonNullable<Configuration['adapter']>;
  usersFor(tenantId: string): UserLookup;
  rbac: { apiPermissions(tenantId: string): Promise<Map<string, string[]>>; claimsFor: ClaimsFor; rolesOfUser(tenant: { id: string; slug: string }, userId: string): Promise<string[]> };
  pages: ProviderPages;
  /** limits user-code attempts at the device verification page */
  limiter: RateLimiter;
  logger: Logger;
  revalidateMs?: number;
  /** takes a completed login transaction for the token endpoint's login-transaction grant (issue #16) */
  redeemLogin?: RedeemLogin;
}

interface Entry { value: TenantProvider | null; version: number; checkedAt: number; changesAt: number }

const changeChannel = 'tenant-changed';

export function createTenantProviders(deps: TenantProvidersDeps) {
  const revalidateMs = deps.revalidateMs ?? 30_000;
  const cache = new Map<string, Entry>();
  const building = new Map<string, Promise<TenantProvider | null>>();

  async function build(slug: string): Promise<Entry> {
    const record = await deps.tenants.findBySlug(slug);
    if (!record) return { value: null, version: 0, checkedAt: Date.now(), changesAt: Infinity };
    const settings = parseTenantSettings(record.settings);
    const tenant: TenantContext = { id: record.id, slug, name: record.name, issuer: issuerFor(deps.publicUrl, slug), environment: record.environment, tenantSlug: splitSlug(slug).tenant, settings };
    const [{ jwks, changesAt }, apis] = await Promise.all([deps.keys.loadJwks(record.id), deps.rbac.apiPermissions(record.id)]);
    const configuration = tenantProviderConfiguration({
      config: { publicUrl: deps.publicUrl, cookieSecrets: deps.cookieSecrets },
      tenant,
      jwks,
      adapter: deps.adapterFor(record.id),
      findAccount: createFindAccount(deps.usersFor(record.id), {
        claim: settings.rbac.rolesClaim,
        rolesOf: (userId) => deps.rbac.rolesOfUser({ id: record.id, slug }, userId),
      }),
      pages: deps.pages,
      apis,
      outboundFetch: deps.outboundFetch,
      dpopNonceSecret: deps.dpopNonceSecret(record.id),
      mtls: deps.mtls,
      claimsFor: deps.rbac.claimsFor,
      registration: { claimOnce: (key, ttl) => deps.store.setIfAbsent(`oidc:${record.id}:${key}`, '1', ttl) },
    });
    const provider = new Provider(tenant.issuer, configuration);
    rememberClients(provider, new Set((configuration.clients ?? []).map((c) => c.client_id)));
    if (deps.redeemLogin) {
      provider.registerGrantType(loginTransactionGrantType, loginTransactionGrant(record.id, deps.redeemLogin, { resourceInfo: (resource, client) => resourceServerInfo(settings, apis, resource, client), sessionTtl: settings.ttl.session }) as never, loginTransactionParameter);
    }
    if (settings.grants.tokenExchange.enabled) {
      provider.registerGrantType(tokenExchangeGrantType, tokenExchangeGrant({
        tenantId: record.id, issuer: tenant.issuer, keys: createLocalJWKSet(publicJwks(jwks)), revoked: deps.revokedAccessTokens,
        resourceInfo: (resource, client) => resourceServerInfo(settings, apis, resource, client),
        defaultResource: settings.defaultResource ?? `${tenant.issuer}/api`, impersonators: settings.grants.tokenExchange.impersonators,
        sibling: (issuer) => siblingEnvironment(tenant, issuer),
        mayEnter: async (userId) => {
          const user = await deps.usersFor(record.id)(userId);
          return Boolean(user && !user.disabled) && mayEnterEnvironment(tenant.environment, await deps.rbac.rolesOfUser({ id: record.id, slug }, userId));
        },
      }) as never, tokenExchangeParameters);
    }
    // The device guard acts before the provider, on its own path only. The reuse interval's answer replaces an
    // `invalid_grant` of a refresh and keeps a 200's body; the answer steps below never produce either (they rewrite
    // 400 invalid_request and invalid_client_metadata, a revocation's empty 200, introspection), so running them
    // before it, in one middleware (provider-answers.ts) whose last step it is, gives every request the answer it got
    // from seven layers.
    if (settings.grants.deviceFlow) provider.use(deviceVerificationGuard({ limiter: deps.limiter, tenantId: record.id, issuer: tenant.issuer, pages: deps.pages }));
    const logger = deps.logger;
    provider.use(providerAnswers({
      answered: [
        ...(deps.sessionActivity ? [sessionTracking({ tenantId: record.id, repository: deps.sessionActivity, logger })] : []),
        jwtAccessTokenEndpoints({ tenantId: record.id, issuer: tenant.issuer, keys: createLocalJWKSet(publicJwks(jwks)), revoked: deps.revokedAccessTokens }),
      ],
      onSettled: (ctx) => rollBackFailedRotation(ctx, logger),
      // the reuse interval last: it was the layer around the others, and none of them makes what it looks at
      rewrites: [clientPolicyAnswer, unauthorizedClientAnswer, refreshTokenReuse({ store: deps.store, tenantId: record.id })],
    }));
    deps.protocolAudit?.attach(provider, record.id);
    if (deps.onTokenIssued) {
      const told = deps.onTokenIssued;
      provider.on('grant.success', (ctx: KoaContextWithOIDC) => told(String(ctx.oidc.params?.grant_type ?? 'unknown')));
    }
    provider.on('server_error', (ctx: KoaContextWithOIDC, error: Error) => {
      // the provider answers 500 for anything its adapter throws: a store outage is marked so that the HTTP
      // layer answers 503 with Retry-After instead (http/store-outage.ts)
      const outage = storeOutageOf(error);
      if (outage) {
        ctx.state.storeOutage = outage;
        deps.logger.warn({ store: outage, tenant: slug, route: ctx.oidc?.route }, 'store unavailable');
        return;
      }
      deps.logger.error({ err: error, tenant: slug, route: ctx.oidc?.route }, 'provider server_error');
    });
    return { value: { tenant, provider }, version: record.version, checkedAt: Date.now(), changesAt: changesAt?.getTime() ?? Infinity };
  }

  /** another environment of `tenant`'s tenant, by issuer, with its published keys (issue #19) */
  async function siblingEnvironment(tenant: TenantContext, issuer: string) {
    const prefix = `${deps.publicUrl.origin}/t/`;
    const slug = issuer.startsWith(prefix) ? issuer.slice(prefix.length) : '';
    if (!slugPattern.test(slug) || slug === tenant.slug || splitSlug(slug).tenant !== tenant.tenantSlug) return null;
    const record = await deps.tenants.findBySlug(slug);
    if (!record) return null;
    const { jwks } = await deps.keys.loadJwks(record.id);
    return { tenantId: record.id, keys: createLocalJWKSet(publicJwks(jwks)), environment: record.environment };
  }

  let newest: string | undefined;
  function remember(slug: string, entry: Entry) {
    // already the most recently used (a run of requests for one tenant): nothing to reorder
    if (slug === newest && cache.get(slug) === entry) return;
    newest = slug;
    cache.delete(slug);
    cache.set(slug, entry);
    while (cache.size > deps.maxSize) cache.delete(cache.keys().next().value!);
  }

  // A miss is not remembered beyond the lookups already waiting on it: a tenant created a moment later (by this
  // process, another one, or the CLI) must be found at once, and an unknown slug costs one indexed query.
  async function load(slug: string): Promise<TenantProvider | null> {
    const entry = await build(slug);
    if (entry.value) remember(slug, entry);
    else cache.delete(slug);
    return entry.value;
  }

  async function fresh(slug: string, entry: Entry): Promise<boolean> {
    const age = Date.now() - entry.checkedAt;
    if (Date.now() >= entry.changesAt) return false;
    if (age < revalidateMs) return true;
    const version = await deps.tenants.versionOf(slug);
    if (version !== entry.version) return false;
    entry.checkedAt = Date.now();
    return true;
  }

  async function lookUp(slug: string, entry: Entry | undefined): Promise<TenantProvider | null> {
    if (entry && (await fresh(slug, entry))) {
      remember(slug, entry);
      return entry.value;
    }
    let pending = building.get(slug);
    if (!pending) {
      pending = load(slug).finally(() => building.delete(slug));
      building.set(slug, pending);
    }
    return pending;
  }

  return {
    /**
     * The tenant's provider, or null when no such tenant exists. In the common case (checked recently, nothing due to
     * change) the answer itself, not a promise: every protocol request comes here, and the caller need not wait.
     */
    get(slug: string): TenantProvider | null | Promise<TenantProvider | null> {
      const entry = cache.get(slug);
      const now = Date.now();
      if (entry && now < entry.changesAt && now - entry.checkedAt < revalidateMs) {
        remember(slug, entry);
        return entry.value;
      }
      return lookUp(slug, entry);
    },
    /** tells every process (this one included) to rebuild the tenant's provider on next use */
    async announceChange(slug: string): Promise<void> {
      cache.delete(slug);
      await deps.store.publish(changeChannel, slug);
    },
    async listen(): Promise<void> {
      await deps.store.subscribe(changeChannel, (slug) => cache.delete(slug));
    },
  };
}

export type TenantProviders = ReturnType<typeof createTenantProviders>;
