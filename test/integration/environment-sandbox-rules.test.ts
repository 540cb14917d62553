// Where sandbox settings may be saved (issue #19 "debug codes refused in live"), over the Management API: never on
// a live environment, whose every message must reach its vendors; on a sandbox environment they are accepted, and
// the debug code stands for every code, an SMS code as well as an email code.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { createTenant } from '../support/fixtures.js';
import { client, operator, type ApiClient } from '../support/management.js';
import {
  auditEvents, createSandboxEnvironment, phoneSignIn, randomMobile, readOutbox, sentCounts, startVendors, vendorSettings, waitFor, type Vendors,
} from '../support/phone-flows.js';
import { useTessera } from '../support/use-tessera.js';

describe('sandbox settings over the Management API', () => {
  const server = useTessera();
  let api: ApiClient;
  let vendors: Vendors;
  before(async () => {
    vendors = await startVendors();
    api = client(server, (await operator(server, ['tenants:read', 'tenants:write'])).token);
  });
  after(() => vendors?.close());
  afterEach(() => vendors.assertNoRejections());

  const sandboxSettings = {
    debugCode: { debugCode: '1234' },
    sandbox: { sandbox: true },
    testRecipients: { testRecipients: { '+447911123456': '123456' } },
  } as const;

  for (const [field, signIn] of Object.entries(sandboxSettings)) {
    it(`refuses signIn.${field} on a live environment (400, naming the sandbox environment) and accepts it on the sandbox`, async () => {
      const { slug } = await createTenant(server);
      const refused = await api.patch(`/tenants/${slug}/settings`, { signIn: field === 'sandbox' ? signIn : { sandbox: true, ...signIn } });
      assert.equal(refused.status, 400, refused.text);
      assert.equal(refused.body.error, 'tenant.invalid_settings');
      assert.ok(refused.body.message.includes(`signIn.${field}`), refused.body.message);
      assert.ok(refused.body.message.includes(`sandbox settings belong to a sandbox environment, never live: create one with \`tessera env create --tenant ${slug} --name sandbox\``), refused.body.message);
      const live = (await api.get(`/tenants/${slug}/settings`)).body.effective;
      assert.deepEqual([live.signIn.sandbox, live.signIn.debugCode, live.signIn.testRecipients], [false, null, {}], 'live is left alone');

      assert.equal((await api.post(`/tenants/${slug}/environments`, { name: 'sandbox' })).status, 201);
      const accepted = await api.patch(`/tenants/${slug}~sandbox/settings`, { signIn: { sandbox: true, ...signIn } });
      assert.equal(accepted.status, 200, accepted.text);
      const saved = (await api.get(`/tenants/${slug}~sandbox/settings`)).body.effective.signIn;
      assert.equal(saved.sandbox, true);
      if (field !== 'sandbox') assert.deepEqual(saved[field], (signIn as Record<string, unknown>)[field]);
    });
  }

  it('a debug code is the code of an SMS too, in a sandbox environment: no vendor is called, the outbox holds it', async () => {
    const sandbox = await createSandboxEnvironment(server, {
      signIn: { methods: { smsOtp: true }, signUp: true, debugCode: '4321' },
      messaging: { sms: { routes: { default: ['twilio'] }, twilio: vendorSettings.twilioMessaging(vendors) } },
    });
    const before = sentCounts(vendors);
    const phone = randomMobile('GB');
    const signedIn = await phoneSignIn(sandbox.config, phone, async () => '4321');
    assert.deepEqual(signedIn.claims.amr, ['sms']);
    assert.equal(signedIn.userinfo.phone_number, phone);
    const entry = await waitFor('the SMS in the outbox', async () => (await readOutbox(sandbox.issuer)).find((e) => e.to === phone && e.channel === 'sms'));
    assert.deepEqual([entry.code, entry.provider, entry.delivered], ['4321', null, false]);
    assert.deepEqual(sentCounts(vendors), before, 'no vendor was called');
    const sent = await waitFor('the otp.sent entry', async () => (await auditEvents(server, sandbox.slug, ['otp.sent']))[0]);
    assert.deepEqual([sent.data.channel, sent.data.provider], ['sms', null]);
  });
});
