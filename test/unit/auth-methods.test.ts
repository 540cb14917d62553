// The auth-method contract for the methods no HTTP test of the backend OTP API reaches: password (attempts reserved
// per account and IP before the hash is checked), TOTP and recovery codes as second factors, and the registry's
// view of what a tenant offers.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { UsersService } from '../../src/accounts/users.service.js';
import { createAuthMethodRegistry, type AuthMethodRegistryDeps } from '../../src/auth-methods/auth-method-registry.js';
import type { Factors } from '../../src/auth-methods/mfa/factors.service.js';
import type { UserRecord } from '../../src/db/users.repository.js';
import type { CourierTenant } from '../../src/notifications/courier.js';
import type { TenantChannels } from '../../src/notifications/tenant-channels.js';
import type { KvStore } from '../../src/store/kv-store.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import { createRateLimiter } from '../../src/store/rate-limiter.js';
import { parseTenantSettings } from '../../src/tenants/tenant-settings.js';

const stores: KvStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

const request = { ip: '203.0.113.7', userAgent: null };
const tenantWith = (settings: Record<string, unknown>): CourierTenant => {
  const parsed = parseTenantSettings(settings);
  return { id: 't1', slug: 'acme', name: 'Acme', settings: parsed, branding: parsed.branding };
};

function registry(overrides: { users?: Partial<UsersService>; factors?: Partial<Factors> } = {}) {
  const store = createMemoryStore({ prefix: 'auth-methods-test:' });
  stores.push(store);
  const user = { id: 'u1', email: 'ann@example.com', disabled: false } as UserRecord;
  const deps = {
    users: { realmOf: async (tenantId: string) => tenantId, authenticate: async (_t: string, email: string, password: string) => (email === 'ann@example.com' && password === 'right horse battery' ? user : null), ...overrides.users } as unknown as UsersService,
    factors: {
      reserveAttempt: async () => ({ allowed: true, succeeded: async () => undefined }),
      verifyTotp: async (_t: string, _u: string, code: string) => code === '123456',
      useRecoveryCode: async (_t: string, _u: string, code: string) => code === 'abcde-fghjk',
      ...overrides.factors,
    } as unknown as Factors,
    limiter: createRateLimiter(store),
    channels: { email: () => null, sms: () => null, whatsapp: () => null } as unknown as TenantChannels,
    connections: { buttons: () => [] },
    env: 'test',
    revokeAccount: async () => undefined,
  } as unknown as AuthMethodRegistryDeps;
  return createAuthMethodRegistry(deps);
}

describe('auth-method contract', () => {
  test('every method states id, amr, factor and availability; ids are the registry keys', () => {
    const methods = registry();
    assert.deepEqual(methods.ids(), ['password', 'email_otp', 'magic_link', 'sms_otp', 'whatsapp_otp', 'federated', 'passkey_sign_in', 'totp', 'recovery_code', 'sms', 'passkey']);
    for (const [id, method] of Object.entries(methods.methods)) {
      assert.equal(method.id, id);
      assert.ok(method.amr.length > 0);
      assert.ok(['first', 'second'].includes(method.factor));
    }
    // the JSON front doors find only the methods that take a proof handed over
    assert.deepEqual(methods.ids().filter((id) => methods.get(id)), ['password', 'email_otp', 'magic_link', 'sms_otp', 'whatsapp_otp', 'federated', 'totp', 'recovery_code', 'sms', 'passkey']);
    assert.equal(methods.get('nope'), null);
    assert.equal(methods.get('__proto__'), null);
  });

  test('a tenant is offered what its settings switch on (the hosted login page reads the same flags)', () => {
    const methods = registry();
    const tenant = tenantWith({ signIn: { methods: { password: true, emailOtp: true, smsOtp: false } }, mfa: { policy: 'optional' } });
    assert.deepEqual(methods.offered(tenant, 'first').map((m) => m.id), ['password', 'email_otp']);
    assert.deepEqual(methods.offered(tenant, 'second').map((m) => m.id), ['totp', 'recovery_code', 'sms', 'passkey']);
    const off = tenantWith({ mfa: { policy: 'off' } });
    assert.deepEqual(methods.offered(off, 'second'), []);
    assert.deepEqual(methods.get('sms_otp')!.loginPage?.flag, 'phone');
  });

  test('password: a wrong one and an unknown email answer alike; the 11th attempt in the window is refused before the check', async () => {
    let checks = 0;
    const methods = registry({ users: { authenticate: async (_t: string, email: string, password: string) => { checks++; return email === 'ann@example.com' && password === 'right horse battery' ? ({ id: 'u1', email, disabled: false } as UserRecord) : null; } } });
    const password = methods.get('password')!;
    const tenant = tenantWith({});
    const right = await password.verify({ tenant, identifier: 'ann@example.com', secret: 'right horse battery', request });
    assert.deepEqual(right, { ok: true, userId: 'u1', identifier: { kind: 'email', value: 'ann@example.com' }, amr: ['pwd'], signUp: false, verifyEmail: false });
    assert.deepEqual(await password.verify({ tenant, identifier: 'nobody@example.com', secret: 'x', request }), await password.verify({ tenant, identifier: 'ann@example.com', secret: 'x', request }));
    for (let i = 0; i < 9; i++) await password.verify({ tenant, identifier: 'ann@example.com', secret: 'wrong', request });
    const before = checks;
    const refused = await password.verify({ tenant, identifier: 'ann@example.com', secret: 'right horse battery', request });
    assert.equal(refused.ok === false && refused.error, 'rate_limited');
    assert.equal(checks, before, 'refused before the hash is checked');
  });

  test('password under signIn.requireVerifiedEmail: a right password of an unverified email says so; a verified one or a wrong password does not', async () => {
    const accounts: Record<string, UserRecord> = {
      'new@example.com': { id: 'u2', email: 'new@example.com', emailVerified: false, disabled: false } as UserRecord,
      'ann@example.com': { id: 'u1', email: 'ann@example.com', emailVerified: true, disabled: false } as UserRecord,
    };
    const methods = registry({ users: { authenticate: async (_t: string, email: string, password: string) => (password === 'right horse battery' ? accounts[email] ?? null : null) } });
    const password = methods.get('password')!;
    const strict = tenantWith({ signIn: { requireVerifiedEmail: true } });
    const unverified = await password.verify({ tenant: strict, identifier: 'new@example.com', secret: 'right horse battery', request });
    assert.equal(unverified.ok && unverified.verifyEmail, true);
    const verified = await password.verify({ tenant: strict, identifier: 'ann@example.com', secret: 'right horse battery', request });
    assert.equal(verified.ok && verified.verifyEmail, false);
    assert.deepEqual(await password.verify({ tenant: strict, identifier: 'new@example.com', secret: 'wrong', request }), { ok: false, error: 'wrong', attemptsLeft: null });
    const lax = await password.verify({ tenant: tenantWith({}), identifier: 'new@example.com', secret: 'right horse battery', request });
    assert.equal(lax.ok && lax.verifyEmail, false);
  });

  test('TOTP and recovery codes answer only for the identified user, within the second-factor attempt limit', async () => {
    const tenant = tenantWith({});
    const methods = registry();
    const totp = methods.get('totp')!;
    assert.equal((await totp.verify({ tenant, userId: null, secret: '123456', request })).ok, false);
    assert.deepEqual(await totp.verify({ tenant, userId: 'u1', secret: '123456', request }), { ok: true, userId: 'u1', identifier: null, amr: ['otp'], signUp: false });
    const wrong = await totp.verify({ tenant, userId: 'u1', secret: '000000', request });
    assert.equal(wrong.ok === false && wrong.error, 'wrong');
    assert.equal((await methods.get('recovery_code')!.verify({ tenant, userId: 'u1', secret: 'abcde-fghjk', request })).ok, true);
    const locked = registry({ factors: { reserveAttempt: async () => ({ allowed: false, retryAfterSeconds: 42 }) } as Partial<Factors> });
    assert.deepEqual(await locked.get('totp')!.verify({ tenant, userId: 'u1', secret: '123456', request }), { ok: false, error: 'rate_limited', retryAfterSeconds: 42 });
  });
});
