// Magic links (issue #3): single use, bound to the browser that asked. Opened there, the link signs in; opened in
// another browser it signs in nobody and the first browser asks "was this you?" (confirm signs in, deny kills the
// link); the code in the same email works too. Email over a real SMTP server; openid-client completes the exchange.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createUser } from '../support/fixtures.js';
import { asPage, atCallback, isLoginPage, visibleText } from '../support/hosted-pages.js';
import {
  assertExpired, auditEvents, Browser, challengeOf, emailRealm, exchange, mailTo, postFrom, silentSignIn, startByEmail,
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

  it('sends an email with a link and a code, and shows a self-refreshing waiting page', async () => {
    const { user, waiting, mail } = await asked();
    assert.equal(waiting.status, 200);
    assert.match(waiting.url.pathname, /\/magic-sent\/[\w-]{22}$/);
    assert.match(waiting.html, /<meta http-equiv="refresh" content="\d+">/);
    assert.match(visibleText(waiting.html), new RegExp(`we sent a sign-in link to ${user.email[0]}•••@example\\.com ?\\. Open it on this device\\.`));
    assert.equal(mail.subject, `Your ${realm.name} sign-in code`);
    assert.match(mail.link ?? '', new RegExp(`^${world.server.issuer(realm.slug)}/interaction/[^/]+/magic/[\\w-]{43}$`));
    assert.match(mail.code ?? '', /^\d{6}$/);
    assert.ok(mail.html.includes(`href="${mail.link}"`), 'the HTML version links the same URL');
    assert.match(mail.text, /expire in 10 minutes and work only once/, 'valid 10 minutes by default');
  });

  it('opened in the same browser, signs in (amr otp); the link works only once', async () => {
    const { user, browser, request, mail } = await asked();
    const { claims } = await exchange(realm.config, request, await browser.navigate(mail.link!, atCallback));
    assert.equal(claims.sub, user.id);
    assert.deepEqual(claims.amr, ['otp']);
    const login = (await auditEvents(world.services.databaseUrl, realm.slug)).find((e) => e.type === 'login.succeeded' && e.subject === user.id);
    assert.equal(login?.data.method, 'magic_link');

    assertExpired(await browser.navigate(mail.link!, atCallback), 'the link again, same browser');
    const other = new Browser({ 'user-agent': firefox });
    const reopened = asPage(await other.navigate(mail.link!, atCallback), 'the link again, another browser');
    assertExpired(reopened, 'the link again, another browser');
    assert.doesNotMatch(reopened.html, /other device/, 'a used link does not even ask for confirmation');
  });

  it('opened in another browser, signs in nobody there; the first browser confirms and is signed in', async () => {
    const { user, browser, request, waiting, mail } = await asked();
    const other = new Browser({ 'user-agent': firefox });
    const elsewhere = asPage(await other.navigate(mail.link!, atCallback), 'the other-device page');
    assert.equal(elsewhere.status, 200);
    assert.match(elsewhere.html, /<h1>Finish signing in on your other device<\/h1>/);
    assert.match(visibleText(elsewhere.html), /different browser \( Firefox on Linux \)/);
    assert.equal(await silentSignIn(other, realm.config), 'login_required', 'the other browser holds no session');
    const opened = (await auditEvents(world.services.databaseUrl, realm.slug)).filter((e) => e.type === 'magic_link.opened_elsewhere');
    assert.equal(opened.length, 1);
    assert.equal(opened[0]!.outcome, 'failure');

    const question = asPage(await browser.navigate(waiting.url, atCallback), 'the waiting page');
    assert.equal(question.status, 200);
    assert.match(question.html, /<h1>Was this you\?<\/h1>/);
    assert.match(visibleText(question.html), /opened on another device \( Firefox on Linux \)/);
    assert.doesNotMatch(question.html, /http-equiv="refresh"/, 'a page that asks a question does not reload itself');

    const { claims } = await exchange(realm.config, request, await browser.submit(question, '/confirm', {}, atCallback));
    assert.equal(claims.sub, user.id);
    assert.deepEqual(claims.amr, ['otp']);
    assertExpired(await other.navigate(mail.link!, atCallback), 'the link after the confirmation');
  });

  it('"No, this was not me" cancels: back at the login page with a notice, link and code dead', async () => {
    const { browser, waiting, mail } = await asked();
    const other = new Browser({ 'user-agent': firefox });
    asPage(await other.navigate(mail.link!, atCallback), 'the other-device page');
    const question = asPage(await browser.navigate(waiting.url, atCallback), 'the waiting page');
    const denied = asPage(await browser.submit(question, '/deny', {}, atCallback), 'the login page');
    assert.equal(denied.status, 200);
    assert.ok(isLoginPage(denied), 'back at the login page');
    assert.match(visibleText(denied.html), /That sign-in link has been cancelled\./);
    assert.equal(await silentSignIn(browser, realm.config), 'login_required', 'nobody was signed in');

    assertExpired(await other.navigate(mail.link!, atCallback), 'the link after a denial, other browser');
    assertExpired(await browser.navigate(mail.link!, atCallback), 'the link after a denial, first browser');
    const codePage = new URL(waiting.url.pathname.replace('/magic-sent/', '/code/'), waiting.url);
    assertExpired(await browser.navigate(codePage, atCallback), 'the code page after a denial');
    const events = (await auditEvents(world.services.databaseUrl, realm.slug)).map((e) => e.type);
    assert.ok(events.includes('magic_link.denied'));
  });

  it('cannot be confirmed before the link was opened anywhere', async () => {
    const { browser, login, waiting } = await asked();
    assert.doesNotMatch(waiting.html, /\/confirm"/, 'the waiting page has no confirm form yet');
    const forged = await postFrom(browser, login, `${waiting.url.pathname}/confirm`);
    assertExpired(forged, 'a confirmation without an opened link');
    assert.equal(await silentSignIn(browser, realm.config), 'login_required');
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
    assertExpired(await browser.navigate(mail.link!, atCallback), 'the link after its code was used');
  });
});
