// The oidc-provider configuration of one tenant. Deviations from the library defaults cite the reason.
import type { Configuration, KoaContextWithOIDC, Account, AccountClaims } from 'oidc-provider';
import { acrValuesSupported, stepUpInteractionPolicy } from './step-up-policy.js';
import { errors } from 'oidc-provider';
import type { Config } from '../config/config.js';
import type { TenantSettings } from '../tenants/tenant-settings.js';
import { standardClaims } from '../validation/standard-claims.js';
import { loadFirstPartyGrant } from './first-party-grant.js';
import { keptResourceServerInfo } from './resource-servers.js';
import { rbacTokenClaims, type ClaimsFor } from './rbac-claims.js';
import { keepOfflineAccess } from './offline-access.js';
import { protocolFeatures } from './protocol-features.js';
import { fapiAlgorithms, fapiClientProblem, fapiMaxCodeSeconds } from './fapi2-profile.js';
import type { MtlsHeaders } from './mtls-certificate.js';
import { registrationFeatures, type RegistrationDeps } from './client-registration.js';
import { deviceFlowFeature, type DevicePages } from './device-flow.js';
import { extraTokenClaims } from './extra-token-claims.js';
import { supportedLocales } from '../i18n/i18n.js';
import { systemSlug } from '../tenants/issuer.js';
import { browserOrigin } from '../tenants/headless-settings.js';
import { appSlugPattern } from './protocol-names.js';
import { formPostMetadataProblem, refuseFormPost } from './form-post-switch.js';

export interface ProviderPages extends DevicePages {
  renderError(ctx: KoaContextWithOIDC, out: Record<string, unknown>, error: Error): Promise<void>;
  logoutSource(ctx: KoaContextWithOIDC, form: string): Promise<void>;
  postLogoutSuccessSource(ctx: KoaContextWithOIDC): Promise<void>;
}

export interface TenantProviderConfigInput {
  config: Pick<Config, 'publicUrl' | 'cookieSecrets'>;
  /** environment: `live` when not given (issue #19) */
  tenant: { id: string; slug: string; environment?: string; settings: TenantSettings };
  jwks: { keys: object[] };
  adapter: NonNullable<Configuration['adapter']>;
  findAccount(ctx: KoaContextWithOIDC, sub: string): Promise<Account | undefined>;
  pages: ProviderPages;
  /** identifiers (audiences) of the tenant's registered APIs */
  /** the tenant's registered APIs: identifier (audience) → names of its permissions */
  apis: ReadonlyMap<string, readonly string[]>;
  claimsFor: ClaimsFor;
  /** the outbound guard's fetch (net/outbound-guard.ts), for the provider's own calls (back-channel logout, jwks_uri) */
  outboundFetch: typeof fetch;
  /** 32 bytes, the same in every process: DPoP server nonces (RFC 9449 §8) */
  dpopNonceSecret: Buffer;
  /** the TLS proxy's client certificate headers (MTLS_CERT_HEADER), when the deployment has them */
  mtls: MtlsHeaders | undefined;
  /** dynamic client registration's single-use tokens (client-registration.ts) */
  registration: RegistrationDeps;
}

const maxReuseInterval = 300;
/** the static client of the tenant's account page */
export const accountClientId = 'tessera-account';
/** the static client of the admin console, in the system tenant only */
export const adminClientId = 'tessera-admin';
export { appSlugPattern };
// RFC 6749 §3.3 scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), space-delimited
const apiScopeSyntax = /^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/;

export function tenantProviderConfiguration(input: TenantProviderConfigInput): Configuration {
  const { tenant, config, pages } = input;
  const { settings } = tenant;
  const rolesClaim = settings.rbac.rolesClaim;
  const https = config.publicUrl.protocol === 'https:';
  // Tenants share one host: scoping cookies to the tenant's path keeps one tenant's session from another's.
  // POST at /auth (OIDC Core 3.1.2.1) needs SameSite=None cookies, which browsers only keep when Secure.
  const cookieOptions = { httpOnly: true, path: `/t/${tenant.slug}`, secure: https, sameSite: https ? 'none' : 'lax' } as const;
  const { protocol } = settings;
  const fapi = protocol.fapi2.enabled;
  const ownClients = new Set([accountClientId, adminClientId]);
  const profiles = protocolFeatures({ tenantId: tenant.id, protocol, dpopNonceSecret: input.dpopNonceSecret, mtls: input.mtls, exempt: ownClients });
  const rbacClaims = rbacTokenClaims(tenant.id, settings.rbac, input.claimsFor, settings.defaultResource);
  const resourceInfo = keptResourceServerInfo(settings, input.apis);
  const environment = tenant.environment ?? 'live';
  const mtlsEnabled = protocol.mtls.enabled && !!input.mtls;
  const parRequired = protocol.par.required || fapi;
  const jwa = {
    idTokenSigningAlgValues: ['RS256', 'ES256', 'EdDSA'],
    userinfoSigningAlgValues: ['RS256', 'ES256', 'EdDSA'],
    introspectionSigningAlgValues: ['RS256', 'ES256', 'EdDSA'],
    authorizationSigningAlgValues: ['RS256', 'ES256', 'EdDSA'],
  } as NonNullable<Configuration['enabledJWA']>;

  return {
    adapter: input.adapter,
    // oidc-provider's `fetch` hook (it brings its own special-use address check as `options.dispatcher`): its
    // calls go through the same outbound guard as every other, under OUTBOUND_POLICY — public https addresses
    // only in production; development may call apps on this machine.
    fetch: (url: Parameters<typeof fetch>[0], options?: RequestInit) => input.outboundFetch(url, { ...options, dispatcher: undefined } as RequestInit),
    // The tenant's own account page signs users in through this flow like any app (account.routes.ts).
    clients: [{
      client_id: accountClientId, client_name: 'Your account', token_endpoint_auth_method: 'none', first_party: true, require_pushed_authorization_requests: false, require_signed_request_object: false,
      redirect_uris: [`${config.publicUrl.origin}/t/${tenant.slug}/account/callback`], grant_types: ['authorization_code'], response_types: ['code'],
    }, ...(tenant.slug === systemSlug ? [{
      // Operators sign in to the admin console through the system tenant's own flow (src/admin).
      client_id: adminClientId, client_name: 'Tessera admin console', token_endpoint_auth_method: 'none' as const, first_party: true, require_pushed_authorization_requests: false, require_signed_request_object: false,
      redirect_uris: [`${config.publicUrl.origin}/admin/callback`], post_logout_redirect_uris: [`${config.publicUrl.origin}/admin`],
      grant_types: ['authorization_code'], response_types: ['code' as const],
    }] : [])],
    jwks: input.jwks as Configuration['jwks'],
    findAccount: input.findAccount as Configuration['findAccount'],
    // `roles` (issue #6): the user's role names in id_token and userinfo, under the tenant's claim name. Listed
    // under `openid` too: when a userinfo-capable access token is issued, oidc-provider keeps scope claims out of
    // the id_token (conformIdTokenClaims, OIDC Core 5.4), yet roles belong in both. findAccount releases them
    // only when the `roles` scope was granted.
    claims: { ...standardClaims, openid: [...standardClaims.openid, rolesClaim], roles: [rolesClaim] },
    scopes: ['openid', 'offline_access', 'profile', 'email', 'phone', 'address', 'roles'],
    // OIDC Core §5.4 allows the scope's claims in the id_token; the relying-party libraries read them there
    // (relying-party-settings.ts). The library default (true) keeps them for userinfo only.
    conformIdTokenClaims: settings.oidc.idTokenClaims === 'userinfo',
    extraParams: (protocol.formPost.enabled
      ? { scope: keepOfflineAccess(settings.oidc) }
      : { scope: keepOfflineAccess(settings.oidc), response_mode: refuseFormPost }) as never,
    // the RBAC claims, the issuing environment, an exchange's `act`, the sign-in, a login transaction's session
    extraTokenClaims: extraTokenClaims(environment, rbacClaims as never) as unknown as Configuration['extraTokenClaims'],
    // RFC 9700 §2.1.2: the code flow; implicit and hybrid only where the tenant turns them on (protocol-settings.ts).
    responseTypes: profiles.responseTypes,
    subjectTypes: profiles.subjectTypes,
    pairwiseIdentifier: profiles.pairwiseIdentifier,
    cookies: { keys: [...config.cookieSecrets], long: cookieOptions, short: cookieOptions },
    enableHttpPostMethods: https,
    // Avoids a TypeError → 500 in the library when redirect_uri is missing (DESIGN.md); OIDC requires it anyway.
    allowOmittingSingleRegisteredRedirectUri: false,
    // FAPI 2.0 §5.3.2.1 (9): no refresh token rotation
    rotateRefreshToken: !fapi,
    clientAuthMethods: profiles.clientAuthMethods,
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: fapi ? 'private_key_jwt' : 'client_secret_basic',
      id_token_signed_response_alg: settings.idTokenSigningAlg,
      // JARM responses signed like the ID Tokens, with a key the tenant holds. The library's default, RS256, made
      // every client that named no alg unregistrable on a FAPI 2.0 tenant with JARM on (RS256 is not offered there).
      authorization_signed_response_alg: settings.idTokenSigningAlg,
      require_pushed_authorization_requests: parRequired,
      ...(protocol.jar.enabled ? { require_signed_request_object: protocol.jar.requireSigned } : {}),
    },
    enabledJWA: fapi ? fapiAlgorithms(jwa) : jwa,
    extraClientMetadata: {
      // api_scope: oidc-provider accepts only its own (OpenID) scopes in `scope` metadata, so the scopes of the
      // tenant's API a client may be granted (resource-servers.ts) are registered here, space-delimited.
      // operator_tenants: on a system-tenant client, the tenants its Management API tokens may touch (absent: all)
      // headless / app_slug (issue #16): an app of the backend OTP API (/auth/…), off by default; its slug is the
      // `aud` of the access tokens issued to it; allowed_origins: the browser origins that may call the REST auth API
      // naming this app (CORS, rest-api/rest-cors.ts), besides the tenant's headless.allowedOrigins.
      properties: ['first_party', 'refresh_token_reuse_interval', 'api_scope', 'operator_tenants', 'headless', 'app_slug', 'allowed_origins'],
      validator(_ctx, key, value, metadata) {
        // Checked once per client (every client has `first_party`, if only as undefined): what the tenant requires of
        // all but Tessera's own clients (the account page and console sign in without PAR or request objects).
        if (key === 'first_party' && !ownClients.has(metadata.client_id as string)) {
          if (parRequired && metadata.require_pushed_authorization_requests === false) {
            throw new errors.InvalidClientMetadata('require_pushed_authorization_requests cannot be false: the tenant requires pushed authorization requests');
          }
          if (protocol.jar.enabled && protocol.jar.requireSigned && metadata.require_signed_request_object === false) {
            throw new errors.InvalidClientMetadata('require_signed_request_object cannot be false: the tenant requires signed request objects');
          }
          const fapiProblem = fapi ? fapiClientProblem(metadata as Record<string, unknown>, mtlsEnabled) : undefined;
          if (fapiProblem) throw new errors.InvalidClientMetadata(fapiProblem);
          const formPostProblem = protocol.formPost.enabled ? null : formPostMetadataProblem(metadata.response_modes);
          if (formPostProblem) throw new errors.InvalidClientMetadata(formPostProblem);
        }
        if (key === 'headless' && value !== undefined && typeof value !== 'boolean') throw new errors.InvalidClientMetadata('headless must be a boolean');
        if (key === 'app_slug' && value !== undefined && !(typeof value === 'string' && appSlugPattern.test(value))) {
          throw new errors.InvalidClientMetadata('app_slug must be 2 to 40 lower-case letters, digits or hyphens, starting with a letter');
        }
        if (key === 'allowed_origins' && value !== undefined
          && !(Array.isArray(value) && value.length <= 50 && value.every((origin) => browserOrigin.safeParse(origin).success))) {
          throw new errors.InvalidClientMetadata('allowed_origins must be an array of origins such as https://app.example.com (no path, no trailing slash)');
        }
        if (key === 'operator_tenants' && value !== undefined
          && !(Array.isArray(value) && value.length <= 100 && value.every((slug) => typeof slug === 'string' && /^[a-z][a-z0-9-]{1,39}$/.test(slug)))) {
          throw new errors.InvalidClientMetadata('operator_tenants must be an array of tenant slugs');
        }
        if (key === 'api_scope' && value !== undefined && !(typeof value === 'string' && apiScopeSyntax.test(value))) {
          throw new errors.InvalidClientMetadata('api_scope must be space-delimited scope tokens (RFC 6749 §3.3)');
        }
        if (key === 'first_party' && value !== undefined && typeof value !== 'boolean') {
          throw new errors.InvalidClientMetadata('first_party must be a boolean');
        }
        if (key === 'refresh_token_reuse_interval' && value !== undefined
          && !(Number.isInteger(value) && (value as number) >= 0 && (value as number) <= maxReuseInterval)) {
          throw new errors.InvalidClientMetadata(`refresh_token_reuse_interval must be an integer from 0 to ${maxReuseInterval}`);
        }
      },
    },
    // the languages of the hosted pages (i18n/catalogues), chosen by ui_locales (OIDC Discovery §3)
    discovery: {
      ui_locales_supported: [...supportedLocales], claims_locales_supported: ['en'],
      // RFC 9126 §5 and RFC 9101 §10.5: what the tenant requires of every relying party (through client defaults, so
      // that Tessera's own account page is exempt) is told to them; the library only advertises its global switches.
      require_pushed_authorization_requests: parRequired && protocol.par.enabled ? true : undefined,
      require_signed_request_object: protocol.jar.enabled && protocol.jar.requireSigned ? true : undefined,
    },
    features: {
      ...profiles.features,
      devInteractions: { enabled: false },
      // RFC 7591/7592, per tenant, off by default; client metadata URLs (jwks_uri…) go through `fetch` above
      ...registrationFeatures(settings.registration, input.registration),
      deviceFlow: deviceFlowFeature(settings.grants, pages),
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // The library default lets any confidential client of the tenant introspect any token, learning whose
        // it is and what it grants. A client sees its own tokens only; for any other the answer is
        // `{active: false}` (RFC 7662 §2.2). JWT access tokens are for resource servers to verify offline.
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      revocation: {
        enabled: true,
        // The library default answers 400 invalid_request when a confidential client presents another client's
        // token. RFC 7009 §2.2 answers 200 whenever the token is invalid for the caller: nothing is revoked and
        // nothing tells the caller that the token exists.
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      // OpenID Back-Channel Logout 1.0: clients with a backchannel_logout_uri hear of logouts and revoked sessions
      backchannelLogout: { enabled: true },
      claimsParameter: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx, form) => pages.logoutSource(ctx, form),
        postLogoutSuccessSource: (ctx) => pages.postLogoutSuccessSource(ctx),
      },
      resourceIndicators: {
        enabled: true,
        // RFC 8707 + RFC 9068: a client that names no resource gets a JWT for the tenant's default API.
        // (Plain functions, not async ones: the library awaits their answers, and an async function is one more
        // promise per token; a throw inside the library's own async step is its rejection all the same.)
        defaultResource: (_ctx, _client, oneOf) => oneOf ?? settings.defaultResource ?? undefined,
        // An OpenID request without `resource` at the token endpoint keeps the userinfo-capable access token.
        useGrantedResource: () => false,
        getResourceServerInfo: (_ctx, indicator, client) => resourceInfo(indicator, client),
      },
    },
    interactions: { policy: stepUpInteractionPolicy(), url: async (_ctx, interaction) => `/t/${tenant.slug}/interaction/${interaction.uid}` },
    acrValues: acrValuesSupported,
    loadExistingGrant: loadFirstPartyGrant,
    renderError: (ctx, out, error) => pages.renderError(ctx, out as unknown as Record<string, unknown>, error),
    ttl: {
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? settings.ttl.accessToken,
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? settings.ttl.accessToken,
      AuthorizationCode: fapi ? Math.min(settings.ttl.authorizationCode, fapiMaxCodeSeconds) : settings.ttl.authorizationCode,
      IdToken: settings.ttl.idToken,
      Interaction: settings.ttl.interaction,
      Session: settings.ttl.session,
      Grant: Math.max(settings.ttl.session, settings.ttl.refreshToken),
      RefreshToken(ctx, token, client) {
        // A browser app's rotated token keeps its predecessor's expiry (library default), so rotation alone
        // never extends a public client's login indefinitely.
        const rotated = ctx?.oidc?.entities.RotatedRefreshToken;
        if (rotated && client.applicationType === 'web' && client.clientAuthMethod === 'none' && !token.isSenderConstrained()) {
          return rotated.remainingTTL;
        }
        return settings.ttl.refreshToken;
      },
    },
  };
}

export type { AccountClaims };
