// Federated sign-in in a real browser (headless Chromium, issue #4): "Continue with Google" goes to a second
// oidc-provider playing Google and back to the relying party; "Continue with Apple" comes back by form_post — the
// stand-in's auto-submitting form, run by the browser — and still lands at the relying party.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser as Chromium } from 'playwright-core';
import { launchChromium } from '../support/chromium.js';
import { cliJson, createClient, createTenant } from '../support/fixtures.js';
import { appleKey, callbackUrlOf } from '../support/federation-flows.js';
import { discover, type oidc } from '../support/relying-party.js';
import { startRelyingParty } from '../support/relying-party-server.js';
import { createTestServices, type TestServices } from '../support/test-env.js';
import type { TesseraProcess } from '../support/tessera-process.js';
import { startServer } from '../support/use-tessera.js';
import { startOidcUpstream, type OidcUpstream } from '../support/upstreams/oidc-upstream.js';

describe('federated sign-in in a real browser (Chromium)', () => {
  let services: TestServices;
  let server: TesseraProcess;
  let chromium: Chromium;
  let google: OidcUpstream;
  let apple: OidcUpstream;
  let rp: Awaited<ReturnType<typeof startRelyingParty>>;
  let tenant: { slug: string; issuer: string };
  let config: oidc.Configuration;

  before(async () => {
    chromium = await launchChromium();
    [services, rp, google, apple] = await Promise.all([createTestServices(), startRelyingParty(), startOidcUpstream('google'), startOidcUpstream('apple')]);
    server = await startServer(services.env);
    tenant = await createTenant(server);
    const callbackUrl = callbackUrlOf(server, tenant.slug);
    const googleApp = google.registerClient({ redirectUris: [callbackUrl] });
    const key = appleKey();
    const appleApp = apple.registerClient({ redirectUris: [callbackUrl], apple: { teamId: 'TEAM123456', keyId: 'KEY1234567', publicKey: key.publicKey } });
    await cliJson(server, ['tenant', 'settings', '--tenant', tenant.slug, '--set', JSON.stringify({
      signIn: { signUp: true },
      connections: {
        google: { type: 'google', clientId: googleApp.clientId, clientSecret: googleApp.clientSecret, issuer: google.issuer, order: 1, button: { backgroundColor: '#ffffff', textColor: '#1f1f1f' } },
        apple: { type: 'apple', clientId: appleApp.clientId, teamId: 'TEAM123456', keyId: 'KEY1234567', privateKey: key.privateKeyPem, issuer: apple.issuer, order: 2 },
      },
    })]);
    const client = await createClient(server, tenant.slug, ['--first-party', '--redirect-uri', rp.redirectUri]);
    config = await discover(tenant.issuer, client.client_id, client.client_secret!);
  });
  after(async () => {
    await chromium?.close();
    await rp?.close();
    await google?.close();
    await apple?.close();
    await server?.stop();
    await services?.drop();
  });

  for (const [name, upstream] of [['Google', () => google], ['Apple', () => apple]] as const) {
    it(`"Continue with ${name}" signs a new user up and ends at the relying party with amr ["fed"]`, async () => {
      const context = await chromium.newContext();
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      upstream().signInAs({ sub: `${name}-${Date.now()}`, email: `${name.toLowerCase()}-${Date.now()}@example.test`, email_verified: true, given_name: 'Eve', family_name: 'Example' });
      const flow = await rp.begin(config);
      await page.goto(flow.url.href);
      const buttons = await page.locator('button.button-connection').allTextContents();
      assert.deepEqual(buttons.map((b) => b.trim()), ['Continue with Google', 'Continue with Apple'], 'in the tenant’s order');
      await page.getByRole('button', { name: `Continue with ${name}` }).click();
      await page.waitForURL((url) => url.href.startsWith(rp.redirectUri));
      const { claims } = await flow.result;
      assert.deepEqual(claims.amr, ['fed']);
      assert.equal(await page.locator('h1').textContent(), `Signed in as ${claims.sub}`);
      assert.deepEqual(upstream().rejections.splice(0), []);
      await context.close();
    });
  }

  it('the button colours come from the tenant’s stylesheet, not from inline styles', async () => {
    const context = await chromium.newContext();
    const page = await context.newPage();
    const flow = await rp.begin(config);
    await page.goto(flow.url.href);
    const google = page.getByRole('button', { name: 'Continue with Google' });
    assert.equal(await google.getAttribute('style'), null);
    assert.equal(await google.evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(255, 255, 255)');
    await context.close();
  });
});
