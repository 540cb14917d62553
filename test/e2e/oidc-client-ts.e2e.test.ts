// oidc-client-ts, the library of browser apps, unchanged in Chromium (issue #17): a public client signs in
// through the hosted login page, the library reads name and email from the id_token, gets a refresh token for
// offline_access without prompt=consent (first-party client), and revokes its tokens (an empty 200 it accepts only
// without a non-JSON content type).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser as Chromium } from 'playwright-core';
import { createTestServices, type TestServices } from '../support/test-env.js';
import type { TesseraProcess } from '../support/tessera-process.js';
import { startServer } from '../support/use-tessera.js';
import { createClient, createTenant, createUser } from '../support/fixtures.js';
import { launchChromium } from '../support/chromium.js';
import { startOidcClientTsApp, type SpaOutcome } from '../support/oidc-client-ts-app.js';

describe('oidc-client-ts in a real browser (Chromium)', () => {
  let services: TestServices;
  let server: TesseraProcess;
  let chromium: Chromium;
  let spa: Awaited<ReturnType<typeof startOidcClientTsApp>> | undefined;
  let user: Awaited<ReturnType<typeof createUser>>;

  before(async () => {
    chromium = await launchChromium();
    services = await createTestServices();
    server = await startServer(services.env);
  });
  after(async () => {
    await chromium?.close();
    await spa?.close();
    await server?.stop();
    await services?.drop();
  });

  it('signs in; user.profile has the name and email; a refresh token; revokeTokens() succeeds', async () => {
    const tenant = await createTenant(server);
    user = await createUser(server, tenant.slug, { name: 'Ada Lovelace' });
    // the app's origin is its client's redirect URI and the origin CORS allows
    spa = await startOidcClientTsApp();
    const client = await createClient(server, tenant.slug, ['--public', '--first-party', '--redirect-uri', spa.redirectUri, '--grant', 'authorization_code', '--grant', 'refresh_token']);
    spa.configure({ authority: tenant.issuer, clientId: client.client_id, scope: 'openid profile email offline_access' });

    const page = await (await chromium.newContext()).newPage();
    page.setDefaultTimeout(20_000);
    await page.goto(`${spa.origin}/`);
    // signinRedirect() navigates away: not awaited inside the page
    await page.evaluate(() => { void (window as unknown as { start(): Promise<void> }).start(); });
    await page.waitForURL((url) => url.href.startsWith(`${tenant.issuer}/interaction/`));
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.href.startsWith(spa!.redirectUri));
    const outcome = await page.evaluate(() => (window as unknown as { outcome: Promise<SpaOutcome> }).outcome);
    assert.deepEqual(outcome, { name: 'Ada Lovelace', email: user.email, hasRefreshToken: true, revoked: true });
    await page.context().close();
  });
});
