// Magic links (issue #3): single use, bound to the browser that asked. Opened there, the link signs in; opened in
// another browser it signs in nobody, there or anywhere (issue #13: no "was this you?" that the asker could confirm);
// the code in the same email works too. Email over a real SMTP server; openid-client completes the exchange.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createUser } from '../support/fixtures.js';
import { asPage, atCallback, visibleText } from '../support/hosted-pages.js';
import { formsOf } from '../support/browser.js';
import {
  assertExpired, assertLinkGone, auditEvents, Browser, challengeOf, comparable, emailRealm, exchange, mailTo, postFrom, silentSignIn, startByEmail,
  submitCode, useEmailTessera, type EmailRealm,
} from '../support/email-flows.js';

const firefox = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';

describe('magic link sign-in', () => {
  const world = useEmailTessera();
  let realm: EmailRealm;

  before(async () => {
    realm = await emailRealm(world.server, { methods: { magicLink: true } });
  });

  /** a user who asked for a link in `browser`: the waiting page and the email */
  async function asked(browser = new Browser()) {
    const user = await createUser(world.server, realm.slug);
    const { request, login, page } = await startByEmail(browser, realm.config, user.email, 'magic-link');
    const mail = await mailTo(world.smtp, user.email);
    return { user, browser, request, login, waiting: page, mail };
  }

  it('sends an email with a link and a code, and says what the link does; the waiting page does not reload', async () => {
    const { user, waiting, mail } = await asked();
    assert.equal(waiting.status, 200);
    assert.match(waiting.url.pathname, /\/magic-sent\/[\w-]{22}$/);
    assert.doesNotMatch(waiting.html, /http-equiv="refresh"/, 'nothing can change it but this browser');
    assert.match(visibleText(waiting.html), new RegExp(`we sent a sign-in link to ${user.email[0]}•••@example\\.com ?\\. Open it in this browser: it signs in only here\\.`));
    assert.equal(formsOf(waiting.html).length, 0, 'nothing to confirm or deny');
    assert.equal(mail.subject, `Your ${realm.name} sign-in link`, "a link email says link, not code");
    assert.match(mail.link ?? '', new RegExp(`^${world.server.issuer(realm.slug)}/interaction/[^/]+/magic/[\\w-]{43}$`));
    assert.match(mail.code ?? '', /^\d{6}$/);
    assert.ok(mail.html.includes(`href="${mail.link}"`), 'the HTML version links the same URL');
    assert.match(mail.text, /expire in 10 minutes and work only once/, 'valid 10 minutes by default');
    for (const version of [mail.text, visibleText(mail.html)]) {
      assert.match(version, /The link signs you in only on the device and in the browser where you started signing in\. Opened anywhere else, it signs in nobody\./);
      assert.match(version, /If you did not try to sign in, you can ignore this email: the link and the code are of no use to anyone without it/);
      assert.doesNotMatch(version, /nobody can sign in without this code/, 'the code-only wording is not used for a link');
    }
  });

  it('opened in the same browser, signs in (amr otp); the link works only once', async () => {
    const { user, browser, request, mail } = await asked();
    const { claims } = await exchange(realm.config, request, await browser.navigate(mail.link!, atCallback));
    assert.equal(claims.sub, user.id);
    assert.deepEqual(claims.amr, ['otp']);
    const login = (await auditEvents(world.services.databaseUrl, realm.slug)).find((e) => e.type === 'login.succeeded' && e.subject === user.id);
    assert.equal(login?.data.method, 'magic_link');

    assertLinkGone(await browser.navigate(mail.link!, atCallback), 'used', 'the link again, same browser');
    const other = new Browser({ 'user-agent': firefox });
    const reopened = assertLinkGone(await other.navigate(mail.link!, atCallback), 'used', 'the link again, another browser');
    assert.doesNotMatch(reopened.html, /works only in the browser/, 'a used link says it was used');
  });

  it('the waiting page, reloaded after the link signed in from another tab of this browser, says so and continues to the app', async () => {
    const { browser, request, waiting, mail } = await asked();
    await exchange(realm.config, request, await browser.navigate(mail.link!, atCallback));
    const reloaded = asPage(await browser.navigate(waiting.url, atCallback), 'the waiting page again');
    assert.equal(reloaded.status, 200);
    assert.match(reloaded.html, /<h1>You signed in in another tab<\/h1>/);
    assert.doesNotMatch(reloaded.html, /has expired/);
    assert.match(reloaded.html, /<a class="button button-primary" href="http:\/\/127\.0\.0\.1:\d+\/">Continue<\/a>/, 'on to the app');
    // the same waiting page in another browser learns nothing
    assertExpired(await new Browser().navigate(waiting.url, atCallback), 'the waiting page in another browser');
  });

  it('a tampered or truncated link says it is not valid', async () => {
    const { browser, mail } = await asked();
    const token = /\/magic\/([\w-]{43})$/.exec(mail.link!)![1]!;
    const changed = mail.link!.replace(token, `${token.slice(0, 42)}${token.endsWith('A') ? 'B' : 'A'}`);
    const page = assertLinkGone(await browser.navigate(changed, atCallback), 'invalid', 'a changed character');
    assert.match(page.html, /Send a new link/, 'the sign-in is still open in this browser');
    assertLinkGone(await browser.navigate(mail.link!.slice(0, -5), atCallback), 'invalid', 'a truncated link');
    assertLinkGone(await new Browser().navigate(changed, atCallback), 'invalid', 'another browser');
  });

  it('opened in another browser, signs in nobody and changes nothing: the first browser can still use the link or the code', async () => {
    const { user, browser, request, waiting, mail } = await asked();
    const other = new Browser({ 'user-agent': firefox });
    const elsewhere = asPage(await other.navigate(mail.link!, atCallback), 'the other-browser page');
    assert.equal(elsewhere.status, 403);
    assert.match(elsewhere.html, /<h1>This link works only in the browser where you asked for it<\/h1>/);
    assert.match(visibleText(elsewhere.html), /Nobody has been signed in\./);
    assert.equal(formsOf(elsewhere.html).length, 0, 'nothing to approve');
    assert.equal(await silentSignIn(other, realm.config), 'login_required', 'the other browser holds no session');
    const opened = (await auditEvents(world.services.databaseUrl, realm.slug)).filter((e) => e.type === 'magic_link.opened_elsewhere');
    assert.equal(opened.length, 1);
    assert.equal(opened[0]!.outcome, 'failure');
    assert.equal(opened[0]!.data.device, 'Firefox on Linux');

    const still = asPage(await browser.navigate(waiting.url, atCallback), 'the waiting page');
    assert.equal(comparable(still), comparable(waiting), 'the waiting page is as it was');
    assert.equal(await silentSignIn(browser, realm.config), 'login_required', 'the first browser is not signed in by it');
    const { claims } = await exchange(realm.config, request, await browser.navigate(mail.link!, atCallback));
    assert.equal(claims.sub, user.id);
    assert.deepEqual(claims.amr, ['otp']);
  });

  it('has no confirmation or denial routes', async () => {
    const { browser, login, waiting } = await asked();
    for (const path of ['/confirm', '/deny']) {
      const forged = asPage(await postFrom(browser, login, `${waiting.url.pathname}${path}`), `POST ${path}`);
      assert.equal(forged.status, 404, path);
    }
    assert.equal(await silentSignIn(browser, realm.config), 'login_required');
  });

  it('attack: a link asked for with the victim\'s address and opened by the victim signs in neither browser', async () => {
    const victim = await createUser(world.server, realm.slug);
    const attacker = new Browser();
    const { login, page: waiting } = await startByEmail(attacker, realm.config, victim.email, 'magic-link');
    const mail = await mailTo(world.smtp, victim.email);

    const victimBrowser = new Browser({ 'user-agent': firefox });
    const opened = asPage(await victimBrowser.navigate(mail.link!, atCallback), 'the victim\'s page');
    assert.match(opened.html, /<h1>This link works only in the browser where you asked for it<\/h1>/);
    assert.equal(await silentSignIn(victimBrowser, realm.config), 'login_required', 'the victim is not signed in');

    // every way back the attacker's browser has: its waiting page, the old confirmation, the code page
    const again = asPage(await attacker.navigate(waiting.url, atCallback), 'the attacker\'s waiting page');
    assert.doesNotMatch(again.html, /\/confirm"|Was this you/);
    for (const path of ['/confirm', '/approve', '']) {
      const forged = await postFrom(attacker, login, `${waiting.url.pathname}${path}`);
      assert.ok(!(forged instanceof URL), `POST ${path || 'the waiting page'} reached the app`);
    }
    const codePage = new URL(waiting.url.pathname.replace('/magic-sent/', '/code/'), waiting.url);
    assert.ok(!(await attacker.navigate(codePage, atCallback) instanceof URL));
    assert.equal(await silentSignIn(attacker, realm.config), 'login_required', 'the attacker is not signed in');
    const events = (await auditEvents(world.services.databaseUrl, realm.slug)).filter((e) => e.type === 'login.succeeded' && e.subject === victim.id);
    assert.equal(events.length, 0, 'nobody signed in as the victim');
  });

  it('the code from the same email signs in too', async () => {
    const { user, browser, request, waiting, mail } = await asked();
    const link = /<a class="button button-secondary" href="([^"]+)">Enter the code from the email<\/a>/.exec(waiting.html)?.[1];
    assert.equal(link, waiting.url.pathname.replace(`/magic-sent/${challengeOf(waiting)}`, `/code/${challengeOf(waiting)}`));
    const codePage = asPage(await browser.navigate(new URL(link!, waiting.url), atCallback), 'the code page');
    assert.equal(codePage.status, 200);
    const { claims } = await exchange(realm.config, request, await submitCode(browser, codePage, mail.code!));
    assert.equal(claims.sub, user.id);
    assert.deepEqual(claims.amr, ['otp']);
    assertLinkGone(await browser.navigate(mail.link!, atCallback), 'used', 'the link after its code was used');
  });
});
