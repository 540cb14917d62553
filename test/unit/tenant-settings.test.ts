// A tenant's settings come from a JSON column that may be old, partial or hand-edited: parsing never throws,
// and each invalid value falls back to its own default without discarding the valid ones next to it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { longestSignedTokenLifetime, parseTenantSettings } from '../../src/tenants/tenant-settings.js';
import { defaultBranding } from '../../src/tenants/branding.js';
import { signInSettingsSchema } from '../../src/tenants/sign-in-settings.js';
import { messagingSettingsSchema } from '../../src/tenants/messaging-settings.js';
import { mfaSettingsSchema } from '../../src/tenants/mfa-settings.js';

const day = 86_400;
const defaults = {
  branding: defaultBranding,
  idTokenSigningAlg: 'RS256',
  accessTokenSigningAlg: 'RS256',
  defaultResource: null,
  ttl: { accessToken: 3600, idToken: 3600, refreshToken: 14 * day, authorizationCode: 60, session: 14 * day, interaction: 3600 },
  signIn: signInSettingsSchema.parse({}),
  messaging: messagingSettingsSchema.parse({}),
  connections: {},
  mfa: mfaSettingsSchema.parse({}),
  rbac: { rolesClaim: 'roles', permissionsClaim: 'permissions' },
  oidc: { idTokenClaims: 'scope', offlineAccess: 'first-party' },
  protocol: {
    par: { enabled: true, required: false },
    dpop: { enabled: true, requireNonce: true },
    jar: { enabled: false, requireSigned: false },
    jarm: { enabled: false },
    pairwise: { enabled: false, salt: null },
    mtls: { enabled: false },
    responseTypes: { implicit: false, hybrid: false },
    formPost: { enabled: true },
    clientAuth: { privateKeyJwt: true, clientSecretJwt: true },
    fapi2: { enabled: false },
  },
  // the REST auth API is off by default, with no browser origins
  headless: { restApi: false, allowedOrigins: [], redirectUris: [], requirePkce: false },
  registration: {
    enabled: false, management: true, allowedGrantTypes: ['authorization_code', 'refresh_token'], redirectUris: 'https',
    allowedScopes: ['openid', 'profile', 'email'], maxInitialAccessTokenTtl: 7 * 86_400,
    softwareStatement: { required: false, trustedKeys: [] },
  },
  grants: { resourceMetadata: false, deviceFlow: false, tokenExchange: { enabled: false, impersonators: [] } },
  texts: { defaultLocale: 'en', overrides: {} },
};

describe('tenant settings', () => {
  it('gives the defaults for a missing or non-object value', () => {
    for (const input of [undefined, null, {}, 'settings', 42, true, [], [1, 2]]) {
      assert.deepEqual(parseTenantSettings(input), defaults, `input ${JSON.stringify(input)}`);
    }
  });

  it('keeps valid values', () => {
    const settings = parseTenantSettings({
      branding: { logoUrl: 'https://cdn.example.com/logo.svg', primaryColor: '#AA0000' },
      idTokenSigningAlg: 'ES256',
      accessTokenSigningAlg: 'EdDSA',
      defaultResource: 'https://api.example.com/',
      ttl: { accessToken: 600, idToken: 900, refreshToken: 30 * day, authorizationCode: 30, session: day, interaction: 1200 },
    });
    assert.deepEqual(settings, {
      branding: { logoUrl: 'https://cdn.example.com/logo.svg', primaryColor: '#aa0000' },
      idTokenSigningAlg: 'ES256',
      accessTokenSigningAlg: 'EdDSA',
      defaultResource: 'https://api.example.com/',
      ttl: { accessToken: 600, idToken: 900, refreshToken: 30 * day, authorizationCode: 30, session: day, interaction: 1200 },
      signIn: defaults.signIn,
      messaging: defaults.messaging,
      connections: {},
      mfa: defaults.mfa,
      rbac: defaults.rbac,
      oidc: defaults.oidc,
      protocol: defaults.protocol,
      headless: defaults.headless,
      registration: defaults.registration,
      grants: defaults.grants,
      texts: defaults.texts,
    });
  });

  it('keeps PAR, DPoP with nonces and the code flow only by default; a damaged protocol section falls back whole', () => {
    assert.deepEqual(parseTenantSettings({ protocol: { jar: { enabled: 'yes' } } }).protocol, defaults.protocol);
    assert.deepEqual(parseTenantSettings({ protocol: { fapi2: { enabled: true } } }).protocol.fapi2, { enabled: true });
  });

  it('defaults sign-in to password only, with no sign-up, 6-digit codes valid 10 minutes and 5 attempts', () => {
    const { signIn, messaging } = parseTenantSettings({});
    assert.deepEqual(signIn.methods, { password: true, emailOtp: false, magicLink: false, smsOtp: false, whatsappOtp: false, passkey: false });
    assert.equal(signIn.signUp, false);
    assert.deepEqual(signIn.code, { length: 6, ttlSeconds: 600, maxAttempts: 5, resendCooldownSeconds: 60 });
    assert.equal(signIn.sandbox, false);
    assert.deepEqual(messaging.sms.routes, { default: ['twilio'] });
    assert.equal(messaging.whatsapp, null);
  });

  it('falls back to the section defaults for a damaged sign-in or messaging section', () => {
    const settings = parseTenantSettings({ signIn: { code: { length: 99 } }, messaging: { sms: { routes: { nowhere: ['x'] } } } });
    assert.deepEqual(settings.signIn, defaults.signIn);
    assert.deepEqual(settings.messaging, defaults.messaging);
  });

  it('replaces each invalid value by its default and keeps its valid neighbours', () => {
    const settings = parseTenantSettings({
      branding: { logoUrl: 'javascript:alert(1)', primaryColor: '#00aa00' },
      idTokenSigningAlg: 'HS256', // symmetric: never for id_tokens of many clients
      accessTokenSigningAlg: 'ES256',
      defaultResource: 'not a url',
      ttl: { accessToken: -1, idToken: 1.5, refreshToken: '3600', authorizationCode: 3600, session: 0, interaction: 1800 },
    });
    assert.deepEqual(settings.branding, { logoUrl: null, primaryColor: '#00aa00' });
    assert.equal(settings.idTokenSigningAlg, 'RS256');
    assert.equal(settings.accessTokenSigningAlg, 'ES256');
    assert.equal(settings.defaultResource, null);
    assert.deepEqual(settings.ttl, { accessToken: 3600, idToken: 3600, refreshToken: 14 * day, authorizationCode: 60, session: 14 * day, interaction: 1800 });
  });

  it('caps lifetimes: an access token lives at most a day, a code at most ten minutes', () => {
    const { ttl } = parseTenantSettings({ ttl: { accessToken: day + 1, idToken: day, authorizationCode: 601, refreshToken: 366 * day } });
    assert.equal(ttl.accessToken, 3600);
    assert.equal(ttl.idToken, day);
    assert.equal(ttl.authorizationCode, 60);
    assert.equal(ttl.refreshToken, 14 * day);
  });

  it('falls back when ttl or branding is not an object', () => {
    for (const value of [null, 'long', 5, [3600]]) {
      const settings = parseTenantSettings({ ttl: value, branding: value, idTokenSigningAlg: 'EdDSA' });
      assert.deepEqual(settings.ttl, defaults.ttl, `ttl ${JSON.stringify(value)}`);
      assert.deepEqual(settings.branding, defaultBranding);
      assert.equal(settings.idTokenSigningAlg, 'EdDSA');
    }
  });

  // RFC 8707 §2: a resource indicator is an absolute URI without a fragment.
  it('accepts only an absolute URI without fragment as the default resource', () => {
    assert.equal(parseTenantSettings({ defaultResource: 'https://id.example.com/t/acme/api' }).defaultResource, 'https://id.example.com/t/acme/api');
    assert.equal(parseTenantSettings({ defaultResource: null }).defaultResource, null);
    for (const bad of ['/api', 'https://api.example.com/#x', 42, '']) {
      assert.equal(parseTenantSettings({ defaultResource: bad }).defaultResource, null, `accepted ${JSON.stringify(bad)}`);
    }
  });

  it('ignores unknown keys', () => {
    // what a JSON column can hold, including a "__proto__" key of its own
    const settings = parseTenantSettings(JSON.parse('{"extra":"x","__proto__":{"idTokenSigningAlg":"ES256"},"idTokenSigningAlg":"EdDSA"}')) as unknown as Record<string, unknown>;
    assert.equal(settings.extra, undefined);
    assert.equal(settings.idTokenSigningAlg, 'EdDSA');
    assert.equal(Object.getPrototypeOf(settings), Object.prototype);
  });

  it('keeps a retired key published for the longest lifetime of what it signed', () => {
    assert.equal(longestSignedTokenLifetime(parseTenantSettings({})), 3600);
    assert.equal(longestSignedTokenLifetime(parseTenantSettings({ ttl: { accessToken: 600, idToken: 7200 } })), 7200);
    assert.equal(longestSignedTokenLifetime(parseTenantSettings({ ttl: { accessToken: 20_000, idToken: 60 } })), 20_000);
  });
});
