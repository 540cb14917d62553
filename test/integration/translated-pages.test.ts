// Translated and friendly pages (issue #14), over HTTP against real PostgreSQL and Redis: the language chosen by
// ui_locales, then Accept-Language, then the tenant's default; a tenant's own texts (validated); discovery's
// ui_locales_supported; library errors shown as friendly texts; the password lock naming the ways in that still work.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Browser } from '../support/browser.js';
import { cliJson, createClient, createTenant } from '../support/fixtures.js';
import { asPage, atCallback, loginPage, visibleText } from '../support/hosted-pages.js';
import { discover, type oidc } from '../support/relying-party.js';
import { useTessera } from '../support/use-tessera.js';

describe('translated pages', () => {
  const server = useTessera();
  let slug: string;
  let issuer: string;
  let config: oidc.Configuration;
  before(async () => {
    ({ slug, issuer } = await createTenant(server));
    const client = await createClient(server, slug, ['--first-party']);
    config = await discover(issuer, client.client_id, client.client_secret!);
  });

  const settings = (patch: unknown) => server.cli(['tenant', 'settings', '--tenant', slug, '--set', JSON.stringify(patch)]);

  it('renders the login page in Hindi for ui_locales=hi', async () => {
    const { page } = await loginPage(new Browser(), config, { ui_locales: 'hi' });
    assert.match(page.html, /<html lang="hi">/);
    assert.equal(page.headers.get('content-language'), 'hi');
    const text = visibleText(page.html);
    assert.match(text, /साइन इन करें/);
    assert.match(text, /पासवर्ड/);
    assert.doesNotMatch(text, /\bSign in\b|\bPassword\b/, 'no English left on the page');
  });

  it('gives the passkey script its messages in the page\'s language (ui_locales=de)', async () => {
    const saved = await settings({ signIn: { methods: { passkey: true } } });
    assert.equal(saved.code, 0, saved.stderr);
    try {
      const { page } = await loginPage(new Browser(), config, { ui_locales: 'de' });
      const form = /<form [^>]*id="passkey-login"[^>]*>/.exec(page.html)?.[0] ?? assert.fail('the passkey form');
      const texts = Object.fromEntries([...form.matchAll(/data-passkey-text-([a-z-]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
      assert.deepEqual(texts, {
        cancelled: 'Die Passkey-Anfrage wurde abgebrochen oder ist abgelaufen. Versuchen Sie es erneut.',
        'already-held': 'Dieses Gerät hat bereits einen Passkey für Ihr Konto.',
        'wrong-address': 'Passkeys können unter dieser Adresse nicht verwendet werden.',
        failed: 'Ihr Browser konnte keinen Passkey verwenden. Versuchen Sie es erneut oder nutzen Sie einen anderen Weg.',
        unavailable: 'Passkeys sind gerade nicht verfügbar. Versuchen Sie es später erneut.',
        unsupported: 'Dieser Browser unterstützt keine Passkeys.',
      });
    } finally {
      assert.equal((await settings({ signIn: { methods: { passkey: false } } })).code, 0);
    }
  });

  it('takes the first shipped language of ui_locales, then Accept-Language, then English', async () => {
    const fr = await loginPage(new Browser(), config, { ui_locales: 'xx-YY fr-CA de' });
    assert.match(fr.page.html, /<html lang="fr">/);
    assert.match(fr.page.html, /<h1>Connexion<\/h1>/);
    const es = await loginPage(new Browser({ 'accept-language': 'nl;q=1, es-MX;q=0.8, de;q=0.5' }), config);
    assert.match(es.page.html, /<h1>Iniciar sesión<\/h1>/);
    const uiFirst = await loginPage(new Browser({ 'accept-language': 'es' }), config, { ui_locales: 'pt-BR' });
    assert.match(uiFirst.page.html, /<h1>Entrar<\/h1>/);
    const none = await loginPage(new Browser(), config);
    assert.match(none.page.html, /<html lang="en">/);
  });

  it('a tenant sets its default language and its own texts; a bad override is refused with the reason', async () => {
    const refused = await settings({ texts: { overrides: { de: { 'login.nope': 'x', 'login.lead': 'für {{secret}}' } } } });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr + refused.stdout, /texts\.overrides\.de\.login\.nope: no such text/);
    assert.match(refused.stderr + refused.stdout, /texts\.overrides\.de\.login\.lead: unknown value \{\{secret\}\}/);
    const saved = await settings({ texts: { defaultLocale: 'de', overrides: { de: { 'login.title': 'Willkommen bei <Acme>' } } } });
    assert.equal(saved.code, 0, saved.stderr);
    try {
      const { page } = await loginPage(new Browser(), config);
      assert.match(page.html, /<html lang="de">/);
      assert.match(page.html, /<h1>Willkommen bei &lt;Acme&gt;<\/h1>/, 'the override, escaped');
      assert.match(page.html, /Passwort/);
      const english = await loginPage(new Browser({ 'accept-language': 'en' }), config);
      assert.match(english.page.html, /<h1>Sign in<\/h1>/, 'the override is for German only');
    } finally {
      await settings({ texts: null });
    }
  });

  it('discovery lists the languages of the pages', async () => {
    const metadata = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    assert.deepEqual(metadata.ui_locales_supported, ['en', 'es', 'fr', 'de', 'hi', 'pt']);
  });

  it('shows a library error as a friendly text, in the asked language, with the code for the developer', async () => {
    const url = new URL(`${issuer}/auth`);
    url.search = new URLSearchParams({ client_id: 'no-such-client', redirect_uri: 'https://app.example/cb', response_type: 'code', scope: 'openid', ui_locales: 'es' }).toString();
    const unknown = asPage(await new Browser({ 'accept-language': 'es' }).navigate(url, atCallback), 'the error');
    assert.equal(unknown.status, 400);
    const text = visibleText(unknown.html);
    assert.match(text, /La aplicación que te pide iniciar sesión no es conocida aquí/);
    assert.match(text, /invalid_client/);
    assert.doesNotMatch(text, /client is invalid|client not found/i, 'no library wording');

    const bad = new URL(`${issuer}/auth`);
    bad.search = new URLSearchParams({ client_id: config.clientMetadata().client_id, redirect_uri: 'https://evil.example/cb', response_type: 'code', scope: 'openid' }).toString();
    const redirect = visibleText(asPage(await new Browser().navigate(bad, atCallback), 'the error').html);
    assert.match(redirect, /asked to send you back to an address it has not registered/);
    assert.doesNotMatch(redirect, /redirect_uri did not match/i);
  });

  it('the password lock names the ways in that still work', async () => {
    const saved = await settings({ signIn: { methods: { password: true, emailOtp: true, magicLink: true } } });
    assert.equal(saved.code, 0, saved.stderr);
    const user = await cliJson<{ email: string }>(server, ['user', 'create', '--tenant', slug, '--email', `locked-${Date.now()}@example.com`, '--password', 'Right-password-123', '--verified']);
    const browser = new Browser();
    const { page } = await loginPage(browser, config);
    for (let i = 1; i <= 10; i++) await browser.submit(page, '/login', { email: user.email, password: `Wrong-password-${i}` }, atCallback);
    const locked = asPage(await browser.submit(page, '/login', { email: user.email, password: 'Right-password-123' }, atCallback), 'the lock');
    assert.equal(locked.status, 429);
    assert.match(visibleText(locked.html), /Too many attempts\. Try again in \d+ minutes?\. Until then you can still sign in another way: a code by email, a link by email, or resetting your password\./);
    assert.match(locked.html, /Email me a sign-in code/, 'and the buttons for them are on the page');
  });
});
