// The console's "resend verification" (issue #14): for a user whose email is not verified, an operator with
// users:write sends a link through the tenant's email sender, in the language the user last signed in or up in (else
// the tenant's); the form is CSRF-checked,
// audited and held to the tenant's send limits. Opening the link verifies nothing until its button is pressed; the
// button spends it once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Browser } from '../support/browser.js';
import { cliJson, createClient, createTenant, createUser, redirectUri } from '../support/fixtures.js';
import { codeFlow, discover } from '../support/relying-party.js';
import { asPage, visibleText } from '../support/hosted-pages.js';
import { outbox, waitForAudit } from '../support/email-flows.js';
import { asConsolePage, createOperator, csrfOf, post, signInToConsole } from '../support/admin-console.js';
import { useTessera } from '../support/use-tessera.js';
import { translator } from '../../src/i18n/i18n.js';
import type { TesseraProcess } from '../support/tessera-process.js';
import { letTimePass } from '../support/test-clock.js';

/** an unverified user made in the console, and the owner's browser on their page */
async function unverifiedUser(server: TesseraProcess, slug: string) {
  const owner = await createOperator(server, 'owner');
  const base = `/admin/tenants/${slug}/users`;
  const { browser, page } = await signInToConsole(server, owner, base);
  const email = `unverified-${Date.now()}-${Math.random().toString(36).slice(2, 6)}@example.com`;
  const made = asConsolePage(await post(browser, server, base, { _csrf: csrfOf(page), email, password: 'A long enough passphrase 42' }), 'the user page');
  assert.match(visibleText(made.html), /\(not verified\)/);
  return { owner, browser, email, userPage: made, path: made.url.pathname };
}

const goneHeadings = {
  used: 'This verification link was already used',
  replaced: 'A newer verification link was sent',
  expired: 'This verification link has expired',
  invalid: 'This verification link is not valid',
} as const;

/** the page of a verification link that no longer works: what became of it, who sends a new one, and a way to sign in */
function assertVerifyLinkGone(step: Awaited<ReturnType<Browser['navigate']>>, fate: keyof typeof goneHeadings, slug: string, what: string, words = translator('en')) {
  const page = asPage(step, `the ${fate} verification link page (${what})`);
  assert.equal(page.status, fate === 'invalid' ? 400 : 410, what);
  if (words.locale === 'en') assert.match(page.html, new RegExp(`<h1>${goneHeadings[fate]}</h1>`), what);
  assert.ok(page.html.includes(`<h1>${words.t(`verifyEmail.${fate}Heading`)}</h1>`), what);
  const text = visibleText(page.html);
  assert.ok(text.includes(words.t(`verifyEmail.${fate}Lead`)), `${what}: ${text}`);
  if (words.locale === 'en') assert.match(text, /ask the app’s administrator to send a new link\./i, `${what}: the next step`);
  assert.ok(page.html.includes(`href="/t/${slug}/account">${words.t('verifyEmail.signIn')}</a>`), `${what}: a way to sign in`);
  return page;
}

describe('admin console: resend verification', () => {
  // a link works for a day: the expiry test moves the server's clock on by that much
  const server = useTessera({}, { movableClock: true });

  it('sends a link in the tenant\'s language that verifies the address once its button is pressed, audited', async () => {
    const tenant = await createTenant(server);
    await cliJson(server, ['tenant', 'settings', '--tenant', tenant.slug, '--set', JSON.stringify({ texts: { defaultLocale: 'fr' } })]);
    const { owner, browser, email, userPage, path } = await unverifiedUser(server, tenant.slug);
    assert.match(visibleText(userPage.html), /Resend verification email/);

    const sent = asConsolePage(await post(browser, server, `${path}/verification/resend`, { _csrf: csrfOf(userPage) }), 'the user page');
    assert.match(visibleText(sent.html), new RegExp(`A verification email was sent to ${email.replace(/\./g, '\\.')}\\.`));
    const [entry] = await waitForAudit(server.env.DATABASE_URL!, tenant.slug, 'admin.verification_sent');
    assert.deepEqual([entry!.actor, entry!.subject], [`operator:${owner.id}`, path.split('/').pop()]);

    const [message] = (await outbox(tenant.issuer)).filter((m) => m.to === email);
    assert.ok(message, 'the email went through the tenant\'s sender (the outbox in test)');
    const french = translator('fr');
    assert.equal(message.subject, french.t('email.verifyLink.subject', { name: `Tenant ${tenant.slug}` }));
    assert.ok(message.text.includes(french.t('email.verifyLink.heading')), message.text);
    assert.equal(message.code, null, 'a link, no code');
    const link = new URL(message.link!);
    assert.equal(link.origin + link.pathname, `${server.url}/t/${tenant.slug}/verify-email`, 'built from PUBLIC_URL');
    assert.doesNotMatch(JSON.stringify(entry!.data ?? {}), new RegExp(link.searchParams.get('token')!), 'the token is not audited');

    // a scanner or the user opening the link: a button, nothing verified yet
    const reader = new Browser({ 'accept-language': 'fr' });
    const opened = asPage(await reader.navigate(link), 'the verify page');
    assert.equal(opened.status, 200);
    assert.match(visibleText(opened.html), new RegExp(french.t('verifyEmail.button')));
    const still = asConsolePage(await browser.navigate(`${server.url}${path}`), 'the user page');
    assert.match(visibleText(still.html), /\(not verified\)/);

    const done = asPage(await reader.submit(opened, '/verify-email', {}), 'the verified page');
    assert.equal(done.status, 200);
    assert.match(visibleText(done.html), new RegExp(french.t('verifyEmail.doneTitle')));
    const after = asConsolePage(await browser.navigate(`${server.url}${path}`), 'the user page');
    assert.match(visibleText(after.html), /\(verified\)/);
    assert.doesNotMatch(visibleText(after.html), /Resend verification email/, 'no button once verified');

    const again = assertVerifyLinkGone(await reader.submit(opened, '/verify-email', {}), 'used', tenant.slug, 'the button again', french);
    assert.match(again.html, /<html lang="fr"/, 'in the reader\'s language');
    assertVerifyLinkGone(await new Browser().navigate(link), 'used', tenant.slug, 'the link again (the tenant\'s language)', french);
    const tampered = new URL(link);
    const token = link.searchParams.get('token')!;
    tampered.searchParams.set('token', `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`);
    assertVerifyLinkGone(await new Browser({ 'accept-language': 'en' }).navigate(tampered), 'invalid', tenant.slug, 'a changed character');
    tampered.searchParams.set('token', token.slice(0, 10));
    assertVerifyLinkGone(await new Browser({ 'accept-language': 'en' }).navigate(tampered), 'invalid', tenant.slug, 'a truncated link');
  });

  it('a link replaced by a newer one, or past its day, says which; the newest link works until then', async () => {
    const tenant = await createTenant(server);
    const { browser, email, userPage, path } = await unverifiedUser(server, tenant.slug);
    for (let i = 0; i < 2; i++) asConsolePage(await post(browser, server, `${path}/verification/resend`, { _csrf: csrfOf(userPage) }), 'the user page');
    const [newest, older] = (await outbox(tenant.issuer)).filter((m) => m.to === email);
    assert.ok(newest?.link && older?.link && newest.link !== older.link, 'two links went out');
    const reader = new Browser();
    assertVerifyLinkGone(await reader.navigate(older.link), 'replaced', tenant.slug, 'the older link');
    const signIn = asPage(await reader.navigate(`${server.url}/t/${tenant.slug}/account`), 'where the sign-in link leads');
    assert.equal(signIn.status, 200);
    assert.match(signIn.html, new RegExp(`<a class="button button-primary" href="/t/${tenant.slug}/account/sign-in">Sign in</a>`), 'the account page offers its sign-in');
    assert.equal(asPage(await reader.navigate(newest.link), 'the verify page').status, 200, 'the newest link works');
    await letTimePass(server, 24 * 3600 * 1000 + 1000);
    assertVerifyLinkGone(await reader.navigate(newest.link), 'expired', tenant.slug, 'the newest link a day later');
    const stillUnverified = asConsolePage(await browser.navigate(`${server.url}${path}`), 'the user page');
    assert.match(visibleText(stillUnverified.html), /\(not verified\)/);
  });

  it('sends the link in the language the user last signed in in, not the tenant\'s default', async () => {
    const tenant = await createTenant(server);
    await cliJson(server, ['tenant', 'settings', '--tenant', tenant.slug, '--set', JSON.stringify({ texts: { defaultLocale: 'fr' } })]);
    const { browser, email, userPage, path } = await unverifiedUser(server, tenant.slug);
    const app = await createClient(server, tenant.slug, ['--first-party']);
    // the user signs in once on the hosted pages, shown in German (ui_locales)
    await codeFlow(await discover(tenant.issuer, app.client_id, app.client_secret!), redirectUri, { email, password: 'A long enough passphrase 42' }, { params: { ui_locales: 'de' } });

    asConsolePage(await post(browser, server, `${path}/verification/resend`, { _csrf: csrfOf(userPage) }), 'the user page');
    const [message] = (await outbox(tenant.issuer)).filter((m) => m.to === email);
    assert.ok(message);
    const german = translator('de');
    assert.equal(message.subject, german.t('email.verifyLink.subject', { name: `Tenant ${tenant.slug}` }));
    assert.ok(message.text.includes(german.t('email.verifyLink.heading')), message.text);
  });

  it('refuses a verified user, a post without the CSRF token or without users:write, and sends past the limits', async () => {
    const tenant = await createTenant(server);
    const { browser, userPage, path } = await unverifiedUser(server, tenant.slug);
    const noToken = asConsolePage(await post(browser, server, `${path}/verification/resend`, {}), 'the refusal');
    assert.equal(noToken.status, 403);

    const viewer = await createOperator(server, 'viewer');
    const seen = await signInToConsole(server, viewer, path);
    assert.doesNotMatch(visibleText(seen.page.html), /Resend verification email/);
    const refused = asConsolePage(await post(seen.browser, server, `${path}/verification/resend`, { _csrf: csrfOf(seen.page) }), 'the refusal');
    assert.equal(refused.status, 403);

    // five sends an hour to one address (the tenant's perIdentifier send limit), then a message instead
    let last = userPage;
    for (let i = 0; i < 5; i++) {
      last = asConsolePage(await post(browser, server, `${path}/verification/resend`, { _csrf: csrfOf(userPage) }), 'the user page');
      assert.match(visibleText(last.html), /A verification email was sent/, `send ${i + 1}`);
    }
    const limited = asConsolePage(await post(browser, server, `${path}/verification/resend`, { _csrf: csrfOf(userPage) }), 'the user page');
    assert.match(visibleText(limited.html), /Too many emails were sent to this address\. Try again in \d+ minute/);

    // a verified user has nothing to verify
    const verified = await createUser(server, tenant.slug);
    const verifiedPath = `/admin/tenants/${tenant.slug}/users/${verified.id}`;
    const page = asConsolePage(await browser.navigate(`${server.url}${verifiedPath}`), 'the user page');
    assert.doesNotMatch(visibleText(page.html), /Resend verification email/);
    const nothing = asConsolePage(await post(browser, server, `${verifiedPath}/verification/resend`, { _csrf: csrfOf(page) }), 'the user page');
    assert.match(visibleText(nothing.html), /already verified/);
  });
});
