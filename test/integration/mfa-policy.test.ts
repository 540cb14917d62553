// The tenant's second-factor policy and step-up (issue #5): required with a grace period (not asked inside it;
// walked through enrolment at sign-in once it is over), off (never asked), and a client asking for a second factor
// inside an existing session — by acr_values (only the second factor is asked) or by max_age (a fresh sign-in,
// remembered browser or not; max_age=0 is prompt=login to oidc-provider, and prompt=login alone does not step up).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Browser } from '../support/browser.js';
import { cliJson, createClient, createTenant, createUser } from '../support/fixtures.js';
import { asPage, atCallback, isLoginPage, loginPage, open, visibleText } from '../support/hosted-pages.js';
import { totpKeyOn, enrolTotp, mfaPage, passwordStep, recoveryCodesOn, signInToAccount, totpCode } from '../support/mfa-flows.js';
import { exchange } from '../support/phone-flows.js';
import { discover } from '../support/relying-party.js';
import { useTessera } from '../support/use-tessera.js';

const ACR_MFA = 'urn:tessera:acr:mfa';
const ACR_SINGLE = 'urn:tessera:acr:1fa';

describe('second-factor policy and step-up', () => {
  const server = useTessera();

  async function tenantWith(mfa: Record<string, unknown>) {
    const { slug } = await createTenant(server);
    await cliJson(server, ['tenant', 'settings', '--tenant', slug, '--set', JSON.stringify({ mfa })]);
    const client = await createClient(server, slug, ['--first-party']);
    return { slug, config: await discover(`${server.url}/t/${slug}`, client.client_id, client.client_secret!) };
  }

  it('required, inside the grace period: a user without a factor still signs in with one', async () => {
    const tenant = await tenantWith({ policy: 'required', graceDays: 7 });
    const user = await createUser(server, tenant.slug);
    const { request, step } = await passwordStep(new Browser(), tenant.config, user);
    const { claims } = await exchange(tenant.config, request, step);
    assert.deepEqual(claims.amr, ['pwd']);
    assert.equal(claims.acr, ACR_SINGLE);
    const settings = await cliJson<{ mfa: { requiredSince: string } }>(server, ['tenant', 'settings', '--tenant', tenant.slug]);
    assert.ok(Math.abs(Date.parse(settings.mfa.requiredSince) - Date.now()) < 120_000, 'the grace period counts from when the policy became required');
  });

  it('required, grace period over: enrolment at sign-in, recovery codes once, then signed in with two factors', async () => {
    const tenant = await tenantWith({ policy: 'required', graceDays: 0 });
    const user = await createUser(server, tenant.slug);
    const browser = new Browser();
    const { request, step } = await passwordStep(browser, tenant.config, user);
    const enrol = asPage(step, 'the enrolment page');
    assert.match(enrol.url.pathname, /\/mfa\/enrol$/);
    assert.match(visibleText(enrol.html), /This app now asks for a second step when you sign in\./);
    const secret = totpKeyOn(enrol.html)!;
    const wrong = asPage(await browser.submit(enrol, '/mfa/enrol', { code: '000000' }), 'the enrolment page again');
    assert.equal(wrong.status, 400);
    assert.equal(totpKeyOn(wrong.html), secret, 'the same secret: the app already holds it');
    const codesPage = asPage(await browser.submit(wrong, '/mfa/enrol', { code: await totpCode(secret) }), 'the recovery codes');
    assert.equal(recoveryCodesOn(codesPage).length, 10);
    const { claims } = await exchange(tenant.config, request, await browser.submit(codesPage, '/mfa/enrol/done', {}, atCallback));
    assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
    assert.equal(claims.acr, ACR_MFA);
    // from now on the code is asked like for anyone enrolled
    mfaPage((await passwordStep(new Browser(), tenant.config, user)).step);
  });

  it('off: a user with an authenticator app is not asked', async () => {
    const tenant = await tenantWith({ policy: 'off' });
    const user = await createUser(server, tenant.slug);
    const browser = new Browser();
    await signInToAccount(server, tenant.slug, browser, user);
    await enrolTotp(server, tenant.slug, browser);
    const { request, step } = await passwordStep(new Browser(), tenant.config, user);
    assert.deepEqual((await exchange(tenant.config, request, step)).claims.amr, ['pwd']);
  });

  it('step-up by acr_values inside a single-factor session: only the second factor is asked', async () => {
    const tenant = await tenantWith({ policy: 'off' });
    const user = await createUser(server, tenant.slug);
    const manager = new Browser();
    await signInToAccount(server, tenant.slug, manager, user);
    const { secret } = await enrolTotp(server, tenant.slug, manager);
    const browser = new Browser();
    const first = await passwordStep(browser, tenant.config, user);
    assert.equal((await exchange(tenant.config, first.request, first.step)).claims.acr, ACR_SINGLE);

    const { request, step } = await open(browser, tenant.config, { acr_values: ACR_MFA });
    const challenge = mfaPage(step);
    const done = await browser.submit(challenge, '/mfa/totp', { code: await totpCode(secret, Date.now() + 30_000) }, atCallback);
    const { claims } = await exchange(tenant.config, request, done);
    assert.equal(claims.sub, user.id);
    assert.equal(claims.acr, ACR_MFA);
    assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
    // the session is now multi-factor: asking again needs nothing more
    const again = await open(browser, tenant.config, { acr_values: ACR_MFA });
    assert.equal((await exchange(tenant.config, again.request, again.step)).claims.acr, ACR_MFA);
  });

  it('step-up by max_age: a fresh sign-in and a fresh second factor, even in a remembered browser', async () => {
    const tenant = await tenantWith({ policy: 'optional' });
    const user = await createUser(server, tenant.slug);
    const manager = new Browser();
    await signInToAccount(server, tenant.slug, manager, user);
    const { secret, codes } = await enrolTotp(server, tenant.slug, manager);
    const browser = new Browser();
    const first = await passwordStep(browser, tenant.config, user);
    await exchange(tenant.config, first.request, await browser.submit(mfaPage(first.step), '/mfa/totp', { code: await totpCode(secret, Date.now() + 30_000), remember: 'on' }, atCallback));
    // remembered: prompt=login asks for the password only
    const remembered = await passwordStep(browser, tenant.config, user, { prompt: 'login' });
    assert.deepEqual((await exchange(tenant.config, remembered.request, remembered.step)).claims.amr, ['pwd']);
    // max_age (1 s; oidc-provider turns max_age=0 into prompt=login): the login page, then the second factor all
    // the same. Sign-in times are whole seconds and the session must be *older* than max_age: wait over 2 s.
    await new Promise((resolve) => setTimeout(resolve, 2200));
    const { page } = await loginPage(browser, tenant.config, { max_age: '1' });
    assert.ok(isLoginPage(page));
    const challenge = mfaPage(await browser.submit(page, '/login', { email: user.email, password: user.password }, atCallback));
    const done = await browser.submit(challenge, '/mfa/recovery', { code: codes[0]! }, atCallback);
    assert.ok(done instanceof URL, 'signed in with the recovery code');
  });
});
