// Hostile values (issue #13) in the hosted forms a person meets only in the middle of a flow, each with that flow
// really under way: the phone sign-in form, the new password after a reset, consent's Allow and Cancel, the second
// factor with a sign-in waiting, the email-verification button, and the device flow's forms with the flow switched
// on. Every answer is our page, never a 500; refused input stores and sends nothing, and the flow goes on after it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { asConsolePage, createOperator, csrfOf, post, signInToConsole } from '../support/admin-console.js';
import { assertSafe, call, formFields, hostileFormValues, sweepHostedForm } from '../support/bad-input.js';
import { Browser, formsOf, isPage, type Page } from '../support/browser.js';
import {
  emailClaims, interactionPage, mailTo, query, submitCode, uniqueEmail, useEmailTessera,
} from '../support/email-flows.js';
import { cliJson, createClient, createTenant, createUser } from '../support/fixtures.js';
import { asCallback, asPage, atCallback, isConsentPage, loginPage } from '../support/hosted-pages.js';
import { enrolTotp, mfaPage, passwordStep, signInToAccount, totpCode, totpKeyOn } from '../support/mfa-flows.js';
import {
  asCodePage, createPhoneTenant, openPhonePage, randomMobile, sentCounts, startVendors, submitPhone, vendorSettings, type Vendors,
} from '../support/phone-flows.js';
import { discover, oidc } from '../support/relying-party.js';

const deviceGrant = 'urn:ietf:params:oauth:grant-type:device_code';

describe('hostile values in hosted forms mid-flow', () => {
  const world = useEmailTessera();
  const server = { get url() { return world.server.url; } };
  let vendors: Vendors;

  before(async () => {
    vendors = await startVendors();
  });
  after(() => vendors.close());

  const passwordHash = async (slug: string, email: string) => (await query<{ password_hash: string | null }>(world.server.env.DATABASE_URL!,
    'SELECT u.password_hash FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE t.slug = $1 AND u.email = $2', [slug, email]))[0]?.password_hash;

  it('the phone sign-in form: a page each time, no message sent, and a real number still gets its code', async () => {
    const tenant = await createPhoneTenant(world.server, {
      signIn: { methods: { smsOtp: true }, signUp: true },
      messaging: { sms: { routes: { default: ['twilio'] }, twilio: vendorSettings.twilioMessaging(vendors) } },
    });
    const browser = new Browser();
    const { page } = await openPhonePage(browser, tenant.config);
    const sent = sentCounts(vendors);
    assert.ok(await sweepHostedForm(browser, page, '/phone', atCallback) >= 2 * hostileFormValues.length);
    assert.deepEqual(sentCounts(vendors), sent, 'nothing was sent for refused numbers');
    asCodePage(await submitPhone(browser, page, randomMobile('GB')));
    vendors.assertNoRejections();
  });

  it('the new-password form after a reset: a page each time, the password unchanged, and the reset still completes', async () => {
    const tenant = await createTenant(world.server);
    const user = await createUser(world.server, tenant.slug);
    const client = await createClient(world.server, tenant.slug, ['--first-party']);
    const config = await discover(tenant.issuer, client.client_id, client.client_secret!);
    const browser = new Browser();
    const { page: login } = await loginPage(browser, config, emailClaims);
    const reset = await interactionPage(browser, login, '/reset');
    const codePage = asPage(await browser.submit(reset, '/reset', { email: user.email }, atCallback), 'the code page');
    const form = asPage(await submitCode(browser, codePage, (await mailTo(world.smtp, user.email)).code!), 'the new-password page');
    assert.match(form.html, /Choose a new password/);
    const hash = await passwordHash(tenant.slug, user.email);
    assert.ok(await sweepHostedForm(browser, form, '/reset/password', atCallback) >= 2 * hostileFormValues.length);
    // the same value in both fields: what cannot be a password is refused on the page
    for (const [label, value] of hostileFormValues.filter(([, v]) => v.includes('\u0000') || v.length > 128)) {
      const step = asPage(await browser.submit(form, '/reset/password', { password: value, confirm: value }, atCallback), label);
      assert.ok([400, 413].includes(step.status), `${label}: ${step.status} ${step.html.slice(0, 300)}`);
    }
    assert.equal(await passwordHash(tenant.slug, user.email), hash, 'no refused password was stored');
    asCallback(await browser.submit(form, '/reset/password', { password: 'a brand new passphrase 7', confirm: 'a brand new passphrase 7' }, atCallback), 'the sign-in after the reset');
    assert.notEqual(await passwordHash(tenant.slug, user.email), hash);
  });

  it('consent\'s Allow and Cancel: a page each time, no grant and no cancellation, and Allow still signs in', async () => {
    const tenant = await createTenant(world.server);
    const user = await createUser(world.server, tenant.slug);
    const client = await createClient(world.server, tenant.slug);
    const config = await discover(tenant.issuer, client.client_id, client.client_secret!);
    const browser = new Browser();
    const { page } = await loginPage(browser, config, { scope: 'openid profile email' });
    const consent = asPage(await browser.submit(page, '/login', { email: user.email, password: user.password }, atCallback), 'consent');
    assert.ok(isConsentPage(consent));
    // the forms send only their CSRF token: the hostile values go there
    await sweepHostedForm(browser, consent, '/confirm', atCallback);
    await sweepHostedForm(browser, consent, '/abort', atCallback);
    const callback = asCallback(await browser.submit(consent, '/confirm', {}, atCallback), 'a code');
    assert.ok(callback.searchParams.get('code'), callback.href);
  });

  it('the second-factor forms with a sign-in waiting: a page each time, never signed in', async () => {
    const tenant = await createTenant(world.server);
    const user = await createUser(world.server, tenant.slug);
    const client = await createClient(world.server, tenant.slug, ['--first-party']);
    const config = await discover(tenant.issuer, client.client_id, client.client_secret!);
    const account = new Browser();
    await signInToAccount(world.server, tenant.slug, account, user);
    await enrolTotp(world.server, tenant.slug, account);
    const browser = new Browser();
    const page = mfaPage((await passwordStep(browser, config, user)).step);
    let probes = 0;
    const suffixes = formsOf(page.html).map((f) => new URL(f.action, page.url).pathname.replace(/^.*(\/mfa\/)/, '$1'));
    assert.ok(suffixes.includes('/mfa/totp') && suffixes.includes('/mfa/recovery'), suffixes.join(', '));
    for (const suffix of suffixes) if (formFields(page, suffix).length) probes += await sweepHostedForm(browser, page, suffix, atCallback);
    assert.ok(probes >= 4 * hostileFormValues.length, `only ${probes} probes`);
  });

  it('the second-factor enrolment a required policy asks for at sign-in: a page each time, no factor stored', async () => {
    const tenant = await createTenant(world.server);
    await cliJson(world.server, ['tenant', 'settings', '--tenant', tenant.slug, '--set', JSON.stringify({ mfa: { policy: 'required', graceDays: 0 } })]);
    const user = await createUser(world.server, tenant.slug);
    const client = await createClient(world.server, tenant.slug, ['--first-party']);
    const config = await discover(tenant.issuer, client.client_id, client.client_secret!);
    const browser = new Browser();
    const enrol = asPage((await passwordStep(browser, config, user)).step, 'the enrolment page');
    assert.match(enrol.url.pathname, /\/mfa\/enrol$/);
    assert.ok(await sweepHostedForm(browser, enrol, '/mfa/enrol', atCallback) >= 2 * hostileFormValues.length);
    const confirmed = () => query(world.server.env.DATABASE_URL!, 'SELECT 1 FROM mfa_factors WHERE user_id = $1 AND confirmed', [user.id]);
    assert.equal((await confirmed()).length, 0, 'no factor was confirmed');
    // the app's real code still enrols it
    const codes = asPage(await browser.submit(enrol, '/mfa/enrol', { code: await totpCode(totpKeyOn(enrol.html)!) }, atCallback), 'the recovery codes');
    assert.equal(codes.status, 200, codes.html.slice(0, 300));
    assert.equal((await confirmed()).length, 1);
  });

  it('the email-verification button: a page each time, the address still unverified, and the real button verifies it', async () => {
    const tenant = await createTenant(world.server);
    const owner = await createOperator(world.server, 'owner');
    const base = `/admin/tenants/${tenant.slug}/users`;
    const { browser: console, page } = await signInToConsole(world.server, owner, base);
    const email = uniqueEmail('verify');
    const made = asConsolePage(await post(console, world.server, base, { _csrf: csrfOf(page), email, password: 'A long enough passphrase 42' }), 'the user page');
    asConsolePage(await post(console, world.server, `${made.url.pathname}/verification/resend`, { _csrf: csrfOf(made) }), 'the user page');
    let link: string | undefined;
    for (let nth = 1; !link; nth++) link = /^(https?:\/\/\S+\/verify-email\?token=\S+)\s*$/m.exec((await mailTo(world.smtp, email, nth)).text)?.[1];
    const reader = new Browser();
    const opened = asPage(await reader.navigate(link), 'the verify page');
    assert.equal(opened.status, 200);
    assert.ok(await sweepHostedForm(reader, opened, '/verify-email', () => false) >= 2 * hostileFormValues.length);
    const verified = async () => (await query<{ email_verified: boolean }>(world.server.env.DATABASE_URL!, 'SELECT email_verified FROM users WHERE email = $1', [email]))[0]?.email_verified;
    assert.equal(await verified(), false, 'nothing hostile verified the address');
    assert.equal(asPage(await reader.submit(opened, '/verify-email', {}), 'the verified page').status, 200);
    assert.equal(await verified(), true);
  });

  it('the device flow\'s forms with the flow on: a page each time, and the device still connects', async () => {
    // the verification page takes 10 submissions per address and tenant in 10 minutes (a body too large is refused before
    // it counts): a tenant for each field swept, whose sweep, code and confirmation stay within them
    async function deviceTenant() {
      const tenant = await createTenant(world.server);
      await cliJson(world.server, ['tenant', 'settings', '--tenant', tenant.slug, '--set', JSON.stringify({ grants: { deviceFlow: true } })]);
      const client = await cliJson<{ client_id: string }>(world.server, ['client', 'create', '--tenant', tenant.slug, '--name', 'TV', '--grant', deviceGrant, '--public']);
      const config = await discover(tenant.issuer, client.client_id);
      const started = await oidc.initiateDeviceAuthorization(config, { scope: 'openid email' });
      const browser = new Browser();
      const input = asPage(await browser.navigate(started.verification_uri), 'the verification page');
      return { tenant, config, started, browser, input };
    }
    const first = await deviceTenant();
    // DESIGN.md: with the device flow on, GET /device/<anything> answered 500 (the resume route, without its cookie)
    for (const path of ['/device/anything', '/device/%00', '/device/auth', '/device?user_code=%00', `/device?user_code=${'9'.repeat(20)}`]) {
      const answer = await call(server.url, { path: `/t/${first.tenant.slug}${path}`, headers: { accept: 'text/html' } });
      assertSafe(answer, `GET ${path}`);
      // the resume route without its cookie: back to the verification page
      if (!path.includes('?')) assert.deepEqual([answer.status, answer.headers.get('location')], [303, `${first.tenant.issuer}/device`], path);
    }
    for (const [i, field] of formFields(first.input, '/device').entries()) {
      const { browser, input } = i === 0 ? first : await deviceTenant();
      assert.equal(await sweepHostedForm(browser, input, '/device', () => false, [field]), hostileFormValues.length);
    }
    for (const field of formFields(asPage(await first.browser.submit(first.input, '/device', { user_code: first.started.user_code }), 'the confirmation'), '/device')) {
      const { config, started, browser, input } = await deviceTenant();
      const user = await createUser(world.server, started.verification_uri.split('/t/')[1]!.split('/')[0]!);
      const confirm = asPage(await browser.submit(input, '/device', { user_code: started.user_code }), 'the confirmation');
      assert.ok(confirm.html.includes(started.user_code), confirm.html.slice(0, 400));
      assert.equal(await sweepHostedForm(browser, confirm, '/device', () => false, [field]), hostileFormValues.length);
      // nothing hostile confirmed or cancelled it: the code entered again (a refused xsrf renews it), the device connects
      const again = asPage(await browser.navigate(started.verification_uri), 'the verification page');
      const confirmAgain = asPage(await browser.submit(again, '/device', { user_code: started.user_code }), 'the confirmation');
      let step: Page | URL = await browser.submit(confirmAgain, '/device', {});
      for (let i = 0; i < 4 && isPage(step) && !step.html.includes('Device connected'); i++) {
        const current: Page = step;
        if (current.html.includes('/login"')) step = await browser.submit(current, '/login', { email: user.email, password: user.password });
        else if (current.html.includes('/confirm"')) step = await browser.submit(current, '/confirm', {});
        else assert.fail(`${field}: unexpected page ${current.status} at ${current.url.pathname}\n${current.html.slice(0, 400)}`);
      }
      assert.match(asPage(step, 'success').html, /Device connected/, field);
      assert.equal((await oidc.pollDeviceAuthorizationGrant(config, started)).claims()?.email, user.email);
    }
  });
});
