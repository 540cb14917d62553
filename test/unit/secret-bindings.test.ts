// Where each sealed credential goes (secret-bindings.ts): a change of destination without the credential entered
// again is refused; defaults count as destinations; the SMTP URL carries its own host, so it can only move whole.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { z } from 'zod';
import { createSealer } from '../../src/crypto/sealing.js';
import { secretBindings, secretPaths } from '../../src/tenants/secret-bindings.js';
import { applySettingsPatch } from '../../src/tenants/tenant-settings-update.js';
import { parseTenantSettings, ttlSchema } from '../../src/tenants/tenant-settings.js';
import { connectionsSchema } from '../../src/tenants/connection-settings.js';
import { grantSettingsSchema } from '../../src/tenants/grant-settings.js';
import { headlessSettingsSchema } from '../../src/tenants/headless-settings.js';
import { messagingSettingsSchema } from '../../src/tenants/messaging-settings.js';
import { mfaSettingsSchema } from '../../src/tenants/mfa-settings.js';
import { protocolSettingsSchema } from '../../src/tenants/protocol-settings.js';
import { registrationSettingsSchema } from '../../src/tenants/registration-settings.js';
import { relyingPartySettingsSchema } from '../../src/tenants/relying-party-settings.js';
import { signInSettingsSchema } from '../../src/tenants/sign-in-settings.js';
import { textSettingsSchema } from '../../src/tenants/text-settings.js';
import { rbacSettingsSchema } from '../../src/rbac/rbac-settings.js';

const sealer = createSealer([randomBytes(32).toString('base64url')]);
const apply = (current: unknown, change: unknown) => applySettingsPatch(current, change, { tenantId: 't1', sealer, production: false, outboundPolicy: 'allow-private' });
const twilio = { accountSid: `AC${'a'.repeat(32)}`, authToken: 'tw-token', from: '+15005550006' };

// Each section of a tenant's settings with its schema; the three scalars beside them and branding hold no credential.
const sections: Record<string, z.ZodType> = {
  ttl: ttlSchema, signIn: signInSettingsSchema, messaging: messagingSettingsSchema, connections: connectionsSchema,
  mfa: mfaSettingsSchema, rbac: rbacSettingsSchema, oidc: relyingPartySettingsSchema, protocol: protocolSettingsSchema,
  headless: headlessSettingsSchema, registration: registrationSettingsSchema, grants: grantSettingsSchema, texts: textSettingsSchema,
};
const scalars = ['idTokenSigningAlg', 'accessTokenSigningAlg', 'defaultResource', 'branding'];

interface Def { type: string; shape?: Record<string, z.ZodType>; innerType?: z.ZodType; options?: z.ZodType[]; valueType?: z.ZodType; element?: z.ZodType; in?: z.ZodType; out?: z.ZodType; left?: z.ZodType; right?: z.ZodType; checks?: Array<{ _zod: { def: { format?: string; pattern?: RegExp } } }> }
const defOf = (schema: z.ZodType) => (schema as unknown as { _zod: { def: Def } })._zod.def;
/** a string the schema only accepts sealed (`v1.…`, sealing.ts): how the settings schemas mark a stored credential */
const isSealed = (def: Def) => def.type === 'string' && (def.checks ?? []).some((c) => c._zod.def.format === 'regex' && String(c._zod.def.pattern) === String(/^v1\./));

/** the dotted paths (`*` for a record's keys) of every sealed string the schema holds */
function sealedPaths(schema: z.ZodType, path: string[] = []): string[] {
  const def = defOf(schema);
  if (isSealed(def)) return [path.join('.')];
  switch (def.type) {
    case 'object': return Object.entries(def.shape!).flatMap(([key, field]) => sealedPaths(field, [...path, key]));
    case 'record': return sealedPaths(def.valueType!, [...path, '*']);
    case 'union': return def.options!.flatMap((option) => sealedPaths(option, path));
    case 'intersection': return [...sealedPaths(def.left!, path), ...sealedPaths(def.right!, path)];
    case 'array': return sealedPaths(def.element!, [...path, '*']);
    case 'pipe': return [...sealedPaths(def.in!, path), ...sealedPaths(def.out!, path)];
    case 'optional': case 'nullable': case 'default': case 'prefault': case 'catch': case 'readonly': case 'nonoptional': return sealedPaths(def.innerType!, path);
    default: return [];
  }
}

describe('secret bindings', () => {
  it('binds every credential the settings schemas hold sealed, once each, and nothing else', () => {
    // every section of the settings is walked: a new section must be added above
    assert.deepEqual(Object.keys(parseTenantSettings({})).sort(), [...Object.keys(sections), ...scalars].sort());
    const fromSchemas = [...new Set(Object.entries(sections).flatMap(([name, schema]) => sealedPaths(schema, [name])))].sort();
    assert.ok(fromSchemas.includes('messaging.sms.twilio.authToken') && fromSchemas.includes('connections.*.privateKey'), `the walk found ${fromSchemas.join(', ')}`);
    assert.deepEqual([...secretPaths].sort(), fromSchemas);
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
