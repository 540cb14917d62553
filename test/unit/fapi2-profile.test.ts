// FAPI 2.0 Security Profile in a tenant's provider configuration: what the one setting changes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tenantProviderConfiguration } from '../../src/oidc/provider-config.js';
import { fapiClientProblem } from '../../src/oidc/fapi2-profile.js';
import { parseTenantSettings } from '../../src/tenants/tenant-settings.js';

function configurationOf(settings: Record<string, unknown>) {
  return tenantProviderConfiguration({
    config: { publicUrl: new URL('https://id.example.com'), cookieSecrets: ['x'.repeat(32)] },
    tenant: { id: 'tenant-1', slug: 'acme', settings: parseTenantSettings(settings) },
    jwks: { keys: [] },
    adapter: class {} as never,
    findAccount: async () => undefined,
    pages: {
      renderError: async () => {}, logoutSource: async () => {}, postLogoutSuccessSource: async () => {},
      userCodeInput: async () => {}, userCodeConfirm: async () => {}, deviceSuccess: async () => {}, tooManyAttempts: async () => {},
    } as never,
    apis: new Map(),
    claimsFor: (async () => ({})) as never,
    outboundFetch: fetch,
    dpopNonceSecret: Buffer.alloc(32),
    mtls: undefined,
    registration: { claimOnce: async () => true },
  });
}

describe('FAPI 2.0 profile', () => {
  const fapi = { idTokenSigningAlg: 'ES256', accessTokenSigningAlg: 'ES256', ttl: { authorizationCode: 300 }, protocol: { fapi2: { enabled: true } } };

  it('caps codes at 60 s, stops refresh token rotation and keeps only PS256/ES256/EdDSA', () => {
    const configuration = configurationOf(fapi);
    assert.equal(configuration.ttl!.AuthorizationCode, 60);
    assert.equal(configuration.rotateRefreshToken, false);
    for (const list of ['clientAuthSigningAlgValues', 'requestObjectSigningAlgValues', 'dPoPSigningAlgValues', 'idTokenSigningAlgValues'] as const) {
      assert.ok(configuration.enabledJWA![list]!.every((alg) => ['PS256', 'ES256', 'Ed25519', 'EdDSA'].includes(alg)), list);
    }
    assert.deepEqual(configuration.responseTypes, ['code']);
  });

  it('leaves a tenant without it alone', () => {
    const configuration = configurationOf({ ttl: { authorizationCode: 300 } });
    assert.equal(configuration.ttl!.AuthorizationCode, 300);
    assert.equal(configuration.rotateRefreshToken, true);
  });

  it('names what a client registration lacks', () => {
    assert.match(fapiClientProblem({ token_endpoint_auth_method: 'client_secret_basic', dpop_bound_access_tokens: true }, false)!, /private_key_jwt$/);
    assert.match(fapiClientProblem({ token_endpoint_auth_method: 'private_key_jwt' }, true)!, /dpop_bound_access_tokens or tls_client_certificate_bound_access_tokens/);
    assert.equal(fapiClientProblem({ token_endpoint_auth_method: 'tls_client_auth', tls_client_certificate_bound_access_tokens: true }, true), undefined);
    assert.match(fapiClientProblem({ token_endpoint_auth_method: 'tls_client_auth', tls_client_certificate_bound_access_tokens: true }, false)!, /private_key_jwt$/);
    assert.equal(fapiClientProblem({ token_endpoint_auth_method: 'private_key_jwt', dpop_bound_access_tokens: true }, false), undefined);
  });
});
