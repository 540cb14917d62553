// The console's apps page (issue #16 §2, "registering an app … the console too"): an operator registers an app of the
// backend OTP API; its page shows app_id, app_slug, the JWKS URI and the RS256 public key, and app_secret once; the
// credentials sign in at /auth/…; a taken slug is refused in words on the form; the secret rotates (the old one dies)
// and the app is deleted. A viewer sees the list without the forms; a foreign CSRF token is refused.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { importSPKI } from 'jose';
import { cliJson, createClient, createTenant } from '../support/fixtures.js';
import { visibleText } from '../support/hosted-pages.js';
import { waitForAudit } from '../support/email-flows.js';
import { asConsolePage, createOperator, csrfOf, post, signInToConsole } from '../support/admin-console.js';
import { useTessera } from '../support/use-tessera.js';

describe('admin console: apps of the backend OTP API', () => {
  const server = useTessera();
  let tenant: { slug: string; issuer: string };

  before(async () => {
    tenant = await createTenant(server);
    await cliJson(server, ['tenant', 'settings', '--tenant', tenant.slug, '--set', JSON.stringify({ signIn: { methods: { emailOtp: true } } })]);
  });

  const sendOtp = (appId: string, appSecret: string) => fetch(`${server.url}/auth/send-otp`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ app_id: appId, app_secret: appSecret, email: 'console-app@example.com' }),
  });

  it('registers an app and shows its secret once with what its backend needs; rotates the secret and deletes the app', async () => {
    const admin = await createOperator(server, 'admin');
    const base = `/admin/tenants/${tenant.slug}/apps`;
    const { browser } = await signInToConsole(server, admin, base);
    const list = asConsolePage(await browser.navigate(`${server.url}${base}`), 'the apps page');
    assert.match(list.html, /aria-current="page">Apps</);
    assert.match(visibleText(list.html), /No apps yet\./);
    // an ordinary client of the tenant is no app of this page
    const ordinary = await createClient(server, tenant.slug);
    assert.doesNotMatch(list.html, new RegExp(ordinary.client_id));

    const created = asConsolePage(await browser.submit(list, base, { name: 'Attendance', slug: 'attendance-console' }), 'the new app');
    assert.ok(created.url.pathname.startsWith(`${base}/`), 'a redirect to the new app\'s page');
    assert.equal(created.headers.get('cache-control'), 'no-store');
    assert.match(visibleText(created.html), /App attendance-console was registered\./);
    const secret = /id="secret-value">([^<]+)</.exec(created.html)![1]!;
    const appId = /id="app-id">([^<]+)</.exec(created.html)![1]!;
    assert.equal(/id="app-slug">([^<]+)</.exec(created.html)![1], 'attendance-console');
    assert.match(created.html, new RegExp(`id="jwks-uri">${tenant.issuer}/jwks<`));
    const pem = /id="public-key"><code>([^<]+)</.exec(created.html)![1]!;
    assert.ok(await importSPKI(pem.replace(/&#10;/g, '\n'), 'RS256'), 'the PEM of an RS256 key');
    assert.equal((await sendOtp(appId, secret)).status, 200, 'the credentials work at the backend OTP API');

    const again = asConsolePage(await browser.navigate(`${server.url}${base}/${appId}`), 'the app page');
    assert.doesNotMatch(again.html, new RegExp(secret), 'shown once');
    const listed = asConsolePage(await browser.navigate(`${server.url}${base}`), 'the apps page');
    assert.match(listed.html, new RegExp(`<a href="${base}/${appId}">Attendance</a>`));

    const taken = asConsolePage(await browser.submit(listed, base, { name: 'Other', slug: 'attendance-console' }), 'the form again');
    assert.equal(taken.status, 400);
    assert.match(visibleText(taken.html), /An app with this slug already exists in this tenant\./);
    assert.match(taken.html, /role="alert"/);

    const rotated = asConsolePage(await browser.submit(again, '/rotate-secret', {}), 'the app page');
    const newSecret = /id="secret-value">([^<]+)</.exec(rotated.html)![1]!;
    assert.notEqual(newSecret, secret);
    assert.equal((await sendOtp(appId, secret)).status, 401, 'the old secret no longer works');
    assert.equal((await sendOtp(appId, newSecret)).status, 200);

    const kept = asConsolePage(await browser.submit(rotated, '/delete', { confirm: '' }), 'the app page');
    assert.match(visibleText(kept.html), /Tick the box to confirm the deletion\./);
    const gone = asConsolePage(await browser.submit(kept, '/delete', { confirm: 'yes' }), 'the apps page');
    assert.match(visibleText(gone.html), /App attendance-console was deleted; its tokens no longer work\./);
    assert.equal((await sendOtp(appId, newSecret)).status, 401);
    for (const type of ['admin.client_created', 'admin.client_secret_rotated', 'admin.client_deleted']) {
      const [entry] = await waitForAudit(server.env.DATABASE_URL!, tenant.slug, type);
      assert.equal(entry!.actor, `operator:${admin.id}`, type);
      assert.doesNotMatch(JSON.stringify(entry!.data), new RegExp(`${secret}|${newSecret}`));
    }
    // an ordinary client is not reachable as an app
    assert.equal(asConsolePage(await browser.navigate(`${server.url}${base}/${ordinary.client_id}`), 'the not-found page').status, 404);
  });

  it('registers an app with its browser origins for the REST auth API; a malformed origin is refused in words', async () => {
    const admin = await createOperator(server, 'admin');
    const base = `/admin/tenants/${tenant.slug}/apps`;
    const { browser } = await signInToConsole(server, admin, base);
    const list = asConsolePage(await browser.navigate(`${server.url}${base}`), 'the apps page');
    const bad = asConsolePage(await browser.submit(list, base, { name: 'SPA', slug: 'spa-console', origins: 'https://spa.example.com/path' }), 'the form again');
    assert.equal(bad.status, 400);
    assert.match(visibleText(bad.html), /allowed_origins must be an array of origins/);
    const created = asConsolePage(await browser.submit(list, base, { name: 'SPA', slug: 'spa-console', origins: 'https://spa.example.com\nhttps://admin.example.com' }), 'the new app');
    assert.match(visibleText(created.html), /App spa-console was registered\./);
    assert.match(created.html, /id="app-origins"><code>https:\/\/spa\.example\.com<\/code>, <code>https:\/\/admin\.example\.com<\/code>/);
    const appId = /id="app-id">([^<]+)</.exec(created.html)![1]!;
    const stored = await cliJson<{ allowed_origins: string[] }>(server, ['client', 'get', '--tenant', tenant.slug, '--id', appId]);
    assert.deepEqual(stored.allowed_origins, ['https://spa.example.com', 'https://admin.example.com']);
  });

  it('a viewer sees the apps without the forms; a write needs clients:write and a valid CSRF token', async () => {
    const app = await cliJson<{ app_id: string }>(server, ['app', 'create', '--tenant', tenant.slug, '--name', 'Viewed', '--slug', 'viewed-app']);
    const viewer = await createOperator(server, 'viewer');
    const base = `/admin/tenants/${tenant.slug}/apps`;
    const { browser, page } = await signInToConsole(server, viewer, base);
    assert.match(page.html, /viewed-app/);
    assert.doesNotMatch(page.html, /Register app/);
    const detail = asConsolePage(await browser.navigate(`${server.url}${base}/${app.app_id}`), 'the app page');
    assert.doesNotMatch(detail.html, /Rotate secret|Delete app/);
    const refused = asConsolePage(await post(browser, server, base, { _csrf: csrfOf(page), name: 'Nope', slug: 'nope-app' }), 'the refusal');
    assert.equal(refused.status, 403);

    const admin = await createOperator(server, 'admin');
    const signedIn = await signInToConsole(server, admin, base);
    const forged = asConsolePage(await post(signedIn.browser, server, base, { _csrf: 'not-the-token', name: 'Forged', slug: 'forged-app' }), 'the refusal');
    assert.equal(forged.status, 403);
    const after = asConsolePage(await signedIn.browser.navigate(`${server.url}${base}`), 'the apps page');
    assert.doesNotMatch(after.html, /forged-app/);
  });
});
