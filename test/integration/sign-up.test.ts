// Sign-up with email verification (issue #3): the account is created only once the emailed code is verified;
// an address with a verified account gets the same page and no code; an unverified account verifies (and takes
// the new password); weak passwords are refused with the policy's words. Also requireVerifiedEmail: a correct
// password of an unverified account leads to the code page first.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createUser } from '../support/fixtures.js';
import { asPage, atCallback, isLoginPage, loginPage, visibleText } from '../support/hosted-pages.js';
import { oidc } from '../support/relying-party.js';
import {
  assertNoMailTo, auditEvents, Browser, comparable, createUnverifiedUser, emailClaims, emailRealm, exchange,
  interactionPage, mailTo, submitCode, uniqueEmail, useEmailTessera, userRow, type EmailRealm,
} from '../support/email-flows.js';

const strongPassword = 'correct horse battery staple 42';

describe('sign-up with email verification', () => {
  const world = useEmailTessera();
  let realm: EmailRealm;
  let strict: EmailRealm;

  before(async () => {
    [realm, strict] = await Promise.all([
      emailRealm(world.server, { signUp: true }),
      emailRealm(world.server, { requireVerifiedEmail: true, limits: { perIdentifier: { limit: 1, windowSeconds: 3600 } } }),
    ]);
  });

  /** the sign-up page reached from the login page's "Create an account" link, and the form posted */
  async function signUp(values: { email: string; password: string; name?: string }, browser = new Browser()) {
    const { request, page: login } = await loginPage(browser, realm.config, emailClaims);
    assert.match(login.html, /New here\? <a href="[^"]+\/signup">Create an account<\/a>/);
    const form = await interactionPage(browser, login, '/signup');
    assert.match(form.html, /<h1>Create your account<\/h1>/);
    const page = asPage(await browser.submit(form, '/signup', { name: values.name ?? '', ...values }, atCallback), 'the sign-up answer');
    return { browser, request, login, page };
  }

  /** a password sign-in attempt in a fresh browser: the callback when it worked, else the page */
  async function passwordSignIn(config: oidc.Configuration, email: string, password: string) {
    const browser = new Browser();
    const { request, page } = await loginPage(browser, config, emailClaims);
    return { browser, request, step: await browser.submit(page, '/login', { email, password }, atCallback) };
  }

  it('creates the account only once the emailed code is verified, then signs in (amr pwd+otp)', async () => {
    const email = uniqueEmail('s');
    const { browser, request, page } = await signUp({ email, password: strongPassword, name: 'Grace Hopper' });
    assert.equal(page.status, 200);
    assert.match(page.url.pathname, /\/code\/[\w-]{22}$/);
    assert.match(visibleText(page.html), /Enter it to finish creating your account\./);
    const mail = await mailTo(world.smtp, email);
    assert.equal(mail.subject, `Confirm your email address for ${realm.name}`);
    assert.match(mail.code ?? '', /^\d{6}$/);

    // not yet an account: no row, and the password does not sign in
    assert.equal(await userRow(world.services.databaseUrl, realm.slug, email), null);
    const early = await passwordSignIn(realm.config, email, strongPassword);
    assert.equal(asPage(early.step, 'the login page').status, 401);

    const { tokens, claims } = await exchange(realm.config, request, await submitCode(browser, page, mail.code!));
    const row = await userRow(world.services.databaseUrl, realm.slug, email);
    assert.ok(row, 'the account exists now');
    assert.deepEqual([row.email_verified, row.has_password, row.name], [true, true, 'Grace Hopper']);
    assert.equal(claims.sub, row.id);
    assert.deepEqual(claims.amr, ['pwd', 'otp']);
    assert.deepEqual([claims.email, claims.email_verified, claims.name], [email, true, 'Grace Hopper']);
    const info = await oidc.fetchUserInfo(realm.config, tokens.access_token, row.id);
    assert.deepEqual([info.email, info.email_verified], [email, true]);
    const signups = (await auditEvents(world.services.databaseUrl, realm.slug)).filter((e) => e.type === 'signup.completed' && e.subject === row.id);
    assert.equal(signups.length, 1);

    // the chosen password now signs in
    const later = await passwordSignIn(realm.config, email, strongPassword);
    const { claims: again } = await exchange(realm.config, later.request, later.step);
    assert.deepEqual([again.sub, again.amr], [row.id, ['pwd']]);
  });

  it('an address with a verified account gets the same page and no code', async () => {
    const existing = await createUser(world.server, realm.slug, { email: uniqueEmail('s') });
    const fresh = uniqueEmail('s');
    const taken = await signUp({ email: existing.email, password: strongPassword });
    const other = await signUp({ email: fresh, password: strongPassword });
    assert.equal(taken.page.status, other.page.status);
    assert.equal(comparable(taken.page), comparable(other.page), 'the page does not tell a taken address apart');
    assert.match(visibleText(taken.page.html), /If this address already has an account, no code is sent: sign in instead\./);
    await assertNoMailTo(world.smtp, existing.email, mailTo(world.smtp, fresh));
    // the existing password is untouched
    const { step } = await passwordSignIn(realm.config, existing.email, existing.password);
    assert.ok(step instanceof URL, 'the existing password still signs in');
  });

  it('an existing unverified account gets a code; verifying it verifies the account and sets the new password', async () => {
    const user = await createUnverifiedUser(world.server, realm.slug, uniqueEmail('s'));
    const { browser, request, page } = await signUp({ email: user.email, password: strongPassword });
    const mail = await mailTo(world.smtp, user.email);
    assert.equal((await userRow(world.services.databaseUrl, realm.slug, user.email))!.email_verified, false, 'not before the code');
    const { claims } = await exchange(realm.config, request, await submitCode(browser, page, mail.code!));
    assert.deepEqual([claims.sub, claims.amr, claims.email_verified], [user.id, ['pwd', 'otp'], true]);
    assert.equal((await userRow(world.services.databaseUrl, realm.slug, user.email))!.email_verified, true);
    assert.equal(asPage((await passwordSignIn(realm.config, user.email, user.password)).step, 'login').status, 401, 'the old password is replaced');
    assert.ok((await passwordSignIn(realm.config, user.email, strongPassword)).step instanceof URL, 'the new password signs in');
  });

  it('refuses weak passwords with the policy\'s message, creating nothing and sending nothing', async () => {
    const email = uniqueEmail('weak');
    const cases: Array<[string, RegExp]> = [
      ['short', /Your password needs at least 8 characters\./],
      ['password123', /This password is one of the most commonly used ones and easy to guess\./],
      [email.split('@')[0]!, /Your password can’t be your email address or name\./],
    ];
    for (const [password, message] of cases) {
      const { page } = await signUp({ email, password, name: 'Weak' });
      assert.equal(page.status, 400, password);
      assert.match(page.html, /<h1>Create your account<\/h1>/);
      assert.match(visibleText(page.html), message);
      assert.match(page.html, new RegExp(`name="email" type="email" value="${email}"`), 'the address is kept');
      assert.doesNotMatch(page.html, new RegExp(password === 'short' ? 'value="short"' : `value="${password}"`), 'the password is not echoed');
    }
    assert.equal(await userRow(world.services.databaseUrl, realm.slug, email), null);
    const later = uniqueEmail('s');
    await assertNoMailTo(world.smtp, email, signUp({ email: later, password: strongPassword }).then(() => mailTo(world.smtp, later)));
  });

  it('is not offered when the tenant takes no sign-ups', async () => {
    const browser = new Browser();
    const { page: login } = await loginPage(browser, strict.config);
    assert.doesNotMatch(login.html, /Create an account/);
    const refused = asPage(await browser.navigate(new URL(`${login.url.pathname}/signup`, login.url), atCallback), 'the login page');
    assert.equal(refused.status, 400);
    assert.ok(isLoginPage(refused));
    assert.match(visibleText(refused.html), /This app does not take new sign-ups\./);
  });

  describe('requireVerifiedEmail', () => {
    it('a correct password of an unverified account leads to the code page; the code signs in', async () => {
      const user = await createUnverifiedUser(world.server, strict.slug);
      const { browser, request, step } = await passwordSignIn(strict.config, user.email, user.password);
      const page = asPage(step, 'the code page');
      assert.equal(page.status, 200);
      assert.match(page.url.pathname, /\/code\/[\w-]{22}$/);
      assert.match(visibleText(page.html), /Enter it to confirm that this address is yours\./);
      const mail = await mailTo(world.smtp, user.email);
      assert.equal(mail.subject, `Verify your email address for ${strict.name}`);
      assert.equal((await userRow(world.services.databaseUrl, strict.slug, user.email))!.email_verified, false);

      const { claims } = await exchange(strict.config, request, await submitCode(browser, page, mail.code!));
      assert.deepEqual([claims.sub, claims.amr, claims.email_verified], [user.id, ['pwd', 'otp'], true]);
      assert.equal((await userRow(world.services.databaseUrl, strict.slug, user.email))!.email_verified, true);
      // verified now: the password alone signs in
      const next = await passwordSignIn(strict.config, user.email, user.password);
      assert.deepEqual((await exchange(strict.config, next.request, next.step)).claims.amr, ['pwd']);
    });

    it('its codes are rate-limited like any other: 429 with Retry-After', async () => {
      const user = await createUnverifiedUser(world.server, strict.slug);
      assert.match(asPage((await passwordSignIn(strict.config, user.email, user.password)).step, 'the code page').url.pathname, /\/code\//);
      const refused = asPage((await passwordSignIn(strict.config, user.email, user.password)).step, 'the login page');
      assert.equal(refused.status, 429);
      assert.match(visibleText(refused.html), /Too many codes were requested\. Try again in \d+ minutes?\./);
      const retryAfter = Number(refused.headers.get('retry-after'));
      assert.ok(retryAfter > 0 && retryAfter <= 3600, `Retry-After: ${refused.headers.get('retry-after')}`);
    });

    it('a wrong password of an unverified account gets the usual error and no code', async () => {
      const user = await createUnverifiedUser(world.server, strict.slug);
      const { step } = await passwordSignIn(strict.config, user.email, 'not-the-password-1');
      const page = asPage(step, 'the login page');
      assert.equal(page.status, 401);
      assert.match(visibleText(page.html), /The email or password is incorrect\./);
      const barrier = (async () => {
        const other = await createUnverifiedUser(world.server, strict.slug);
        await passwordSignIn(strict.config, other.email, other.password);
        return mailTo(world.smtp, other.email);
      })();
      await assertNoMailTo(world.smtp, user.email, barrier);
    });
  });
});
