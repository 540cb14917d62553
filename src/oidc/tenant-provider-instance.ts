// One tenant's oidc-provider instance: its configuration, extra grants and the middleware around it. Loaded by
// tenant-providers.ts on the first build only, so processes that never build a provider (the CLI's commands)
// never load oidc-provider.
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { JWK } from 'jose';
import { createLocalJWKSet } from 'jose';
import { loginTransactionGrant, loginTransactionGrantType, loginTransactionParameter } from './login-transaction-grant.js';
import { resourceServerInfo } from './resource-servers.js';
import { storeOutageOf } from '../store/store-outage.js';
import { rollBackFailedRotation } from './rotation-rollback.js';
import type { TenantRecord } from '../db/tenants.repository.js';
import type { TenantSettings } from '../tenants/tenant-settings.js';
import { publicJwks } from '../tenants/signing-keys.js';
import { jwtAccessTokenEndpoints } from './jwt-access-token-endpoints.js';
import { tenantProviderConfiguration } from './provider-config.js';
import { createFindAccount } from './find-account.js';
import { refreshTokenReuse } from './refresh-token-reuse.js';
import { unauthorizedClientAnswer } from './unauthorized-client.js';
import { clientPolicyAnswer } from './client-policy-error.js';
import { discoveryWithoutFormPost } from './form-post-switch.js';
import { providerAnswers } from './provider-answers.js';
import { sessionTracking } from './session-tracking.js';
import { tokenExchangeGrant, tokenExchangeGrantType, tokenExchangeParameters } from './token-exchange.js';
import { mayEnterEnvironment } from '../tenants/environment-entry.js';
import { deviceVerificationGuard } from './device-flow.js';
import { rememberClients } from './remembered-clients.js';
import type { TenantContext, TenantProvidersDeps } from './tenant-provider-types.js';

/** what tenant-providers.ts has read for the tenant before building its provider */
export interface ProviderInputs {
  record: TenantRecord;
  tenant: TenantContext;
  settings: TenantSettings;
  jwks: { keys: JWK[] };
  apis: Map<string, string[]>;
  adapter: NonNullable<Configuration['adapter']>;
}

type SiblingEnvironment = (tenant: TenantContext, issuer: string) => Promise<{ tenantId: string; keys: ReturnType<typeof createLocalJWKSet>; environment: string } | null>;

export function buildTenantProvider(deps: TenantProvidersDeps, inputs: ProviderInputs, siblingEnvironment: SiblingEnvironment): Provider {
  const { record, tenant, settings, jwks, apis, adapter } = inputs;
  const slug = tenant.slug;
  const configuration = tenantProviderConfiguration({
    config: { publicUrl: deps.publicUrl, cookieSecrets: deps.cookieSecrets },
    tenant,
    jwks,
    adapter,
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
    rewrites: [
      ...(settings.protocol.formPost.enabled ? [] : [discoveryWithoutFormPost]),
      clientPolicyAnswer, unauthorizedClientAnswer, refreshTokenReuse({ store: deps.store, tenantId: record.id }),
    ],
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
  return provider;
}
