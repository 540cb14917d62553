// Two-step sign-in with an authenticator app (issue #5), through the hosted pages against real PostgreSQL and
// Redis, codes computed by otplib: enrolment on the account's security page (secret sealed, recovery codes shown
// once), the challenge after a password (amr pwd+otp+mfa, acr MFA, validated by openid-client), a code accepted
// once only, recovery codes (use, reuse, regeneration), the lock after 10 wrong codes, and remembered browsers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Browser } from '../support/browser.js';
import { createClient, createTenant, createUser } from '../support/fixtures.js';
import { asPage, atCallback, loginPage, visibleText } from '../support/hosted-pages.js';
import { enrolTotp, mfaPage, passwordStep, recoveryCodesOn, signInToAccount, totpCode } from '../support/mfa-flows.js';
import { asCodePage, enterCode, exchange, readOutbox, waitFor } from '../support/phone-flows.js';
import { discover, type oidc } from '../support/relying-party.js';
import { query as sqlQuery } from '../support/email-flows.js';
import { useTessera } from '../support/use-tessera.js';

const ACR_MFA = 'urn:tessera:acr:mfa';

describe('two-step sign-in with an authenticator app', () => {
  const server = useTessera();
  let slug: string;
  let config: oidc.Configuration;
  before(async () => {
    slug = (await createTenant(server)).slug;
    const client = await createClient(server, slug, ['--first-party']);
    config = await discover(`${server.url}/t/${slug}`, client.client_id, client.client_secret!);
  });

  const query = <T>(text: string, params: unknown[]) => sqlQuery<T>(server.env.DATABASE_URL!, text, params);
  const audit = (type: string) => query<{ data: Record<string, unknown>; subject: string }>('SELECT e.data, e.subject FROM audit_events e JOIN tenants t ON t.id = e.tenant_id WHERE t.slug = $1 AND e.type = $2 ORDER BY e.id', [slug, type]);

  /** a user with an authenticator app; their secret and recovery codes */
  async function enrolled() {
    const user = await createUser(server, slug);
    const browser = new Browser();
    await signInToAccount(server, slug, browser, user);
    return { user, ...(await enrolTotp(server, slug, browser)) };
  }

  it('/account/security keeps its destination through the sign-in; before any factor it counts no recovery codes; the key reads in groups of four', async () => {
    const user = await createUser(server, slug);
    const browser = new Browser();
    const signedOut = asPage(await browser.navigate(`${server.url}/t/${slug}/account/security`), 'the signed-out page');
    const signIn = /href="([^"]*\/account\/sign-in[^"]*)"/.exec(signedOut.html)?.[1];
    assert.equal(signIn, `/t/${slug}/account/sign-in?next=%2Fsecurity`);
    const login = asPage(await browser.navigate(`${server.url}${signIn!.replaceAll('&amp;', '&')}`), 'the login page');
    const security = asPage(await browser.submit(login, '/login', { email: user.email, password: user.password }), 'the security page');
    assert.equal(security.url.pathname, `/t/${slug}/account/security`, 'back where the user was going, not /account');
    const text = visibleText(security.html);
    assert.doesNotMatch(text, /of 10 recovery codes left/);
    assert.match(text, /You get recovery codes when you set up your first second step\./);
    assert.doesNotMatch(security.html, /Create new recovery codes/);
    const enrol = asPage(await browser.navigate(`${server.url}/t/${slug}/account/security/totp`), 'the enrolment page');
    assert.match(enrol.html, /<code id="totp-secret" class="secret">(?:[A-Z2-7]{4} ){7}[A-Z2-7]{4}<\/code>/, '32 characters in eight groups of four');
    // a forged destination in the state lands on the account page, never elsewhere
    const forged = await browser.navigate(`${server.url}/t/${slug}/account/callback?state=x//evil.test`);
    assert.equal(asPage(forged, 'the account page').url.pathname, `/t/${slug}/account`);
  });

  it('sets up an authenticator app: the secret is sealed at rest, ten recovery codes are shown once', async () => {
    const user = await createUser(server, slug);
    const browser = new Browser();
    await signInToAccount(server, slug, browser, user);
    const { secret, codes } = await enrolTotp(server, slug, browser);
    assert.equal(codes.length, 10);
    assert.equal(new Set(codes).size, 10);
    const [factor] = await query<{ sealed_secret: string; confirmed: boolean }>('SELECT sealed_secret, confirmed FROM mfa_factors WHERE user_id = $1', [user.id]);
    assert.ok(factor!.confirmed);
    assert.match(factor!.sealed_secret, /^v1\./);
    assert.ok(!factor!.sealed_secret.includes(secret));
    const stored = await query<{ code_hash: string }>('SELECT code_hash FROM recovery_codes WHERE user_id = $1', [user.id]);
    assert.equal(stored.length, 10);
    for (const code of codes) assert.ok(!stored.some((r) => r.code_hash.includes(code)), 'codes are stored hashed');
    const security = asPage(await browser.navigate(`${server.url}/t/${slug}/account/security`), 'security page');
    assert.match(visibleText(security.html), /10 of 10 recovery codes left\./);
    assert.match(visibleText(security.html), /Authenticator app · added/);
  });

  it('after the password, asks for the code; amr and acr say two factors; a code works once only', async () => {
    const { user, secret } = await enrolled();
    // a wrong code: the page again, with the reason
    const b = new Browser();
    const again = await passwordStep(b, config, user);
    const page = mfaPage(again.step);
    assert.match(visibleText(page.html), /Confirm it’s you/);
    const wrong = asPage(await b.submit(page, '/mfa/totp', { code: '000000' }), 'the page again');
    assert.equal(wrong.status, 400);
    assert.match(visibleText(wrong.html), /That code is not right, or was already used\./);
    // the enrolment used the current time step, and a step is accepted once: the app's next code (one step ahead
    // is inside the ±1 step tolerance)
    const code = await totpCode(secret, Date.now() + 30_000);
    const { claims } = await exchange(config, again.request, await b.submit(wrong, '/mfa/totp', { code }, atCallback));
    assert.equal(claims.sub, user.id);
    assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
    assert.equal(claims.acr, ACR_MFA);

    const replay = new Browser();
    const third = await passwordStep(replay, config, user);
    const refused = asPage(await replay.submit(mfaPage(third.step), '/mfa/totp', { code }), 'refusal');
    assert.equal(refused.status, 400, 'the same code a second time is refused');
    const succeeded = await audit('mfa.succeeded');
    assert.deepEqual(succeeded.filter((e) => e.subject === user.id).map((e) => e.data.factor), ['totp']);
    assert.equal((await audit('mfa.failed')).filter((e) => e.subject === user.id).length, 2);
  });

  it('recovery codes: each works once in place of the app; a new set replaces the old one', async () => {
    const { user, codes } = await enrolled();
    const signIn = async (code: string) => {
      const browser = new Browser();
      const { request, step } = await passwordStep(browser, config, user);
      const answer = await browser.submit(mfaPage(step), '/mfa/recovery', { code: code.toUpperCase().replace('-', ' - ') }, atCallback);
      return { request, answer };
    };
    const used = await signIn(codes[0]!);
    assert.deepEqual((await exchange(config, used.request, used.answer)).claims.amr, ['pwd', 'otp', 'mfa']);
    assert.equal(asPage((await signIn(codes[0]!)).answer, 'refusal').status, 400, 'a used code is refused');

    const browser = new Browser();
    await signInToAccount(server, slug, browser, user, { recoveryCode: codes[5]! });
    const security = asPage(await browser.navigate(`${server.url}/t/${slug}/account/security`), 'security');
    assert.match(visibleText(security.html), /8 of 10 recovery codes left\./);
    const fresh = recoveryCodesOn(asPage(await browser.submit(security, '/security/recovery-codes', {}), 'new codes'));
    assert.equal(fresh.length, 10);
    assert.equal(asPage((await signIn(codes[1]!)).answer, 'refusal').status, 400, 'the old set is gone');
    const ok = await signIn(fresh[0]!);
    await exchange(config, ok.request, ok.answer);
  });

  it('a code by email as the second factor, where the address is verified', async () => {
    const { user } = await enrolled();
    const browser = new Browser();
    const { request, step } = await passwordStep(browser, config, user);
    const challenge = mfaPage(step);
    const masked = `${user.email[0]}•••${user.email.slice(user.email.indexOf('@'))}`;
    assert.ok(challenge.html.includes(`>Email a code to ${masked}</button>`));
    const codePage = asCodePage(await browser.submit(challenge, '/mfa/code/email', {}));
    const entry = await waitFor('the code in the outbox', async () => (await readOutbox(`${server.url}/t/${slug}`)).find((e) => e.to === user.email && e.code));
    assert.match(entry.subject ?? '', /security code/);
    const { claims } = await exchange(config, request, await enterCode(browser, codePage, entry.code!));
    assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
    assert.equal(claims.acr, ACR_MFA);
    assert.deepEqual((await audit('mfa.succeeded')).filter((e) => e.subject === user.id).map((e) => e.data.factor), ['email']);
  });

  it('recovery codes run out: after the tenth, the challenge page offers none', async () => {
    const { user, codes } = await enrolled();
    for (const code of codes) {
      const browser = new Browser();
      const { request, step } = await passwordStep(browser, config, user);
      const challenge = mfaPage(step);
      assert.ok(challenge.html.includes('Use a recovery code'));
      await exchange(config, request, await browser.submit(challenge, '/mfa/recovery', { code }, atCallback));
    }
    const last = mfaPage((await passwordStep(new Browser(), config, user)).step);
    assert.ok(!last.html.includes('Use a recovery code'), 'no recovery code is left to offer');
    assert.equal((await query<{ n: string }>('SELECT count(*) AS n FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL', [user.id]))[0]!.n, '0');
    const used = await audit('mfa.recovery_code_used');
    assert.deepEqual(used.filter((e) => e.subject === user.id).map((e) => e.data.left), [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
  });

  it('ten wrong codes lock the second step: 429 with Retry-After, even for the right code', async () => {
    const { user, secret } = await enrolled();
    const browser = new Browser();
    const { step } = await passwordStep(browser, config, user);
    let page = mfaPage(step);
    for (let i = 0; i < 10; i++) page = asPage(await browser.submit(page, '/mfa/totp', { code: String(100000 + i) }), 'wrong');
    const locked = asPage(await browser.submit(page, '/mfa/totp', { code: await totpCode(secret) }), 'locked');
    assert.equal(locked.status, 429);
    assert.ok(Number(locked.headers.get('retry-after')) > 0);
    assert.match(visibleText(locked.html), /Too many wrong codes\./);
    assert.ok((await audit('mfa.locked')).some((e) => e.subject === user.id));
  });

  it('"remember this browser" skips the second step in that browser only, until the user forgets it', async () => {
    const { user, secret, codes } = await enrolled();
    const browser = new Browser();
    const first = await passwordStep(browser, config, user);
    const done = await browser.submit(mfaPage(first.step), '/mfa/totp', { code: await totpCode(secret, Date.now() + 30_000), remember: 'on' }, atCallback);
    await exchange(config, first.request, done);
    assert.ok(browser.cookieNames(`${server.url}/t/${slug}/`).includes('tessera_td'));

    // prompt=login: the password again, but no second step in this browser
    const again = await passwordStep(browser, config, user, { prompt: 'login' });
    const { claims } = await exchange(config, again.request, again.step);
    assert.deepEqual(claims.amr, ['pwd']);
    assert.notEqual(claims.acr, ACR_MFA);
    // another browser is asked
    mfaPage((await passwordStep(new Browser(), config, user)).step);

    // the user forgets the browser on the security page: it is asked again
    const manager = new Browser();
    await signInToAccount(server, slug, manager, user, { recoveryCode: codes[0]! });
    const security = asPage(await manager.navigate(`${server.url}/t/${slug}/account/security`), 'security');
    assert.match(visibleText(security.html), /Remembered browsers/);
    const revoked = asPage(await manager.submit(security, '/security/devices/all/revoke', {}), 'security');
    assert.match(visibleText(revoked.html), /Every remembered browser will be asked for a second factor again\./);
    mfaPage((await passwordStep(browser, config, user, { prompt: 'login' })).step);
  });

  it('a password reset forgets every remembered browser, and the reset sign-in still asks for the second factor', async () => {
    const { user, secret } = await enrolled();
    const browser = new Browser();
    const first = await passwordStep(browser, config, user);
    await exchange(config, first.request, await browser.submit(mfaPage(first.step), '/mfa/totp', { code: await totpCode(secret, Date.now() + 30_000), remember: 'on' }, atCallback));
    const devices = () => query<{ id: string }>('SELECT id FROM trusted_devices WHERE user_id = $1', [user.id]);
    assert.equal((await devices()).length, 1);

    const resetter = new Browser();
    const { page: login } = await loginPage(resetter, config);
    const form = asPage(await resetter.navigate(new URL(`${login.url.pathname}/reset`, login.url), atCallback), 'the reset page');
    const codePage = asCodePage(await resetter.submit(form, '/reset', { email: user.email }, atCallback));
    const entry = await waitFor('the reset code', async () => (await readOutbox(`${server.url}/t/${slug}`)).find((e) => e.to === user.email && /reset/i.test(e.subject ?? '') && e.code));
    const passwordForm = asPage(await enterCode(resetter, codePage, entry.code!), 'the new password page');
    const password = `New-${Date.now()}-passw0rd`;
    const after = await resetter.submit(passwordForm, '/reset/password', { password, confirm: password }, atCallback);
    mfaPage(after);
    assert.equal((await devices()).length, 0, 'no browser is trusted after a reset');
    mfaPage((await passwordStep(browser, config, { email: user.email, password }, { prompt: 'login' })).step);
  });
});
