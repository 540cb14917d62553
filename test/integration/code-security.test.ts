// The security rules every email code and link follows (issue #3): at most 5 wrong attempts, then the code dies;
// single use; the resend cooldown; send limits per address, per IP and per tenant; answers that do not tell known
// addresses from unknown ones; audit events for send, delivery failure, verification and lockout; and nothing
// stored (Redis, PostgreSQL) that holds a code or link token. Each test has a tenant of its own. Expiry:
// code-expiry.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createUser } from '../support/fixtures.js';
import { asPage, atCallback, isLoginPage, loginPage, visibleText } from '../support/hosted-pages.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';
import { letTimePass } from '../support/test-clock.js';
import {
  assertExpired, assertLinkGone, auditEvents, Browser, comparable, databaseContents, emailRealm, exchange, interactionPage, mailTo,
  redisContents, startByEmail, submitCode, uniqueEmail, useEmailTessera, waitForAudit, type EmailRealm,
} from '../support/email-flows.js';

describe('one-time code security', () => {
  // LOG_LEVEL info (production's default, one line per request): what the log holds is checked too
  const world = useEmailTessera({ env: { LOG_LEVEL: 'info' } });
  const realm = (signIn: Record<string, unknown>, extra?: Record<string, unknown>) => emailRealm(world.server, { methods: { emailOtp: true, magicLink: true }, ...signIn }, extra);
  let shared: EmailRealm;
  let refusing: TestSmtpServer;

  before(async () => {
    shared = await realm({});
    refusing = await startSmtpServer({ failWith: { responseCode: 550, message: 'Requested action not taken: mailbox unavailable' } });
  });
  after(() => refusing?.close());

  it('five wrong codes kill the code: the right one is refused afterwards; failures and the lockout are audited', async () => {
    const r = await realm({});
    const user = await createUser(world.server, r.slug);
    const browser = new Browser();
    let { page } = await startByEmail(browser, r.config, user.email, 'email-code');
    const { code } = await mailTo(world.smtp, user.email);
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    for (const left of ['4 attempts', '3 attempts', '2 attempts', '1 attempt']) {
      page = asPage(await submitCode(browser, page, wrong), 'the code page');
      assert.equal(page.status, 400);
      assert.match(visibleText(page.html), new RegExp(`That code is not right\\. You have ${left} left\\.`));
    }
    page = asPage(await submitCode(browser, page, wrong), 'the code page');
    assert.equal(page.status, 400);
    assert.match(visibleText(page.html), /Too many wrong codes: this code no longer works\. Send a new code, or use another way to sign in\./);
    assertExpired(await submitCode(browser, page, code!), 'the right code after the lockout');

    const types = (await auditEvents(world.services.databaseUrl, r.slug)).map((e) => e.type);
    assert.deepEqual(types.filter((t) => t.startsWith('otp.')), ['otp.sent', 'otp.failed', 'otp.failed', 'otp.failed', 'otp.failed', 'otp.locked']);
    assert.ok(!types.includes('login.succeeded'));
  });

  it('guesses spread over new codes: past 10 wrong in 15 minutes for one address, even the right code of a new one waits (429, Retry-After)', async () => {
    const r = await realm({ limits: { perIdentifier: { limit: 10, windowSeconds: 3600 } } });
    const user = await createUser(world.server, r.slug);
    const browser = new Browser();
    for (const nth of [1, 2]) {
      let { page } = await startByEmail(browser, r.config, user.email, 'email-code');
      const { code } = await mailTo(world.smtp, user.email, nth);
      const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
      for (let i = 0; i < 5; i++) page = asPage(await submitCode(browser, page, wrong), 'the code page');
      assert.match(visibleText(page.html), /Too many wrong codes: this code no longer works\./, `code ${nth} died after its five`);
    }
    const { page } = await startByEmail(browser, r.config, user.email, 'email-code');
    const { code } = await mailTo(world.smtp, user.email, 3);
    const waits = asPage(await submitCode(browser, page, code!), 'the code page');
    assert.equal(waits.status, 429);
    assert.ok(Number(waits.headers.get('retry-after')) > 0, `Retry-After ${waits.headers.get('retry-after')}`);
    assert.match(visibleText(waits.html), /Too many wrong codes\. Try again in \d+ minutes?\./);
    // another address is not held back by this one's guesses
    const other = await createUser(world.server, r.slug);
    const otherBrowser = new Browser();
    const fresh = await startByEmail(otherBrowser, r.config, other.email, 'email-code');
    const { claims } = await exchange(r.config, fresh.request, await submitCode(otherBrowser, fresh.page, (await mailTo(world.smtp, other.email)).code!));
    assert.equal(claims.sub, other.id);
  });

  it('a used code gets the expired answer', async () => {
    const user = await createUser(world.server, shared.slug);
    const browser = new Browser();
    const { page: login } = await loginPage(browser, shared.config);
    const codePage = asPage(await browser.submit(await interactionPage(browser, login, '/reset'), '/reset', { email: user.email }, atCallback), 'the code page');
    const { code } = await mailTo(world.smtp, user.email);
    const next = asPage(await submitCode(browser, codePage, code!), 'the new-password page');
    assert.match(next.html, /<h1>Choose a new password<\/h1>/, 'the code worked once; the interaction goes on');
    assertExpired(await submitCode(browser, codePage, code!), 'the same code again');
    assertExpired(await browser.navigate(codePage.url, atCallback), 'its code page');
  });

  it('resend: refused inside the cooldown (429 + Retry-After); after it, a new code that replaces the old one', async () => {
    const r = await realm({ code: { resendCooldownSeconds: 2 } });
    const user = await createUser(world.server, r.slug);
    const browser = new Browser();
    const { request, page } = await startByEmail(browser, r.config, user.email, 'email-code');
    const sentAt = Date.now();
    assert.match(visibleText(page.html), /You can ask for a new code in 2 seconds\./);
    const first = await mailTo(world.smtp, user.email);

    const early = asPage(await browser.submit(page, '/resend', {}, atCallback), 'the code page');
    assert.equal(early.status, 429);
    const retryAfter = Number(early.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 2, `Retry-After ${early.headers.get('retry-after')}`);
    assert.match(visibleText(early.html), new RegExp(`Please wait ${retryAfter} seconds? before asking for a new code\\.`));

    await letTimePass(world.server, Math.max(0, sentAt + 2_100 - Date.now()));
    const resent = asPage(await browser.submit(page, '/resend', {}, atCallback), 'the code page');
    assert.equal(resent.status, 200);
    assert.equal(resent.url.pathname, page.url.pathname, 'the same challenge');
    assert.match(visibleText(resent.html), /We sent you a new code\./);
    const second = await mailTo(world.smtp, user.email, 2);
    assert.notEqual(second.code, first.code);

    const stale = asPage(await submitCode(browser, resent, first.code!), 'the code page');
    assert.equal(stale.status, 400);
    assert.match(visibleText(stale.html), /That code is not right\. You have 4 attempts left\./, 'the old code no longer works (and a resend gives no new attempts)');
    const { claims } = await exchange(r.config, request, await submitCode(browser, stale, second.code!));
    assert.equal(claims.sub, user.id);
  });

  it('resend of a magic link: a new link and code; the old link is dead', async () => {
    const r = await realm({ code: { resendCooldownSeconds: 0 } });
    const user = await createUser(world.server, r.slug);
    const browser = new Browser();
    const { request, page: waiting } = await startByEmail(browser, r.config, user.email, 'magic-link');
    const first = await mailTo(world.smtp, user.email);
    const codePage = asPage(await browser.navigate(new URL(waiting.url.pathname.replace('/magic-sent/', '/code/'), waiting.url), atCallback), 'the code page');
    assert.doesNotMatch(codePage.html, /You can ask for a new code in/, 'no cooldown with resendCooldownSeconds 0');
    assert.equal(asPage(await browser.submit(codePage, '/resend', {}, atCallback), 'the code page').status, 200);
    const second = await mailTo(world.smtp, user.email, 2);
    assert.match(second.link ?? '', /\/magic\/[\w-]{43}$/, 'the new email has a link too');
    assert.notEqual(second.link, first.link);
    assertLinkGone(await new Browser().navigate(first.link!, atCallback), 'expired', 'the replaced link');
    const replaced = assertLinkGone(await browser.navigate(first.link!, atCallback), 'expired', 'the replaced link, in the browser that asked');
    assert.match(replaced.html, /Send a new link/, 'the sign-in is still open here: a new link is one step away');
    const { claims } = await exchange(r.config, request, await browser.navigate(second.link!, atCallback));
    assert.equal(claims.sub, user.id);
  });

  it('send limits: the next send to one address past its limit is refused with 429, other addresses still get codes', async () => {
    const r = await realm({ limits: { perIdentifier: { limit: 2, windowSeconds: 3600 } } });
    const email = uniqueEmail();
    for (let i = 0; i < 2; i++) assert.equal((await startByEmail(new Browser(), r.config, email, 'email-code')).page.status, 200);
    const browser = new Browser();
    const { page: refusedLogin } = await loginPage(browser, r.config);
    const refused = asPage(await browser.submit(refusedLogin, '/magic-link', { email }, atCallback), 'the login page');
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get('retry-after')) > 0 && Number(refused.headers.get('retry-after')) <= 3600);
    assert.ok(isLoginPage(refused));
    assert.match(visibleText(refused.html), /Too many codes were requested\. Try again in \d+ minutes?\./);
    assert.equal((await startByEmail(new Browser(), r.config, uniqueEmail(), 'email-code')).page.status, 200, 'another address is not limited');
    const limited = (await auditEvents(world.services.databaseUrl, r.slug)).filter((e) => e.type === 'otp.rate_limited');
    assert.equal(limited.length, 1);
  });

  it('send limits: one IP past its limit is refused with 429, whatever the address', async () => {
    const r = await realm({ limits: { perIp: { limit: 3, windowSeconds: 3600 } } });
    for (let i = 0; i < 3; i++) assert.equal((await startByEmail(new Browser(), r.config, uniqueEmail(), 'email-code')).page.status, 200);
    const browser = new Browser();
    const { page } = await loginPage(browser, r.config);
    const refused = asPage(await browser.submit(page, '/email-code', { email: uniqueEmail() }, atCallback), 'the login page');
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
    assert.match(visibleText(refused.html), /Too many codes were requested\./);
  });

  it('send limits: a tenant past its ceiling is refused with 429 for every address and IP; other tenants still send', async () => {
    // the per-IP allowance is set above the tenant's, so only the tenant ceiling can be what refuses
    const r = await realm({ limits: { perTenant: { limit: 3, windowSeconds: 3600 }, perIp: { limit: 50, windowSeconds: 3600 } } });
    for (let i = 0; i < 3; i++) assert.equal((await startByEmail(new Browser(), r.config, uniqueEmail(), 'email-code')).page.status, 200);
    const browser = new Browser();
    const { page } = await loginPage(browser, r.config);
    const refused = asPage(await browser.submit(page, '/email-code', { email: uniqueEmail() }, atCallback), 'the login page');
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
    assert.equal((await startByEmail(new Browser(), shared.config, uniqueEmail(), 'email-code')).page.status, 200, 'another tenant is not limited');
    const limited = (await auditEvents(world.services.databaseUrl, r.slug)).filter((e) => e.type === 'otp.rate_limited');
    assert.deepEqual(limited.map((e) => (e.data as { limit?: string }).limit), ['tenant']);
  });

  it('answers the same for a known and an unknown address: code page, waiting page, reset', async () => {
    const known = await createUser(world.server, shared.slug);
    const unknown = uniqueEmail();
    for (const via of ['email-code', 'magic-link'] as const) {
      const a = await startByEmail(new Browser(), shared.config, known.email, via);
      const b = await startByEmail(new Browser(), shared.config, unknown, via);
      assert.equal(a.page.status, b.page.status, via);
      assert.deepEqual([a.page.headers.get('cache-control'), a.page.headers.get('content-type')], [b.page.headers.get('cache-control'), b.page.headers.get('content-type')]);
      assert.equal(comparable(a.page), comparable(b.page), via);
    }
    const reset = async (email: string) => {
      const browser = new Browser();
      const { page } = await loginPage(browser, shared.config);
      return asPage(await browser.submit(await interactionPage(browser, page, '/reset'), '/reset', { email }, atCallback), 'the code page');
    };
    const [a, b] = [await reset(known.email), await reset(unknown)];
    assert.equal(a.status, b.status);
    assert.equal(comparable(a), comparable(b));
  });

  it('audits every send, delivery failure and verification (without the code or the address)', async () => {
    const failing = await realm({}, { messaging: { email: { smtpUrl: refusing.url } } });
    const user = await createUser(world.server, shared.slug);
    const browser = new Browser();
    const { request, page } = await startByEmail(browser, shared.config, user.email, 'email-code');
    const { code } = await mailTo(world.smtp, user.email);
    await exchange(shared.config, request, await submitCode(browser, page, code!));
    const events = (await auditEvents(world.services.databaseUrl, shared.slug)).filter((e) => e.subject === user.id || e.actor === user.id);
    const sent = events.find((e) => e.type === 'otp.sent')!;
    assert.deepEqual([sent.data.channel, sent.data.provider, sent.data.purpose], ['email', 'smtp', 'login']);
    assert.ok(events.some((e) => e.type === 'login.succeeded'));
    const verified = (await auditEvents(world.services.databaseUrl, shared.slug)).filter((e) => e.type === 'otp.verified');
    assert.ok(verified.length >= 1 && verified.every((e) => e.subject?.startsWith('id:')), 'verification names a pseudonym, not the address');

    const victim = await createUser(world.server, failing.slug);
    const answer = await startByEmail(new Browser(), failing.config, victim.email, 'email-code');
    assert.equal(answer.page.status, 200, 'the browser learns nothing of the failure');
    const [failed] = await waitForAudit(world.services.databaseUrl, failing.slug, 'otp.delivery_failed');
    assert.deepEqual([failed!.subject, failed!.outcome, failed!.data.channel, failed!.data.reason], [victim.id, 'failure', 'email', 'ProviderError']);
    assert.equal(refusing.messages.length, 0);
    assert.ok(!(await auditEvents(world.services.databaseUrl, failing.slug)).some((e) => e.type === 'otp.sent'));
    for (const event of await auditEvents(world.services.databaseUrl, failing.slug)) {
      assert.ok(!JSON.stringify(event).includes(victim.email), `${event.type} holds no address`);
    }
  });

  it('stores neither codes nor link tokens: Redis (but the outbox) and every table are free of them', async () => {
    const r = await realm({ code: { length: 8 } });
    const user = await createUser(world.server, r.slug);
    const browser = new Browser();
    const { request, page } = await startByEmail(browser, r.config, user.email, 'magic-link');
    const mail = await mailTo(world.smtp, user.email);
    const token = /\/magic\/([\w-]{43})$/.exec(mail.link!)![1]!;
    assert.match(mail.code!, /^\d{8}$/);

    const scan = async (when: string) => {
      const kv = await redisContents(world.services.redisUrl, world.services.redisPrefix);
      const outboxes = [...kv].filter(([key]) => key.startsWith(`${world.services.redisPrefix}outbox:`));
      assert.ok(outboxes.some(([, value]) => value.includes(mail.code!)), 'the outbox holds the code: the scan can find it');
      for (const [key, value] of kv) {
        if (key.startsWith(`${world.services.redisPrefix}outbox:`)) continue;
        for (const secret of [mail.code!, token, user.email]) {
          assert.ok(!key.includes(secret) && !value.includes(secret), `${when}: Redis key ${key} holds ${secret === user.email ? 'the address' : 'a secret'}`);
        }
      }
      for (const [table, rows] of await databaseContents(world.services.databaseUrl)) {
        assert.ok(!rows.includes(mail.code!) && !rows.includes(token), `${when}: table ${table} holds the code or token`);
      }
    };
    await scan('while the code is live');
    const codePage = asPage(await browser.navigate(new URL(page.url.pathname.replace('/magic-sent/', '/code/'), page.url), atCallback), 'the code page');
    await exchange(r.config, request, await submitCode(browser, codePage, mail.code!));
    await scan('after it was used');
  });

  it('logs neither codes nor link tokens (magic link and reset link opened, code typed)', async () => {
    const user = await createUser(world.server, shared.slug);
    const browser = new Browser();
    const { request } = await startByEmail(browser, shared.config, user.email, 'magic-link');
    const magic = await mailTo(world.smtp, user.email);
    await new Browser().navigate(magic.link!, atCallback);
    await exchange(shared.config, request, await browser.navigate(magic.link!, atCallback));
    const resetter = new Browser();
    const { page: login } = await loginPage(resetter, shared.config);
    const codePage = asPage(await resetter.submit(await interactionPage(resetter, login, '/reset'), '/reset', { email: user.email }, atCallback), 'the code page');
    const reset = await mailTo(world.smtp, user.email, 2);
    await new Browser().navigate(reset.link!, atCallback);
    await submitCode(resetter, codePage, reset.code!);
    const log = world.server.output();
    assert.match(log, /"path":"\/t\/[^"]+\/interaction\/[^"]+\/code\//, 'requests are logged at this level');
    for (const [what, secret] of [['magic link token', magic.link!.split('/').pop()!], ['reset link token', reset.link!.split('/').pop()!], ['code', magic.code!], ['code', reset.code!]] as const) {
      assert.ok(!log.includes(secret), `the log holds a ${what}: ${log.split('\n').find((line) => line.includes(secret))}`);
    }
  });
});
