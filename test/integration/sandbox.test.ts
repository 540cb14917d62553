// Sandbox environments (issue #19): whatever their messaging settings, they send nothing (no SMS, WhatsApp or email
// leaves) and every message lands in the outbox with its code, so the flows work end to end. Sandbox settings and
// fixed codes for test recipients exist for a sandbox environment only: the CLI refuses them in live, and a
// production server refuses to start while any environment has fixed codes.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import { Browser } from '../support/browser.js';
import { cliJson, createTenant, createUser, uniqueSlug } from '../support/fixtures.js';
import { asPage, loginPage } from '../support/hosted-pages.js';
import {
  asCodePage, auditEvents, codeFrom, createSandboxEnvironment, createPhoneTenant, deliveryEvent, enterCode, exchange, openPhonePage, phoneSignIn, randomMobile, readOutbox,
  sentCounts, startVendors, submitPhone, vendorSettings, waitFor, type Vendors,
} from '../support/phone-flows.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';
import { createTestServices } from '../support/test-env.js';
import { runCliInProcess, startTessera } from '../support/tessera-process.js';
import { useTessera } from '../support/use-tessera.js';

describe('sandbox environments', () => {
  // the installation has a real SMTP server: a sandbox must not use it
  const env: Record<string, string> = {};
  let smtp: TestSmtpServer;
  let vendors: Vendors;
  before(async () => {
    [smtp, vendors] = await Promise.all([startSmtpServer(), startVendors()]);
    env.SMTP_URL = smtp.url;
  });
  const server = useTessera(env);
  after(() => Promise.all([smtp?.close(), vendors?.close()]));
  afterEach(() => vendors.assertNoRejections());

  const everything = (v: Vendors, signIn: Record<string, unknown>) => ({
    signIn: { methods: { emailOtp: true, smsOtp: true, whatsappOtp: true }, signUp: true, ...signIn },
    messaging: { sms: { routes: { default: ['twilio'] }, twilio: vendorSettings.twilioMessaging(v) }, whatsapp: vendorSettings.whatsapp(v) },
  });

  it('sends nothing to the vendors or over SMTP; the outbox holds each message and its code signs in', async () => {
    const tenant = await createSandboxEnvironment(server, everything(vendors, { sandbox: true }));
    const before = sentCounts(vendors);

    const phone = randomMobile('GB');
    const sms = await phoneSignIn(tenant.config, phone, () => waitFor('the SMS in the outbox', async () => (await readOutbox(tenant.issuer)).find((e) => e.to === phone && e.channel === 'sms')?.code ?? undefined));
    assert.deepEqual(sms.claims.amr, ['sms']);
    assert.equal(sms.userinfo.phone_number, phone);

    const other = randomMobile('GB');
    const whatsapp = await phoneSignIn(tenant.config, other, () => waitFor('the WhatsApp message in the outbox', async () => (await readOutbox(tenant.issuer)).find((e) => e.to === other && e.channel === 'whatsapp')?.code ?? undefined), { channel: 'whatsapp' });
    assert.deepEqual(whatsapp.claims.amr, ['otp']);

    const user = await createUser(server, tenant.tenant);
    const browser = new Browser();
    const { request, page } = await loginPage(browser, tenant.config);
    const codePage = asCodePage(await browser.submit(page, '/email-code', { email: user.email }));
    const mail = await waitFor('the email in the outbox', async () => (await readOutbox(tenant.issuer)).find((e) => e.to === user.email));
    const byEmail = await exchange(tenant.config, request, await enterCode(browser, codePage, mail.code!));
    assert.equal(byEmail.claims.sub, user.id);

    const outbox = await readOutbox(tenant.issuer);
    assert.deepEqual(outbox.map((e) => [e.channel, e.to, e.provider, e.delivered]), [
      ['email', user.email, null, false], ['whatsapp', other, null, false], ['sms', phone, null, false],
    ], 'newest first, none delivered for real');
    assert.match(outbox[2]!.text, new RegExp(`^${outbox[2]!.code} is your Tenant ${tenant.tenant} \\(sandbox\\) sign-in code\\.`));
    assert.match(outbox[0]!.subject ?? '', /\S/);
    assert.deepEqual(sentCounts(vendors), before, 'no vendor was called');
    assert.equal(smtp.messages.filter((m) => m.to && JSON.stringify(m.to).includes(user.email)).length, 0, 'no email went out over SMTP');
    const sent = await auditEvents(server, tenant.slug, ['otp.sent']);
    assert.deepEqual(sent.map((e) => [e.data.channel, e.data.provider]), [['sms', null], ['whatsapp', null], ['email', null]]);
  });

  it('the same settings in live do send (the control for the test above)', async () => {
    const tenant = await createPhoneTenant(server, everything(vendors, {}));
    const phone = randomMobile('GB');
    const since = vendors.twilio.messages.length;
    await phoneSignIn(tenant.config, phone, () => codeFrom.twilioMessage(vendors, phone, since));
    const entry = await waitFor('the outbox entry', async () => (await readOutbox(tenant.issuer)).find((e) => e.to === phone));
    assert.deepEqual([entry.provider, entry.delivered], ['twilio', true]);
  });

  it('a test recipient signs in with its fixed code; other numbers still get random codes', async () => {
    const recipient = randomMobile('GB');
    const tenant = await createSandboxEnvironment(server, everything(vendors, { sandbox: true, testRecipients: { [recipient]: '246810' } }));
    const before = sentCounts(vendors);
    for (const attempt of [1, 2]) {
      const signedIn = await phoneSignIn(tenant.config, recipient, async () => '246810');
      assert.equal(signedIn.userinfo.phone_number, recipient, `sign-in ${attempt}`);
      assert.deepEqual(signedIn.claims.amr, ['sms']);
    }
    await deliveryEvent(server, tenant.slug, 2);
    assert.deepEqual((await readOutbox(tenant.issuer)).map((e) => [e.to, e.code]), [[recipient, '246810'], [recipient, '246810']]);

    const stranger = randomMobile('GB');
    const browser = new Browser();
    const codePage = asCodePage(await submitPhone(browser, (await openPhonePage(browser, tenant.config)).page, stranger));
    const entry = await waitFor('the stranger\'s code', async () => (await readOutbox(tenant.issuer)).find((e) => e.to === stranger));
    assert.match(entry.code ?? '', /^\d{6}$/);
    if (entry.code !== '246810') {
      const wrong = asPage(await enterCode(browser, codePage, '246810'), 'the code page again');
      assert.equal(wrong.status, 400, 'the fixed code is only for the test recipient');
    }
    assert.deepEqual(sentCounts(vendors), before);
  });

  it('the CLI refuses sandbox settings in live, naming the sandbox environment, and leaves its settings alone', async () => {
    const tenant = await createTenant(server);
    const recipients = { [randomMobile('GB')]: '123456' };
    for (const [signIn, fields] of [
      [{ testRecipients: recipients }, 'signIn.testRecipients'],
      [{ sandbox: true }, 'signIn.sandbox'],
      [{ sandbox: true, testRecipients: recipients }, 'signIn.sandbox, signIn.testRecipients'],
    ] as const) {
      const refused = await server.cli(['tenant', 'settings', '--tenant', tenant.slug, '--set', JSON.stringify({ signIn })]);
      assert.notEqual(refused.code, 0);
      assert.ok(refused.stderr.includes(`${fields}: sandbox settings belong to a sandbox environment, never live: create one with \`tessera env create --tenant ${tenant.slug} --name sandbox\``), refused.stderr);
    }
    const live = await cliJson<{ signIn: { sandbox: boolean; testRecipients: Record<string, string> } }>(server, ['tenant', 'settings', '--tenant', tenant.slug]);
    assert.deepEqual([live.signIn.sandbox, live.signIn.testRecipients], [false, {}]);

    assert.equal((await server.cli(['env', 'create', '--tenant', tenant.slug, '--name', 'sandbox'])).code, 0);
    const inSandbox = ['--tenant', tenant.slug, '--env', 'sandbox'];
    const sandboxed = await server.cli(['tenant', 'settings', ...inSandbox, '--set', JSON.stringify({ signIn: { sandbox: true, testRecipients: recipients } })]);
    assert.equal(sandboxed.code, 0, sandboxed.stderr);
    // a key the sign-in pages could never produce would be accepted and never match: refused
    for (const key of ['+15550000001', '07911 123456', '+44 7911 123456', 'Ada@Example.com']) {
      const unusable = await server.cli(['tenant', 'settings', ...inSandbox, '--set', JSON.stringify({ signIn: { testRecipients: { [key]: '123456' } } })]);
      assert.notEqual(unusable.code, 0, `test recipient "${key}" accepted`);
      assert.ok(unusable.stderr.includes(`signIn.testRecipients: "${key}" is neither an E.164 number`), unusable.stderr);
    }
    const leaving = await server.cli(['tenant', 'settings', ...inSandbox, '--set', '{"signIn":{"sandbox":false}}']);
    assert.notEqual(leaving.code, 0, 'an environment cannot stop being a sandbox with its test recipients');
    assert.match(leaving.stderr, /signIn\.testRecipients: needs signIn\.sandbox/);
    const shown = await server.cli(['tenant', 'settings', ...inSandbox]);
    const signIn = (shown.json as { signIn: { sandbox: boolean; testRecipients: Record<string, string> } }).signIn;
    assert.deepEqual([signIn.sandbox, signIn.testRecipients], [true, recipients]);
  });
});

describe('production and test recipients', () => {
  it('a production server refuses to start while a tenant has test recipients, and says how to fix it', async () => {
    const services = await createTestServices();
    try {
      const slug = uniqueSlug('sbx');
      const cli = (argv: string[]) => runCliInProcess(argv, services.env);
      assert.equal((await cli(['db', 'migrate'])).code, 0);
      assert.equal((await cli(['tenant', 'create', slug])).code, 0);
      assert.equal((await cli(['env', 'create', '--tenant', slug, '--name', 'sandbox'])).code, 0);
      const set = await cli(['tenant', 'settings', '--tenant', slug, '--env', 'sandbox', '--set', JSON.stringify({ signIn: { sandbox: true, testRecipients: { '+447911123456': '123456' } } })]);
      assert.equal(set.code, 0, set.stderr);

      const { SEED_DEMO: _seed, ...base } = services.env;
      const production = { ...base, NODE_ENV: 'production', PUBLIC_URL: 'https://id.example.test', COOKIE_SECRETS: randomBytes(32).toString('base64url'), LOG_LEVEL: 'error' };
      // the CLI in production refuses to add them, too
      const inProduction = await runCliInProcess(['tenant', 'settings', '--tenant', slug, '--env', 'sandbox', '--set', '{"signIn":{"testRecipients":{"+447911654321":"654321"}}}'], production);
      assert.notEqual(inProduction.code, 0);
      assert.match(inProduction.stderr, /signIn\.sandbox, signIn\.testRecipients: sandbox settings are not allowed in production/);

      const failure = await startTessera(production, { publicUrl: 'https://id.example.test' }).then(
        async (started) => {
          await started.stop();
          assert.fail('the production server started');
        },
        (error: Error) => error.message,
      );
      assert.match(failure, /exited with [1-9]\d* before listening/, 'a non-zero exit before listening');
      assert.ok(failure.includes(`Tenants ${slug}~sandbox have fixed test codes (signIn.testRecipients): not allowed in production.`), failure);
      assert.match(failure, /Remove them with `tessera tenant settings --set` outside production/);

      // removed outside production, the same server starts
      const removed = await cli(['tenant', 'settings', '--tenant', slug, '--env', 'sandbox', '--set', '{"signIn":{"testRecipients":null}}']);
      assert.equal(removed.code, 0, removed.stderr);
      const started = await startTessera(production, { publicUrl: 'https://id.example.test' });
      await started.stop();
    } finally {
      await services.drop();
    }
  });
});
