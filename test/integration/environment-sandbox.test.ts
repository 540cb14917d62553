// Sandbox-only behaviour of environments (issue #19 §4, §6) over HTTP: a new environment sends nothing (outbox), may
// have one fixed debug code for every email and SMS code — refused in live —, shows a "sandbox" banner on its hosted
// pages, and has its own code length (4 digits only with at most 5 attempts per code).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { Browser } from '../support/browser.js';
import { asConsolePage, createOperator, csrfOf, post, signInToConsole } from '../support/admin-console.js';
import { cliJson, createClient, createTenant } from '../support/fixtures.js';
import { loginPage } from '../support/hosted-pages.js';
import { outbox } from '../support/email-flows.js';
import { discover } from '../support/relying-party.js';
import { startServer, useTessera } from '../support/use-tessera.js';

describe('sandbox environments', () => {
  const server = useTessera();
  let slug: string;
  let live: string;
  let sandbox: string;

  const settings = (env: string, patch: unknown) => server.cli(['tenant', 'settings', '--tenant', slug, '--env', env, '--set', JSON.stringify(patch)]);
  const effective = (env: string) => cliJson<{ signIn: { sandbox: boolean; debugCode: string | null; code: { length: number } } }>(server, ['tenant', 'settings', '--tenant', slug, '--env', env]);

  before(async () => {
    ({ slug, issuer: live } = await createTenant(server));
    ({ issuer: sandbox } = await cliJson<{ issuer: string }>(server, ['env', 'create', '--tenant', slug, '--name', 'sandbox']));
  });

  it('starts as a sandbox (every message to the outbox); live does not', async () => {
    assert.equal((await effective('sandbox')).signIn.sandbox, true);
    assert.equal((await effective('live')).signIn.sandbox, false);
  });

  it('refuses a debug code in live, even a live sandbox tenant; accepts it in the sandbox environment', async () => {
    const inLive = await settings('live', { signIn: { sandbox: true, debugCode: '1234' } });
    assert.equal(inLive.code, 1);
    assert.match(inLive.stderr, /signIn\.sandbox, signIn\.debugCode: sandbox settings belong to a sandbox environment, never live/);
    assert.equal((await effective('live')).signIn.debugCode, null);
    const notSandbox = await server.cli(['env', 'create', '--tenant', slug, '--name', 'staging']);
    assert.equal(notSandbox.code, 0);
    const staging = await settings('staging', { signIn: { sandbox: false, debugCode: '1234' } });
    assert.match(staging.stderr, /signIn.debugCode: needs signIn.sandbox/);
    const malformed = await settings('sandbox', { signIn: { debugCode: '12a4' } });
    assert.equal(malformed.code, 1);
    assert.equal((await settings('sandbox', { signIn: { debugCode: '1234' } })).code, 0);
  });

  it('signs in with the debug code through the sandbox\'s backend OTP API, and records it in the outbox', async () => {
    await settings('sandbox', { signIn: { methods: { emailOtp: true }, debugCode: '1234' } });
    const app = await cliJson<{ app_id: string; app_secret: string }>(server, ['app', 'create', '--tenant', slug, '--env', 'sandbox', '--name', 'Test', '--slug', 'test-app']);
    const post = (path: string, body: unknown) => fetch(`${server.url}/auth/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const email = `debug-${Date.now()}@example.com`;
    const sent = await post('send-otp', { app_id: app.app_id, app_secret: app.app_secret, email });
    assert.equal(sent.status, 200, await sent.clone().text());
    const { otp_request_id: id } = (await sent.json()) as { otp_request_id: string };
    const verified = await post('verify-otp', { app_id: app.app_id, app_secret: app.app_secret, otp_request_id: id, otp: '1234' });
    assert.equal(verified.status, 200, await verified.clone().text());
    const tokens = (await verified.json()) as { access_token: string };
    assert.equal(decodeJwt(tokens.access_token).iss, sandbox);
    let recorded: string | undefined;
    for (let i = 0; i < 50 && !recorded; i++) {
      recorded = (await outbox(sandbox)).find((message) => message.to === email)?.code ?? undefined;
      if (!recorded) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(recorded, '1234');
  });

  it('shows a sandbox banner on its hosted pages, and none in live', async () => {
    const page = async (issuer: string, env: string) => {
      const client = await createClient(server, slug, ['--env', env]);
      return (await loginPage(new Browser(), await discover(issuer, client.client_id, client.client_secret!))).page.html;
    };
    assert.match(await page(sandbox, 'sandbox'), /class="sandbox-banner" role="status">Sandbox: a test environment/);
    assert.doesNotMatch(await page(live, 'live'), /sandbox-banner/);
  });

  it('has a code length of its own: 4 to 8 digits, 4 only with at most 5 attempts per code', async () => {
    assert.equal((await settings('sandbox', { signIn: { code: { length: 8 } } })).code, 0);
    assert.equal((await effective('sandbox')).signIn.code.length, 8);
    assert.equal((await effective('live')).signIn.code.length, 6, 'live keeps the default');
    const weak = await settings('live', { signIn: { code: { length: 4, maxAttempts: 10 } } });
    assert.equal(weak.code, 1);
    assert.match(weak.stderr, /4 digits only while signIn.code.maxAttempts is 5 or less/);
    assert.equal((await settings('live', { signIn: { code: { length: 4, maxAttempts: 3 } } })).code, 0);
    assert.equal((await settings('live', { signIn: { code: { maxAttempts: 6 } } })).code, 1, 'nor raising the attempts later');
    assert.equal((await settings('live', { signIn: { code: { length: 9 } } })).code, 1);
  });

  it('sets the code length on the console\'s policies page, which says why 4 digits need few attempts', async () => {
    const owner = await createOperator(server, 'owner');
    const { browser } = await signInToConsole(server, owner);
    const policies = asConsolePage(await browser.navigate(`${server.url}/admin/tenants/${slug}~sandbox/policies`), 'the policies page');
    assert.match(policies.html, /Four digits are allowed only while a code takes at most 5 attempts/);
    const refused = asConsolePage(await post(browser, server, `/admin/tenants/${slug}~sandbox/policies/codes`, { _csrf: csrfOf(policies), codeLength: '4', codeMaxAttempts: '8' }), 'the refusal');
    assert.equal(refused.status, 400);
    assert.match(refused.html, /4 digits only while signIn.code.maxAttempts is 5 or less/);
    asConsolePage(await post(browser, server, `/admin/tenants/${slug}~sandbox/policies/codes`, { _csrf: csrfOf(policies), codeLength: '4', codeMaxAttempts: '5' }), 'saved');
    assert.equal((await effective('sandbox')).signIn.code.length, 4);
  });

  it('is impossible wherever a hosting platform is detected: no start with a debug code, no new sandbox', async () => {
    const { PORT: _port, PUBLIC_URL: _url, ...shared } = server.env;
    await assert.rejects(startServer({ ...shared, KUBERNETES_SERVICE_HOST: '10.0.0.1' }), /have fixed test codes[\s\S]*debugCode counts too/);
    await settings('sandbox', { signIn: { debugCode: null } });
    const onPlatform = await startServer({ ...shared, KUBERNETES_SERVICE_HOST: '10.0.0.1' });
    try {
      const refused = await onPlatform.cli(['tenant', 'settings', '--tenant', slug, '--env', 'sandbox', '--set', JSON.stringify({ signIn: { debugCode: '1234' } })]);
      assert.match(refused.stderr, /not allowed in production/);
      const created = await cliJson<{ environment: string }>(onPlatform, ['env', 'create', '--tenant', slug, '--name', 'preview']);
      assert.equal(created.environment, 'preview');
      const preview = await cliJson<{ signIn: { sandbox: boolean } }>(onPlatform, ['tenant', 'settings', '--tenant', slug, '--env', 'preview']);
      assert.equal(preview.signIn.sandbox, false);
    } finally {
      await onPlatform.stop();
    }
  });
});
