// Where each sealed credential goes (secret-bindings.ts): a change of destination without the credential entered
// again is refused; defaults count as destinations; the SMTP URL carries its own host, so it can only move whole.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { createSealer } from '../../src/crypto/sealing.js';
import { secretBindings, secretPaths } from '../../src/tenants/secret-bindings.js';
import { applySettingsPatch } from '../../src/tenants/tenant-settings-update.js';

const sealer = createSealer([randomBytes(32).toString('base64url')]);
const apply = (current: unknown, change: unknown) => applySettingsPatch(current, change, { tenantId: 't1', sealer, production: false, outboundPolicy: 'allow-private' });
const twilio = { accountSid: `AC${'a'.repeat(32)}`, authToken: 'tw-token', from: '+15005550006' };

describe('secret bindings', () => {
  it('lists every credential once, and the sealed paths are exactly those', () => {
    assert.deepEqual(secretPaths, secretBindings.map((b) => b.credential));
    assert.equal(new Set(secretPaths).size, secretPaths.length);
  });

  it('a default base URL replaced by another is a change of destination', () => {
    const { settings } = apply({}, { messaging: { sms: { twilio } } });
    assert.throws(() => apply(settings, { messaging: { sms: { twilio: { baseUrl: 'http://127.0.0.1:1' } } } }),
      (error: { code?: string; details?: unknown }) => error.code === 'tenant.credential_required'
        && JSON.stringify(error.details) === JSON.stringify({ credentials: ['messaging.sms.twilio.authToken'], destinations: ['messaging.sms.twilio.baseUrl'] }));
    // the default written out is no change; neither is anything beside the destination
    assert.deepEqual(apply(settings, { messaging: { sms: { twilio: { baseUrl: 'https://api.twilio.com', from: '+15005550007' } } } }).rebound, []);
    assert.deepEqual(apply(settings, { messaging: { sms: { twilio: { baseUrl: 'http://127.0.0.1:1', authToken: 'again' } } } }).rebound,
      [{ credential: 'messaging.sms.twilio.authToken', destinations: ['messaging.sms.twilio.baseUrl'], reentered: true }]);
  });

  it('removing the credential together with the move is allowed', () => {
    const { settings } = apply({}, { connections: { sso: { type: 'oidc', clientId: 'c', clientSecret: 's', issuer: 'https://idp.example.com' } } });
    const moved = apply(settings, { connections: { sso: { issuer: 'https://other.example.com', clientSecret: null } } });
    assert.equal((moved.settings.connections as Record<string, Record<string, unknown>>).sso!.clientSecret, undefined);
  });

  it('an Apple key follows its issuer', () => {
    const apple = { type: 'apple', clientId: 'c', teamId: 'ABCDEFGHIJ', keyId: 'ABCDEFGHIJ', privateKey: 'pem' };
    const { settings } = apply({}, { connections: { apple } });
    assert.throws(() => apply(settings, { connections: { apple: { issuer: 'https://evil.example.com' } } }), /connections\.apple\.privateKey/);
  });

  it('the SMTP URL moves only whole: it is the credential itself', () => {
    const { settings } = apply({}, { messaging: { email: { smtpUrl: 'smtp://user:pw@mail.example.com:587' } } });
    assert.deepEqual(apply(settings, { messaging: { email: { smtpUrl: 'smtp://user:pw2@other.example.com:587', from: 'a@b.example' } } }).rebound, []);
  });
});
