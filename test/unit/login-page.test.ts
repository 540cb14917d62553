// The hosted login page draws its ways in from the method registry (issue #16 §1): what a tenant's settings switch on
// in the registry is what the page offers, and a method the template has no part for still gets its button.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Context } from 'koa';
import type { UsersService } from '../../src/accounts/users.service.js';
import { createAuthMethodRegistry, type AuthMethodRegistryDeps, type LoginPageWay } from '../../src/auth-methods/auth-method-registry.js';
import { createConnections } from '../../src/auth-methods/federated/connections.js';
import { createLoginPage } from '../../src/auth-methods/login-page.js';
import type { Factors } from '../../src/auth-methods/mfa/factors.service.js';
import { createSealer } from '../../src/crypto/sealing.js';
import type { Details, InteractionContext } from '../../src/interactions/interaction-context.js';
import type { CourierTenant } from '../../src/notifications/courier.js';
import type { TenantChannels } from '../../src/notifications/tenant-channels.js';
import type { KvStore } from '../../src/store/kv-store.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import { createRateLimiter } from '../../src/store/rate-limiter.js';
import { parseTenantSettings } from '../../src/tenants/tenant-settings.js';
import { english, renderer } from '../support/view-samples.js';

const stores: KvStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

const tenantWith = (settings: Record<string, unknown>): CourierTenant => {
  const parsed = parseTenantSettings(settings);
  return { id: 't1', slug: 'acme', name: 'Acme', settings: parsed, branding: parsed.branding };
};

const connections = createConnections({ sealer: createSealer(['a secret long enough for the test sealer']), fetch: globalThis.fetch });
const channels = { email: () => null, sms: () => null, whatsapp: () => null } as unknown as TenantChannels;

function realRegistry() {
  const store = createMemoryStore({ prefix: 'login-page-test:' });
  stores.push(store);
  return createAuthMethodRegistry({
    users: {} as UsersService, factors: {} as Factors, limiter: createRateLimiter(store), channels, connections, env: 'test',
    revokeAccount: async () => undefined,
  } as unknown as AuthMethodRegistryDeps);
}

/** the page's render, captured: the view name and the data the template gets, then rendered as the server would */
async function renderPage(tenant: CourierTenant, registry: { loginPage(tenant: CourierTenant): LoginPageWay[] }) {
  let captured: { view: string; data: Record<string, unknown> } | null = null;
  const ix = {
    base: () => '/t/acme/interaction/uid1',
    tenantOf: () => tenant,
    csrfToken: () => 'csrf',
    clientName: async () => 'App',
    render: async (_ctx: Context, view: string, options: { data: Record<string, unknown> }) => {
      captured = { view, data: options.data };
    },
  } as unknown as InteractionContext;
  const page = createLoginPage({ ix, channels, connections, registry, env: 'test' });
  const ctx = { set: () => undefined, state: {} } as unknown as Context;
  await page.render(ctx, { uid: 'uid1', params: {} } as unknown as Details);
  const { view, data } = captured!;
  const html = await renderer.render(view, { page: { lang: 'en', title: 'Sign in', refreshSeconds: null, tenant: { name: 'Acme', slug: 'acme', logoUrl: null }, assetsUrl: '/assets', brandCssUrl: '/b.css' }, ...data });
  return { data, html, words: english };
}

describe('login page from the method registry', () => {
  test('the page offers exactly the first factors the registry offers the tenant', async () => {
    const registry = realRegistry();
    for (const methods of [{ password: true, emailOtp: true, magicLink: false, passkey: false }, { password: false, emailOtp: false, magicLink: true, smsOtp: true, passkey: true }]) {
      const tenant = tenantWith({ signIn: { methods } });
      const { data } = await renderPage(tenant, registry);
      const shown = Object.entries(data.methods as Record<string, boolean>).filter(([flag, on]) => on && !['signUp', 'passwordReset'].includes(flag)).map(([flag]) => flag);
      assert.deepEqual(shown.sort(), registry.loginPage(tenant).map((way) => way.flag).sort());
    }
  });

  test('a way the registry drops is gone from the page, whatever the tenant settings say', async () => {
    const registry = realRegistry();
    const tenant = tenantWith({ signIn: { methods: { password: true, emailOtp: true } } });
    const withoutCodes = { loginPage: (t: CourierTenant) => registry.loginPage(t).filter((way) => way.method !== 'email_otp') };
    const { data, html } = await renderPage(tenant, withoutCodes);
    assert.equal((data.methods as Record<string, boolean>).emailOtp, false);
    assert.doesNotMatch(html, /email-code/);
    assert.match(html, /action="\/t\/acme\/interaction\/uid1\/login"/);
  });

  test('a newly registered method gets a button to its own route without a template change', async () => {
    const registry = realRegistry();
    const tenant = tenantWith({ signIn: { methods: { password: true } } });
    const extended = { loginPage: (t: CourierTenant) => [...registry.loginPage(t), { flag: 'carrierPigeon', path: '/pigeon', label: 'login.phone', method: 'pigeon' }] };
    const { data, html } = await renderPage(tenant, extended);
    assert.deepEqual(data.otherWays, [{ label: 'login.phone', url: '/t/acme/interaction/uid1/pigeon' }]);
    assert.match(html, /<a class="button button-secondary" href="\/t\/acme\/interaction\/uid1\/pigeon">Use your phone number<\/a>/);
  });
});
