// Connection settings (issue #4): parsing with defaults, a damaged entry dropped alone, credentials sealed per
// connection as they are written and never shown back, https only in production, button order and colours.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { createConnections } from '../../src/auth-methods/federated/connections.js';
import { createSealer } from '../../src/crypto/sealing.js';
import { connectionButtonCss } from '../../src/tenants/connection-settings.js';
import { parseTenantSettings } from '../../src/tenants/tenant-settings.js';
import { applySettingsPatch, redactSettings, secretContext } from '../../src/tenants/tenant-settings-update.js';

const sealer = createSealer([randomBytes(32).toString('base64url')]);
const patch = (current: unknown, change: unknown, production = false) => applySettingsPatch(current, change, { tenantId: 't1', sealer, production, outboundPolicy: production ? 'public-https' : 'allow-private' }).settings;

const google = { type: 'google', clientId: 'g-client', clientSecret: 'g-secret-123' };
const github = { type: 'github', clientId: 'gh-client', clientSecret: 'gh-secret-456', allowedOrganizations: ['acme'] };

describe('connection settings', () => {
  it('fills in each type’s defaults', () => {
    const stored = patch({}, { connections: { google, gh: github } });
    const { connections } = parseTenantSettings(stored);
    assert.equal(connections.google?.type, 'google');
    assert.equal(connections.google?.type === 'google' && connections.google.issuer, 'https://accounts.google.com');
    assert.equal(connections.gh?.type === 'github' && connections.gh.apiUrl, 'https://api.github.com');
    assert.deepEqual([connections.google?.enabled, connections.google?.trustedForLinking, connections.google?.order], [true, false, 100]);
  });

  it('seals each credential under its own path, keeps it through later patches, and shows it as (set)', () => {
    const stored = patch({}, { connections: { google } }) as { connections: { google: { clientSecret: string } } };
    const sealed = stored.connections.google.clientSecret;
    assert.match(sealed, /^v1\./);
    assert.ok(!JSON.stringify(stored).includes('g-secret-123'));
    assert.equal(sealer.open(sealed, secretContext('t1', 'connections.google.clientSecret')), 'g-secret-123');
    const renamed = patch(stored, { connections: { google: { displayName: 'Google Workspace' } } }) as typeof stored;
    assert.equal(renamed.connections.google.clientSecret, sealed, 'a patch of another field leaves the secret alone');
    assert.equal((redactSettings(renamed) as typeof stored).connections.google.clientSecret, '(set)');
    const removed = patch(renamed, { connections: { google: null } }) as { connections: Record<string, unknown> };
    assert.deepEqual(removed.connections, {});
  });

  it('refuses what would not work, with the path of each problem', () => {
    assert.throws(() => patch({}, { connections: { Google: google } }), /connections\.Google/);
    assert.throws(() => patch({}, { connections: { x: { type: 'myspace', clientId: 'a' } } }), /connections\.x/);
    assert.throws(() => patch({}, { connections: { x: { type: 'oidc', clientId: 'a' } } }), /connections\.x\.issuer/);
    assert.throws(() => patch({}, { connections: { a: { type: 'apple', clientId: 'a', teamId: 'short', keyId: 'ABCDEFGHIJ', privateKey: 'k' } } }), /teamId/);
    assert.throws(() => patch({}, { connections: { o: { type: 'oidc', clientId: 'a', issuer: 'http://idp.example.com' } } }, true), /connections\.o\.issuer: must use https/);
    assert.doesNotThrow(() => patch({}, { connections: { o: { type: 'oidc', clientId: 'a', issuer: 'http://127.0.0.1:9000' } } }));
  });

  it('refuses a required MFA policy that could not enrol anyone at sign-in', () => {
    assert.throws(() => patch({}, { mfa: { policy: 'required', factors: { totp: false } } }), /mfa\.factors\.totp/);
    const stamped = patch({}, { mfa: { policy: 'required' } }) as { mfa: { requiredSince: string } };
    assert.ok(Date.parse(stamped.mfa.requiredSince) <= Date.now());
  });

  it('drops a damaged stored entry and keeps the others', () => {
    const stored = patch({}, { connections: { google, gh: github } }) as { connections: Record<string, Record<string, unknown>> };
    stored.connections.gh!.clientSecret = 'not sealed';
    assert.deepEqual(Object.keys(parseTenantSettings(stored).connections), ['google']);
  });

  it('lists enabled connections as buttons in their order, with colours only through the stylesheet', () => {
    const stored = patch({}, {
      connections: {
        google: { ...google, order: 2, button: { backgroundColor: '#ffffff', textColor: '#1f1f1f' } },
        gh: { ...github, order: 1 },
        off: { ...google, enabled: false },
      },
    });
    const { connections } = parseTenantSettings(stored);
    assert.deepEqual(createConnections({ sealer, fetch }).buttons(connections).map((b) => [b.id, b.name]), [['gh', 'GitHub'], ['google', 'Google']]);
    assert.equal(connectionButtonCss(connections), '.connection-google{background:#ffffff;border-color:#ffffff;color:#1f1f1f;}');
    assert.equal(createConnections({ sealer, fetch }).find('t1', connections, 'off'), null, 'a disabled connection cannot be used');
    assert.equal(createConnections({ sealer, fetch }).find('t1', connections, 'constructor'), null);
  });
});
