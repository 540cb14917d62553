// Password reset (issue #3): email → code or link → new password → signed in (amr pwd+otp). Setting the password
// revokes every other session and refresh token of the user and tells them by email; the old password stops
// working. A link opened in another browser sets the password there without signing anyone in. Unknown addresses
// get the same pages and no email.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createUser, redirectUri } from '../support/fixtures.js';
import { letTimePass } from '../support/test-clock.js';
import { asPage, atCallback, loginPage, visibleText } from '../support/hosted-pages.js';
import { accessTokenLive, codeFlow, oidc, refusal, signInOffline } from '../support/relying-party.js';
import {
  assertExpired, assertNoMailTo, auditEvents, Browser, comparable, createUnverifiedUser, databaseContents, emailClaims, emailRealm,
  exchange, interactionPage, mailTo, redisContents, silentSignIn, submitCode, uniqueEmail, useEmailTessera, userRow, waitForAudit,
  type EmailRealm,
} from '../support/email-flows.js';

const newPassword = 'a brand new passphrase 7';

type Fate = 'used' | 'replaced' | 'expired' | 'invalid';
const goneHeadings: Record<Fate, string> = {
  used: 'This password reset link was already used',
  replaced: 'A newer password reset link was sent',
  expired: 'This password reset link has expired',
  invalid: 'This password reset link is not valid',
};
const goneLeads: Record<Fate, RegExp> = {
  used: /Each link works once\. If you did not finish choosing a new password, send a new link or sign in another way\./,
  replaced: /Only the link in the newest reset email works\. Open that one, send a new link, or sign in another way\./,
  expired: /Links work for a short time only\. Send a new link, or sign in another way\./,
  invalid: /The link is incomplete or was changed, perhaps when it was copied\. Open it straight from the email, send a new link, or sign in another way\./,
};

/**
 * The page of a reset link that no longer works: what became of it, and the next step — in the browser whose
 * sign-in is still open a new reset link and another way in (`here`), elsewhere back to the app (`app`).
 */
function assertResetLinkGone(step: Awaited<ReturnType<Browser['navigate']>>, fate: Fate, next: 'here' | 'app', what: string) {
  const page = asPage(step, `the ${fate} reset link page (${what})`);
  assert.equal(page.status, fate === 'invalid' ? 400 : 410, what);
  assert.match(page.html, new RegExp(`<h1>${goneHeadings[fate]}</h1>`), what);
  assert.match(visibleText(page.html), goneLeads[fate], what);
  assert.doesNotMatch(page.html, /was open too long/, `${what}: not the generic expired page`);
  if (next === 'here') {
    assert.match(page.html, /<a class="button button-primary" href="\/t\/[^"]+\/interaction\/[^"/]+\/reset">Send a new reset link<\/a>/, `${what}: a new link`);
    assert.match(page.html, /<a class="button button-secondary" href="\/t\/[^"]+\/interaction\/[^"/]+">Use another way to sign in<\/a>/, `${what}: another way in`);
  } else {
    assert.match(visibleText(page.html), /Go back to the app you were using and sign in from there\./, what);
  }
  return page;
}

describe('password reset', () => {
  const world = useEmailTessera();
  let realm: EmailRealm;

  before(async () => {
    realm = await emailRealm(world.server, { code: { resendCooldownSeconds: 0 } });
  });

  /** "Forgot password?" from the login page, the address sent: the code page, and the email when one is due */
  async function requestReset(email: string, browser = new Browser()) {
    const { request, page: login } = await loginPage(browser, realm.config, emailClaims);
    assert.match(login.html, /<a href="[^"]+\/reset">Forgot password\?<\/a>/);
    const form = await interactionPage(browser, login, '/reset');
    assert.match(form.html, /<h1>Reset your password<\/h1>/);
    const page = asPage(await browser.submit(form, '/reset', { email }, atCallback), 'the code page');
    return { browser, request, login, page };
  }

  async function setPassword(browser: Browser, page: URL | ReturnType<typeof asPage>, password = newPassword, confirm = password) {
    const form = asPage(page, 'the new-password page');
    assert.match(form.html, /<h1>Choose a new password<\/h1>/);
    return browser.submit(form, '/reset/password', { password, confirm }, atCallback);
  }

  const passwordWorks = async (email: string, password: string) => {
    const browser = new Browser();
    const { page } = await loginPage(browser, realm.config);
    return (await browser.submit(page, '/login', { email, password }, atCallback)) instanceof URL;
  };

  it('by code: new password, signed in (amr pwd+otp); every other session and refresh token revoked; told by email', async () => {
    const user = await createUser(world.server, realm.slug);
    // before the reset: a refresh token and a live session in another browser
    const elsewhere = new Browser();
    const offline = await signInOffline(realm.config, user, { browser: elsewhere });
    assert.equal(await silentSignIn(elsewhere, realm.config), null, 'the other browser is signed in');

    const { browser, request, page } = await requestReset(user.email);
    assert.match(visibleText(page.html), /Enter it to choose a new password\./);
    const mail = await mailTo(world.smtp, user.email);
    assert.equal(mail.subject, `Reset your ${realm.name} password`);
    assert.match(mail.code ?? '', /^\d{6}$/);
    assert.match(mail.link ?? '', new RegExp(`^${realm.issuer}/interaction/[^/]+/reset-link/[\\w-]{43}$`));

    const form = asPage(await submitCode(browser, page, mail.code!), 'the new-password page');
    assert.equal(form.status, 200);
    assert.match(form.url.pathname, /\/reset\/password$/);
    const mismatch = asPage(await setPassword(browser, form, newPassword, `${newPassword}!`), 'the new-password page');
    assert.equal(mismatch.status, 400);
    assert.match(visibleText(mismatch.html), /The two passwords are not the same\./);
    const weak = asPage(await setPassword(browser, mismatch, 'password1'), 'the new-password page');
    assert.equal(weak.status, 400);
    assert.match(visibleText(weak.html), /This password is one of the most commonly used ones/);

    const { claims } = await exchange(realm.config, request, await setPassword(browser, weak));
    assert.deepEqual([claims.sub, claims.amr], [user.id, ['pwd', 'otp']]);

    assert.deepEqual(await refusal(oidc.refreshTokenGrant(realm.config, offline.refresh_token!)), { error: 'invalid_grant', status: 400 });
    assert.equal(await accessTokenLive(realm.config, offline.access_token), false, 'access tokens issued before are revoked');
    assert.equal(await silentSignIn(elsewhere, realm.config), 'login_required', 'the other browser\'s session is gone');
    assert.equal(await silentSignIn(browser, realm.config), null, 'the browser that reset is signed in');

    const notice = await mailTo(world.smtp, user.email, 2);
    assert.equal(notice.subject, `Your ${realm.name} password was changed`);
    assert.match(notice.text, /Your other sessions were signed out\./);
    assert.equal(notice.code, null);
    assert.equal(await passwordWorks(user.email, user.password), false, 'the old password fails');
    assert.equal(await passwordWorks(user.email, newPassword), true, 'the new password works');
    const reset = await waitForAudit(world.services.databaseUrl, realm.slug, 'password.reset');
    assert.ok(reset.some((e) => e.subject === user.id && e.data.revokedGrants === 1));
  });

  it('by link in the same browser: new password, signed in', async () => {
    const user = await createUser(world.server, realm.slug);
    const { browser, request } = await requestReset(user.email);
    const mail = await mailTo(world.smtp, user.email);
    const { claims } = await exchange(realm.config, request, await setPassword(browser, await browser.navigate(mail.link!, atCallback)));
    assert.deepEqual([claims.sub, claims.amr], [user.id, ['pwd', 'otp']]);
    assertResetLinkGone(await browser.navigate(mail.link!, atCallback), 'used', 'app', 'the link again, its sign-in finished');
    assert.equal(await passwordWorks(user.email, newPassword), true);
  });

  it('by link in another browser: the password is set there ("password changed"), nobody is signed in', async () => {
    const user = await createUser(world.server, realm.slug);
    const { browser, page } = await requestReset(user.email);
    const mail = await mailTo(world.smtp, user.email);
    const other = new Browser();
    const done = asPage(await setPassword(other, await other.navigate(mail.link!, atCallback)), 'the password-changed page');
    assert.equal(done.status, 200);
    assert.match(done.html, /<h1>Your password has been changed<\/h1>/);
    assert.match(visibleText(done.html), /Go back to the app and sign in with your new password\./);

    assert.equal(await silentSignIn(other, realm.config), 'login_required', 'the other browser is not signed in');
    assert.equal(await silentSignIn(browser, realm.config), 'login_required', 'the first browser is not signed in');
    assertExpired(await browser.navigate(page.url, atCallback), 'the first browser\'s code page: its code is used up');
    assert.equal((await mailTo(world.smtp, user.email, 2)).subject, `Your ${realm.name} password was changed`);
    assert.equal(await passwordWorks(user.email, user.password), false);
    const { tokens } = await codeFlow(realm.config, redirectUri, { email: user.email, password: newPassword });
    assert.deepEqual(tokens.claims()!.amr, ['pwd']);
  });

  it('a resent reset email carries a new code and a new link; the old ones are dead', async () => {
    const user = await createUser(world.server, realm.slug);
    const { browser, request, page } = await requestReset(user.email);
    const first = await mailTo(world.smtp, user.email);
    const resent = asPage(await browser.submit(page, '/resend', {}, atCallback), 'the code page');
    assert.equal(resent.status, 200);
    const second = await mailTo(world.smtp, user.email, 2);
    assert.equal(second.subject, `Reset your ${realm.name} password`);
    assert.match(second.link ?? '', new RegExp(`^${realm.issuer}/interaction/[^/]+/reset-link/[\\w-]{43}$`), 'the resent email has a link as the first one did');
    assert.notEqual(second.link, first.link);
    assertResetLinkGone(await browser.navigate(first.link!, atCallback), 'replaced', 'here', 'the replaced link');
    const stale = asPage(await submitCode(browser, resent, first.code!), 'the code page');
    assert.equal(stale.status, 400);
    const { claims } = await exchange(realm.config, request, await setPassword(browser, await browser.navigate(second.link!, atCallback)));
    assert.deepEqual([claims.sub, claims.amr], [user.id, ['pwd', 'otp']]);
  });

  it('a used, replaced, changed or expired reset link says which, and offers a new link or another way in', async () => {
    const user = await createUser(world.server, realm.slug);
    const { browser, page } = await requestReset(user.email);
    const first = await mailTo(world.smtp, user.email);
    asPage(await browser.submit(page, '/resend', {}, atCallback), 'the code page');
    const second = await mailTo(world.smtp, user.email, 2);

    const replaced = assertResetLinkGone(await browser.navigate(first.link!, atCallback), 'replaced', 'here', 'the replaced link');
    const sendNew = /href="([^"]+\/reset)">Send a new reset link/.exec(replaced.html)![1]!;
    const form = asPage(await browser.navigate(new URL(sendNew, realm.issuer), atCallback), 'the reset form');
    assert.match(form.html, /<h1>Reset your password<\/h1>/, 'the next step leads to the reset form');
    assertResetLinkGone(await new Browser().navigate(first.link!, atCallback), 'replaced', 'app', 'the replaced link, another browser');

    const token = /\/reset-link\/([\w-]{43})$/.exec(second.link!)![1]!;
    const changed = second.link!.replace(token, `${token.slice(0, 42)}${token.endsWith('A') ? 'B' : 'A'}`);
    assertResetLinkGone(await browser.navigate(changed, atCallback), 'invalid', 'here', 'a changed character');
    assertResetLinkGone(await browser.navigate(second.link!.slice(0, -5), atCallback), 'invalid', 'here', 'a truncated link');
    assertResetLinkGone(await new Browser().navigate(changed, atCallback), 'invalid', 'app', 'a changed link, another browser');

    asPage(await browser.navigate(second.link!, atCallback), 'the new-password page');
    assertResetLinkGone(await browser.navigate(second.link!, atCallback), 'used', 'here', 'the link again, its sign-in still open');
    assertResetLinkGone(await new Browser().navigate(second.link!, atCallback), 'used', 'app', 'the link again, another browser');

    const shortLived = await emailRealm(world.server, { magicLinkTtlSeconds: 60 });
    const other = await createUser(world.server, shortLived.slug);
    const late = new Browser();
    const { page: login } = await loginPage(late, shortLived.config, emailClaims);
    asPage(await late.submit(await interactionPage(late, login, '/reset'), '/reset', { email: other.email }, atCallback), 'the code page');
    const mail = await mailTo(world.smtp, other.email);
    await letTimePass(world.server, 61_000);
    assertResetLinkGone(await late.navigate(mail.link!, atCallback), 'expired', 'here', 'a link past its TTL');
  });

  it('keeps the permission to set a password only as a keyed hash: Redis and every table are free of it', async () => {
    const user = await createUser(world.server, realm.slug);
    const { browser, request, page } = await requestReset(user.email);
    const form = asPage(await submitCode(browser, page, (await mailTo(world.smtp, user.email)).code!), 'the new-password page');
    const permission = form.url.searchParams.get('p');
    assert.match(permission ?? '', /^[\w-]{32,64}$/, 'the new-password page carries the permission');
    const scan = async (when: string) => {
      for (const [key, value] of await redisContents(world.services.redisUrl, world.services.redisPrefix)) {
        assert.ok(!key.includes(permission!) && !value.includes(permission!), `${when}: Redis key ${key} holds the permission`);
      }
      for (const [table, rows] of await databaseContents(world.services.databaseUrl)) {
        assert.ok(!rows.includes(permission!), `${when}: table ${table} holds the permission`);
      }
    };
    await scan('while the permission is live');
    const { claims } = await exchange(realm.config, request, await setPassword(browser, form));
    assert.equal(claims.sub, user.id);
    await scan('after it was used');
    assertExpired(await browser.navigate(form.url, atCallback), 'the new-password page after the reset');
  });

  it('the permission sets a password once: of two concurrent submissions one wins, the other finds it expired', async () => {
    const user = await createUser(world.server, realm.slug);
    const { browser, page } = await requestReset(user.email);
    const form = asPage(await submitCode(browser, page, (await mailTo(world.smtp, user.email)).code!), 'the new-password page');
    const raced = await Promise.all([
      browser.submit(form, '/reset/password', { password: newPassword, confirm: newPassword }, atCallback),
      browser.submit(form, '/reset/password', { password: `${newPassword} twice`, confirm: `${newPassword} twice` }, atCallback),
    ]);
    const used = raced.filter((step) => step instanceof URL || !/Sign-in expired/.test(step.html));
    assert.equal(used.length, 1, 'exactly one submission set the password');
    assert.equal((await waitForAudit(world.services.databaseUrl, realm.slug, 'password.reset')).filter((e) => e.subject === user.id).length, 1);
    assert.equal(await passwordWorks(user.email, newPassword) !== await passwordWorks(user.email, `${newPassword} twice`), true, 'one of the two passwords is set');
  });

  it('verifies the email of an unverified account: the code proved the mailbox', async () => {
    const user = await createUnverifiedUser(world.server, realm.slug);
    const { browser, request, page } = await requestReset(user.email, new Browser());
    const mail = await mailTo(world.smtp, user.email);
    const { claims } = await exchange(realm.config, request, await setPassword(browser, await submitCode(browser, page, mail.code!)));
    assert.deepEqual([claims.sub, claims.amr, claims.email_verified], [user.id, ['pwd', 'otp'], true]);
    assert.equal((await userRow(world.services.databaseUrl, realm.slug, user.email))!.email_verified, true);
  });

  it('an unknown address gets the same pages and no email', async () => {
    const known = await createUser(world.server, realm.slug, { email: uniqueEmail() });
    const unknown = uniqueEmail();
    const forUnknown = await requestReset(unknown);
    const forKnown = await requestReset(known.email);
    assert.equal(forUnknown.page.status, forKnown.page.status);
    assert.equal(comparable(forUnknown.page), comparable(forKnown.page));
    assert.match(visibleText(forUnknown.page.html), /If an account can use this address, we sent a code to u•••@example\.com/);
    await assertNoMailTo(world.smtp, unknown, mailTo(world.smtp, known.email));
    // a guess on the unknown address's code page is "not right", exactly as on a real one
    const guess = asPage(await submitCode(forUnknown.browser, forUnknown.page, '123456'), 'the code page');
    const knownGuess = asPage(await submitCode(forKnown.browser, forKnown.page, '123456'), 'the code page');
    assert.equal(guess.status, 400);
    assert.equal(comparable(guess), comparable(knownGuess));
    const sent = (await auditEvents(world.services.databaseUrl, realm.slug)).filter((e) => e.type === 'otp.sent' && e.subject === known.id);
    assert.equal(sent.length, 1);
  });
});
