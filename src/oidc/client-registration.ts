// Dynamic client registration (RFC 7591) and management (RFC 7592) for a tenant that switched it on (issue #17).
// Registration always needs an initial access token (oidc-provider `features.registration.initialAccessToken`),
// minted by an operator (client-registration.service.ts): the token names the policies below, which oidc-provider
// runs before it validates and stores the client, and again on every RFC 7592 update (the registration access
// token inherits them). Open registration is not offered: without a token the policies would not run.
import { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { RegistrationSettings } from '../tenants/registration-settings.js';
import { openidScopes } from '../validation/standard-claims.js';
import { digest } from '../crypto/sealing.js';
import { singleUsePolicy, tenantPolicy } from './protocol-names.js';
import { applySoftwareStatement } from './software-statement.js';

export { singleUsePolicy, tenantPolicy };

/** Tessera's own client metadata (provider-config.ts) is for operators to set, never a registrant */
const operatorOnly = ['first_party', 'operator_tenants', 'headless', 'app_slug', 'allowed_origins', 'refresh_token_reuse_interval', 'api_scope'];

export interface RegistrationDeps {
  /** claims `key` once (atomic); false when it was claimed before */
  claimOnce(key: string, ttlSeconds: number): Promise<boolean>;
}

type Metadata = Record<string, unknown>;

const isLoopback = (url: URL) => url.hostname === '127.0.0.1' || url.hostname === '[::1]';

function checkRedirectUris(settings: RegistrationSettings, uris: unknown): void {
  if (uris === undefined) return;
  if (!Array.isArray(uris)) return; // the library's own validation answers this one
  for (const uri of uris) {
    let url: URL;
    try {
      url = new URL(String(uri));
    } catch {
      throw new errors.InvalidRedirectUri('redirect_uris must be absolute URIs');
    }
    const allowed = url.protocol === 'https:' || (settings.redirectUris === 'https-or-loopback' && url.protocol === 'http:' && isLoopback(url));
    if (!allowed) {
      throw new errors.InvalidRedirectUri(settings.redirectUris === 'https'
        ? 'redirect_uris must use https'
        : 'redirect_uris must use https, or http on a loopback address (127.0.0.1 or [::1])');
    }
  }
}

/** applies the tenant's registration rules to the metadata oidc-provider is about to validate and store */
export function applyTenantRules(settings: RegistrationSettings, properties: Metadata): void {
  // An RFC 7592 update sends back what a read returned: `first_party: false` and `api_scope` are those values.
  const smuggled = operatorOnly.find((key) => properties[key] !== undefined && key !== 'api_scope' && !(key === 'first_party' && properties[key] === false));
  if (smuggled) throw new errors.InvalidClientMetadata(`${smuggled} cannot be registered`);
  const grants = (properties.grant_types ?? ['authorization_code']) as unknown;
  if (Array.isArray(grants)) {
    const refused = grants.find((grant) => !(settings.allowedGrantTypes as readonly unknown[]).includes(grant));
    if (refused !== undefined) throw new errors.InvalidClientMetadata(`grant type ${String(refused)} is not allowed here; allowed: ${settings.allowedGrantTypes.join(', ')}`);
  }
  checkRedirectUris(settings, properties.redirect_uris);
  // A client without `scope` could ask for any scope of the provider: it gets the tenant's allowed ones.
  const words = (value: unknown) => (typeof value === 'string' ? value.split(' ').filter(Boolean) : []);
  const named = [...new Set([...words(properties.scope), ...words(properties.api_scope)])];
  const requested = properties.scope === undefined && properties.api_scope === undefined ? settings.allowedScopes : named;
  const refused = requested.find((scope) => !settings.allowedScopes.includes(scope));
  if (refused) throw new errors.InvalidClientMetadata(`scope ${refused} is not allowed here; allowed: ${settings.allowedScopes.join(' ')}`);
  // oidc-provider accepts only its own scopes in `scope`; API scopes go to `api_scope` (clients.service.ts).
  const oidcScopes = requested.filter((scope) => openidScopes.has(scope));
  const apiScopes = requested.filter((scope) => !openidScopes.has(scope));
  if (oidcScopes.length) properties.scope = oidcScopes.join(' ');
  else delete properties.scope;
  if (apiScopes.length) properties.api_scope = apiScopes.join(' ');
  else delete properties.api_scope;
  properties.first_party = false;
}

/** `features.registration` and `features.registrationManagement` of a tenant's provider */
export function registrationFeatures(settings: RegistrationSettings, deps: RegistrationDeps): Pick<NonNullable<Configuration['features']>, 'registration' | 'registrationManagement'> {
  return {
    registration: {
      enabled: settings.enabled,
      initialAccessToken: true,
      policies: {
        // a software statement's claims first, so that the tenant's rules hold for them too
        async [tenantPolicy](ctx: KoaContextWithOIDC, properties: Metadata) {
          await applySoftwareStatement(settings.softwareStatement, ctx, properties);
          applyTenantRules(settings, properties);
        },
        async [singleUsePolicy](ctx: KoaContextWithOIDC) {
          // Runs at registration only; an update through RFC 7592 inherits the policy name but has no such token.
          const token = ctx.oidc.entities.InitialAccessToken;
          if (!token) return;
          // Two registrations racing with one token: exactly one claims it.
          const claimed = await deps.claimOnce(`iat-used:${digest(token.jti)}`, Math.max(token.remainingTTL, 1));
          if (!claimed) throw new errors.InvalidToken('initial access token already used');
          await token.destroy();
        },
      } as never,
    },
    registrationManagement: { enabled: settings.enabled && settings.management, rotateRegistrationAccessToken: true },
  };
}
