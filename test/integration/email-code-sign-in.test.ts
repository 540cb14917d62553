// Email OTP (issue #3): a code by email signs a returning user in, and signs a new one up when the tenant takes
// sign-ups; with sign-ups closed a new address gets the same page, no email, and no code that works. Email goes
// out over a real SMTP server and is parsed; openid-client completes every code exchange.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createUser } from '../support/fixtures.js';
import { asPage, visibleText } from '../support/hosted-pages.js';
import { oidc } from '../support/relying-party.js';
import {
  assertNoMailTo, auditEvents, Browser, comparable, createUnverifiedUser, emailClaims, emailRealm, exchange, mailTo,
  startByEmail, submitCode, uniqueEmail, useEmailTessera, userRow, waitForAudit, type EmailRealm,
} from '../support/email-flows.js';

describe('email OTP sign-in', () => {
  const world = useEmailTessera();
  let closed: EmailRealm;
  let open: EmailRealm;

  before(async () => {
    [closed, open] = await Promise.all([
      emailRealm(world.server, { methods: { emailOtp: true } }),
      emailRealm(world.server, { methods: { emailOtp: true }, signUp: true }),
    ]);
  });

  it('offers "Email me a sign-in code" on the login page', async () => {
    const { page } = await startByEmail(new Browser(), closed.config, uniqueEmail(), 'email-code');
    assert.equal(page.status, 200);
    assert.match(page.url.pathname, new RegExp(`^/t/${closed.slug}/interaction/[^/]+/code/[\\w-]{22}$`));
    assert.match(page.html, /<h1>Check your email<\/h1>/);
    assert.match(page.html, /autocomplete="one-time-code"/);
  });

  it('signs a returning user in with the emailed code (amr otp)', async () => {
    const user = await createUser(world.server, closed.slug);
    const browser = new Browser();
    const { request, page } = await startByEmail(browser, closed.config, user.email, 'email-code', emailClaims);
    assert.match(visibleText(page.html), new RegExp(`we sent a code to ${user.email[0]}•••@example\\.com`));

    const mail = await mailTo(world.smtp, user.email);
    assert.equal(mail.subject, `Your ${closed.name} sign-in code`);
    assert.match(mail.from, new RegExp(`${closed.name}.*<no-reply@127\\.0\\.0\\.1>`), 'sent in the tenant\'s name');
    assert.match(mail.code ?? '', /^\d{6}$/, 'a 6-digit code (the default length)');
    assert.ok(mail.html.includes(mail.code!), 'the HTML version carries the same code');
    assert.equal(mail.link, null, 'a code email has no link');

    const { tokens, claims } = await exchange(closed.config, request, await submitCode(browser, page, mail.code!));
    assert.equal(claims.sub, user.id);
    assert.deepEqual(claims.amr, ['otp']);
    assert.equal(claims.email, user.email);
    assert.equal(claims.email_verified, true);
    const info = await oidc.fetchUserInfo(closed.config, tokens.access_token, user.id);
    assert.equal(info.email, user.email);

    const events = await auditEvents(world.services.databaseUrl, closed.slug);
    const login = events.find((e) => e.type === 'login.succeeded')!;
    assert.deepEqual([login.subject, login.data.method, login.data.channel], [user.id, 'email_code', 'email']);
    assert.ok(events.some((e) => e.type === 'otp.verified'));
  });

  it('signs a new user up when the tenant takes sign-ups: the account exists, its email verified', async () => {
    const email = uniqueEmail('new');
    const browser = new Browser();
    const { request, page } = await startByEmail(browser, open.config, email, 'email-code', emailClaims);
    const mail = await mailTo(world.smtp, email);
    assert.equal(await userRow(world.services.databaseUrl, open.slug, email), null, 'no account before the code is verified');

    const { tokens, claims } = await exchange(open.config, request, await submitCode(browser, page, mail.code!));
    const row = await userRow(world.services.databaseUrl, open.slug, email);
    assert.ok(row, 'the account was created');
    assert.deepEqual([row.email_verified, row.has_password], [true, false], 'verified, passwordless');
    assert.equal(claims.sub, row.id);
    assert.deepEqual(claims.amr, ['otp']);
    assert.deepEqual([claims.email, claims.email_verified], [email, true]);
    const info = await oidc.fetchUserInfo(open.config, tokens.access_token, row.id);
    assert.deepEqual([info.email, info.email_verified], [email, true]);
    const signups = (await auditEvents(world.services.databaseUrl, open.slug)).filter((e) => e.type === 'signup.completed');
    assert.deepEqual(signups.map((e) => [e.subject, e.data.method]), [[row.id, 'email']]);

    // the second time round it is a returning user: same account
    const again = new Browser();
    const second = await startByEmail(again, open.config, email, 'email-code');
    const next = await mailTo(world.smtp, email, 2);
    const { claims: returning } = await exchange(open.config, second.request, await submitCode(again, second.page, next.code!));
    assert.equal(returning.sub, row.id);
  });

  it('with sign-ups closed, a new address gets the same page, no email, and no code works', async () => {
    const known = await createUser(world.server, closed.slug, { email: uniqueEmail() });
    const unknown = uniqueEmail();
    const browser = new Browser();
    const { page } = await startByEmail(browser, closed.config, unknown, 'email-code');
    const knownPage = (await startByEmail(new Browser(), closed.config, known.email, 'email-code')).page;
    assert.equal(page.status, knownPage.status);
    assert.equal(comparable(page), comparable(knownPage), 'the code page does not tell the addresses apart');

    await assertNoMailTo(world.smtp, unknown, mailTo(world.smtp, known.email));
    // Five guesses (the attempt limit): none signs anyone in; the last one ends the challenge.
    let step = await submitCode(browser, page, '000000');
    for (const guess of ['123456', '654321', '999999', '111111']) {
      const answer = asPage(step, 'the code page');
      assert.equal(answer.status, 400);
      step = await submitCode(browser, answer, guess);
    }
    const last = asPage(step, 'the code page');
    assert.equal(last.status, 400);
    assert.match(visibleText(last.html), /Too many wrong codes: this code no longer works\./);
    assert.equal(await userRow(world.services.databaseUrl, closed.slug, unknown), null, 'no account was created');
  });

  it('verifies the email of an existing unverified account that signs in by code', async () => {
    const user = await createUnverifiedUser(world.server, closed.slug);
    assert.equal((await userRow(world.services.databaseUrl, closed.slug, user.email))!.email_verified, false);
    const browser = new Browser();
    const { request, page } = await startByEmail(browser, closed.config, user.email, 'email-code', emailClaims);
    const mail = await mailTo(world.smtp, user.email);
    const { claims } = await exchange(closed.config, request, await submitCode(browser, page, mail.code!));
    assert.deepEqual([claims.sub, claims.email_verified], [user.id, true]);
    assert.equal((await userRow(world.services.databaseUrl, closed.slug, user.email))!.email_verified, true);
    await waitForAudit(world.services.databaseUrl, closed.slug, 'otp.sent');
  });
});
