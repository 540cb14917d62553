// A sandbox environment saved outside production and then run where production is detected (issue #19: sandbox
// behaviour is "impossible whenever production is detected"): its stored signIn.sandbox changes nothing there. Its
// messages reach the vendors, its pages show no banner, its outbox is not readable and no debug code can be set.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { BehindProxy, Browser } from '../support/browser.js';
import { cliJson, createClient } from '../support/fixtures.js';
import { loginPage } from '../support/hosted-pages.js';
import { exchange, mailTo, startByEmail, submitCode } from '../support/email-flows.js';
import { codeFrom, phoneSignIn, randomMobile, readOutbox, startVendors, vendorSettings, waitFor, type Vendors } from '../support/phone-flows.js';
import { discover, oidc } from '../support/relying-party.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';
import { createTestServices, type TestServices } from '../support/test-env.js';
import { freePort, runCliInProcess } from '../support/tessera-process.js';
import { startServer } from '../support/use-tessera.js';

describe('a sandbox environment saved before a production start', () => {
  let services: TestServices;
  let smtp: TestSmtpServer;
  let vendors: Vendors;
  const tenant = `prod-sbx-${Date.now().toString(36)}`;
  const slug = `${tenant}~sandbox`;

  const cliOk = async (argv: string[]) => {
    const ran = await runCliInProcess(argv, services.env);
    assert.equal(ran.code, 0, ran.stderr);
    return ran;
  };

  before(async () => {
    [services, smtp, vendors] = await Promise.all([createTestServices(), startSmtpServer(), startVendors()]);
    await cliOk(['db', 'migrate']);
    await cliOk(['tenant', 'create', tenant]);
    // outside production: the new environment is a sandbox (every message to the outbox)
    await cliOk(['env', 'create', '--tenant', tenant, '--name', 'sandbox']);
    await cliOk(['tenant', 'settings', '--tenant', tenant, '--env', 'sandbox', '--set', JSON.stringify({
      signIn: { methods: { emailOtp: true, smsOtp: true }, signUp: true },
      messaging: { sms: { routes: { default: ['twilio'] }, twilio: vendorSettings.twilioMessaging(vendors) } },
    })]);
    const saved = JSON.parse((await cliOk(['tenant', 'settings', '--tenant', tenant, '--env', 'sandbox'])).stdout) as { signIn: { sandbox: boolean } };
    assert.equal(saved.signIn.sandbox, true, 'saved as a sandbox');
  });
  after(async () => {
    await services?.drop();
    await Promise.all([smtp?.close(), vendors?.close()]);
  });
  afterEach(() => vendors.assertNoRejections());

  it('with NODE_ENV=production: mail goes out over SMTP, no banner, no outbox, no debug code', async () => {
    const port = await freePort();
    const publicOrigin = `https://127.0.0.1:${port}`;
    const server = await startServer({ ...services.env, NODE_ENV: 'production', SMTP_URL: smtp.url }, { port, publicUrl: publicOrigin });
    try {
      const client = await createClient(server, tenant, ['--first-party', '--env', 'sandbox']);
      const viaHttp: oidc.CustomFetch = (url, options) => fetch(url.replace(publicOrigin, server.url), options as RequestInit);
      const config = await oidc.discovery(new URL(`${publicOrigin}/t/${slug}`), client.client_id, client.client_secret!, undefined, { [oidc.customFetch]: viaHttp });

      const browser = new BehindProxy(publicOrigin, server.url);
      const { page: login } = await loginPage(browser, config);
      assert.doesNotMatch(login.html, /sandbox-banner/, 'no banner in production');

      const email = `prod-${Date.now()}@example.com`;
      const { request, page } = await startByEmail(browser, config, email, 'email-code');
      const mail = await mailTo(smtp, email);
      const { claims } = await exchange(config, request, await submitCode(browser, page, mail.code!));
      assert.deepEqual(claims.amr, ['otp']);

      for (const accept of ['application/json', 'text/html']) {
        assert.equal((await fetch(`${server.url}/t/${slug}/outbox`, { headers: { accept } })).status, 404, accept);
      }
      assert.deepEqual(await cliJson(server, ['outbox', 'list', '--tenant', tenant, '--env', 'sandbox']), [], 'nothing recorded');

      const refused = await server.cli(['tenant', 'settings', '--tenant', tenant, '--env', 'sandbox', '--set', JSON.stringify({ signIn: { debugCode: '1234' } })]);
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /signIn\.sandbox, signIn\.debugCode: sandbox settings are not allowed in production/);
    } finally {
      await server.stop();
    }
  });

  it('with a hosting platform\'s marker: the SMS goes to the vendor, no banner', async () => {
    const server = await startServer({ ...services.env, KUBERNETES_SERVICE_HOST: '10.0.0.1' });
    try {
      const client = await createClient(server, tenant, ['--first-party', '--env', 'sandbox']);
      const issuer = server.issuer(slug);
      const config = await discover(issuer, client.client_id, client.client_secret!);
      const { page: login } = await loginPage(new Browser(), config);
      assert.doesNotMatch(login.html, /sandbox-banner/, 'no banner where a platform is detected');

      const phone = randomMobile('GB');
      const since = vendors.twilio.messages.length;
      const signedIn = await phoneSignIn(config, phone, () => codeFrom.twilioMessage(vendors, phone, since));
      assert.deepEqual(signedIn.claims.amr, ['sms']);
      // NODE_ENV is not production here: the outbox still records, but as delivered by the vendor
      const entry = await waitFor('the outbox entry', async () => (await readOutbox(issuer)).find((e) => e.to === phone));
      assert.deepEqual([entry.provider, entry.delivered], ['twilio', true]);
    } finally {
      await server.stop();
    }
  });
});
