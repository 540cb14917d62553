// What the console shows people (issue #14): emails and client names instead of UUIDs and client ids (ids on hover),
// the "connect your app" panel built from the tenant's issuer, and client-form refusals in words beside their field.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createClient, createTenant, createUser } from '../support/fixtures.js';
import { visibleText } from '../support/hosted-pages.js';
import { waitForAudit } from '../support/email-flows.js';
import { discover, signInOffline } from '../support/relying-party.js';
import { asConsolePage, createOperator, csrfOf, post, signInToConsole } from '../support/admin-console.js';
import { useTessera } from '../support/use-tessera.js';
import { translator } from '../../src/i18n/i18n.js';

const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

describe('admin console: readable identities', () => {
  const server = useTessera();

  it('names actors, subjects and apps by email and client name, with the id on hover', async () => {
    const owner = await createOperator(server, 'owner');
    const tenant = await createTenant(server);
    const user = await createUser(server, tenant.slug, { name: 'Ada Lovelace' });
    const app = await createClient(server, tenant.slug, ['--scope', 'openid offline_access']);
    await signInOffline(await discover(tenant.issuer, app.client_id, app.client_secret!), user);
    const base = `/admin/tenants/${tenant.slug}`;
    const { browser, page } = await signInToConsole(server, owner, `${base}/users/${user.id}`);
    asConsolePage(await post(browser, server, `${base}/users/${user.id}/mfa/reset`, { _csrf: csrfOf(page) }), 'the user page');
    await waitForAudit(server.env.DATABASE_URL!, tenant.slug, 'admin.mfa_reset');
    await waitForAudit(server.env.DATABASE_URL!, tenant.slug, 'login.succeeded');

    const audit = asConsolePage(await browser.navigate(`${server.url}${base}/audit`), 'the audit page');
    const text = visibleText(audit.html);
    assert.match(text, new RegExp(`operator ${owner.email.replace('.', '\\.')}`), 'the operator by email');
    assert.match(text, new RegExp(user.email.replace('.', '\\.')), 'the user by email');
    assert.match(text, /Test App/, 'the client by name');
    assert.doesNotMatch(text, uuid, 'no bare UUID is shown');
    assert.match(audit.html, new RegExp(`<a href="${base}/users/${user.id}" title="${user.id}"`), 'the id on hover, the user a link away');
    assert.match(audit.html, new RegExp(`title="${app.client_id}"`));

    const byEmail = asConsolePage(await browser.navigate(`${server.url}${base}/audit?${new URLSearchParams({ who: user.email.toUpperCase() })}`), 'the filtered audit page');
    assert.ok((byEmail.html.match(/class="audit-row"/g) ?? []).length >= 2, 'the filter takes the user\'s email');
    for (const [row] of byEmail.html.matchAll(/<tr class="audit-row">[\s\S]*?<\/tr>/g)) assert.ok(row.includes(`title="${user.id}"`), `a row about someone else:\n${row}`);

    const detail = asConsolePage(await browser.navigate(`${server.url}${base}/users/${user.id}`), 'the user page');
    const session = /<tr class="session-row">[\s\S]*?<\/tr>/.exec(detail.html)?.[0] ?? '';
    assert.match(visibleText(session), /Test App/, 'the session\'s app by name');
    assert.doesNotMatch(visibleText(session), new RegExp(app.client_id));
  });

  it('shows how to connect an app from the tenant issuer, whatever Origin the request carries, never with the secret', async () => {
    const owner = await createOperator(server, 'owner');
    const tenant = await createTenant(server);
    const base = `/admin/tenants/${tenant.slug}/clients`;
    const { browser, page } = await signInToConsole(server, owner, base);
    const made = asConsolePage(await post(browser, server, base, { _csrf: csrfOf(page), name: 'Shop', kind: 'web', redirectUris: 'https://shop.example/cb' }), 'the client page');
    const secret = /id="secret-value">([^<]+)</.exec(made.html)?.[1];
    assert.ok(secret, 'the secret is shown once');
    const clientPath = made.url.pathname;
    const again = asConsolePage(await browser.navigate(`${server.url}${clientPath}`, undefined, { headers: { origin: 'https://evil.example' } }), 'the client page');
    const connect = /<section class="panel" id="connect">[\s\S]*?<\/section>/.exec(again.html)?.[0] ?? '';
    assert.match(connect, new RegExp(`id="connect-issuer">${tenant.issuer}<`));
    assert.match(connect, new RegExp(`${tenant.issuer}/\\.well-known/openid-configuration`));
    assert.match(connect, /openid-client/);
    assert.match(connect, /Auth\.js/);
    assert.match(connect, /https:\/\/shop\.example\/cb/);
    assert.doesNotMatch(again.html, /evil\.example/);
    assert.ok(!again.html.includes(secret!), 'the secret is not shown again');

    const spa = asConsolePage(await post(browser, server, base, { _csrf: csrfOf(page), name: 'Widget', kind: 'spa', redirectUris: 'http://127.0.0.1:5173/cb' }), 'the client page');
    assert.match(spa.html, /oidc-client-ts/);
    assert.match(spa.html, /client\.None\(\)/);
  });

  it('answers client-form mistakes in words beside their field, never the library\'s', async () => {
    const owner = await createOperator(server, 'owner');
    const tenant = await createTenant(server);
    const base = `/admin/tenants/${tenant.slug}/clients`;
    const { browser, page } = await signInToConsole(server, owner, base);
    const none = asConsolePage(await post(browser, server, base, { _csrf: csrfOf(page), name: 'Shop', kind: 'web', redirectUris: '' }), 'the form again');
    assert.equal(none.status, 400);
    assert.match(visibleText(none.html), /Add at least one redirect URI/);
    assert.match(none.html, /id="redirectUris"[^>]*aria-invalid="true" aria-describedby="redirectUris-error"/);
    const fragment = asConsolePage(await post(browser, server, base, { _csrf: csrfOf(page), name: 'Shop', kind: 'web', redirectUris: 'https://shop.example/cb#x' }), 'the form again');
    assert.match(visibleText(fragment.html), /cannot contain a “#” part/);
    const notUri = asConsolePage(await post(browser, server, base, { _csrf: csrfOf(page), name: 'Shop', kind: 'web', redirectUris: 'shop' }), 'the form again');
    assert.match(visibleText(notUri.html), /must be a full address/);

    const made = asConsolePage(await post(browser, server, base, { _csrf: csrfOf(page), name: 'Shop', kind: 'web', redirectUris: 'https://shop.example/cb' }), 'the client page');
    const emptied = asConsolePage(await post(browser, server, made.url.pathname, { _csrf: csrfOf(page), name: 'Shop', redirectUris: '' }), 'the form again');
    assert.equal(emptied.status, 400);
    assert.match(visibleText(emptied.html), /Add at least one redirect URI/);
    for (const raw of [none, fragment, notUri, emptied]) {
      assert.doesNotMatch(visibleText(raw.html), /redirect_uris|client is invalid|invalid_client_metadata|must contain members/);
    }
  });

  it('answers client-form mistakes and changes in the operator\'s language (French from Accept-Language)', async () => {
    const french = translator('fr');
    const owner = await createOperator(server, 'owner');
    const tenant = await createTenant(server);
    const base = `/admin/tenants/${tenant.slug}/clients`;
    const { browser, page } = await signInToConsole(server, owner, base, { 'accept-language': 'fr-FR, en;q=0.5' });
    assert.match(page.html, /<html lang="fr">/);
    assert.ok(visibleText(page.html).includes(french.t('console.clients.create')));
    const none = asConsolePage(await post(browser, server, base, { _csrf: csrfOf(page), name: 'Boutique', kind: 'web', redirectUris: '' }), 'the form again');
    assert.equal(none.status, 400);
    assert.ok(visibleText(none.html).includes(french.t('console.clientErrors.needsRedirect')), visibleText(none.html));
    const fragment = asConsolePage(await post(browser, server, base, { _csrf: csrfOf(page), name: 'Boutique', kind: 'web', redirectUris: 'https://shop.example/cb#x' }), 'the form again');
    assert.ok(visibleText(fragment.html).includes(french.t('console.clientErrors.noFragment', { which: french.t('console.clientErrors.redirectUri') })));
    for (const raw of [none, fragment]) assert.doesNotMatch(visibleText(raw.html), /redirect_uris|must contain members|Add at least one|cannot contain/);
    const made = asConsolePage(await post(browser, server, base, { _csrf: csrfOf(page), name: 'Boutique', kind: 'web', redirectUris: 'https://shop.example/cb' }), 'the client page');
    assert.ok(visibleText(made.html).includes(french.t('console.clients.created', { name: 'Boutique' })));
  });
});
