// The REST auth API's accounts half (issue #16 §3, shared REST contract) over HTTP, as an SDK calls it: sign-up and
// its verify (no account before the code; the password policy; no enumeration for a taken address, whose owner is
// told instead), passwordless sign-in by email or phone code (the user created on the first verified sign-in where
// the tenant allows sign-up), recovery by email or SMS (security questions refused; the reset ends every session and
// refresh token and signs nobody in, so the second factor is still asked), whoami's amr and session, and
// Idempotency-Key on refresh, otp and otp/verify. Every documented error of these endpoints is provoked.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { Browser } from '../support/browser.js';
import { cliJson, createTenant, createUser } from '../support/fixtures.js';
import { outbox, query, uniqueEmail, userRow } from '../support/email-flows.js';
import { enrolTotp, signInToAccount } from '../support/mfa-flows.js';
import { randomMobile } from '../support/phone-flows.js';
import { useTessera } from '../support/use-tessera.js';
import { expectError, ok } from '../support/json-answers.js';

interface Tokens { access_token: string; refresh_token: string; token_type: string; access_expires_at: string; refresh_expires_at: string; user?: { id: string; email: string | null; phone: string | null; created: boolean } }
interface Envelope { status: string; challenge: { id: string; kind: string; methods: string[]; expires_at: string } }
interface Sent { status: string; expires_in: number }
interface Who { user: { id: string }; amr: string[]; session: { id: string | null; auth_time: string | null } }

describe('REST auth API accounts: sign-up, passwordless sign-in, recovery, whoami amr and session, idempotency', () => {
  const server = useTessera();
  let slug: string;
  let issuer: string;

  const call = (path: string, body?: unknown, headers: Record<string, string> = {}, base = issuer) =>
    fetch(`${base}/v1/${path}`, { method: body === undefined ? 'GET' : 'POST', headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

  /** the newest message to `to` with a code, after `since` such messages */
  async function codeFor(to: string, since = 0, base = issuer): Promise<string> {
    for (let i = 0; i < 100; i++) {
      const found = (await outbox(base)).filter((e) => e.to === to && e.code);
      if (found.length > since) return found[0]!.code!;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`no code for ${to}`);
  }

  const whoami = async (accessToken: string) => ok<Who>(await call('whoami', undefined, { authorization: `Bearer ${accessToken}` }));

  async function restTenant(signIn: Record<string, unknown>, extra: Record<string, unknown> = {}) {
    const tenant = await createTenant(server);
    await cliJson(server, ['tenant', 'settings', '--tenant', tenant.slug, '--set', JSON.stringify({ headless: { restApi: true }, signIn: { ...signIn }, ...extra })]);
    return tenant;
  }

  async function signUp(email: string, password = `Pw-${email}`): Promise<Tokens> {
    await ok<Sent>(await call('auth/signup', { email, password }), 202);
    return ok<Tokens>(await call('auth/signup/verify', { email, code: await codeFor(email) }));
  }

  before(async () => {
    ({ slug, issuer } = await restTenant({ signUp: true, methods: { emailOtp: true, smsOtp: true } }));
  });

  it('sign-up sends a code and makes no account; verify creates it and signs in (amr pwd+otp, the session in whoami)', async () => {
    const email = uniqueEmail('signup');
    const sent = await ok<Sent>(await call('auth/signup', { email, password: 'correct horse battery', user_metadata: { name: 'Ada Lovelace' } }), 202);
    assert.deepEqual(Object.keys(sent).sort(), ['expires_in', 'status']);
    assert.equal(sent.status, 'code_sent');
    assert.ok(sent.expires_in > 0 && sent.expires_in <= 900);
    assert.equal(await userRow(server.env.DATABASE_URL!, slug, email), null, 'no account before the code');
    const code = await codeFor(email);
    const wrong = code === '000000' ? '111111' : '000000';
    assert.match(await expectError(await call('auth/signup/verify', { email, code: wrong }), 400, 'otp.invalid_code'), /4 attempts left/);
    const tokens = await ok<Tokens>(await call('auth/signup/verify', { email, code }));
    assert.equal(tokens.token_type, 'Bearer');
    assert.equal(tokens.user?.email, email);
    assert.equal(tokens.user?.created, true);
    const row = await userRow(server.env.DATABASE_URL!, slug, email);
    assert.deepEqual([row?.email_verified, row?.has_password, row?.name], [true, true, 'Ada Lovelace']);
    assert.equal(decodeJwt(tokens.access_token).sub, row!.id);

    const who = await whoami(tokens.access_token);
    assert.deepEqual(who.amr.sort(), ['otp', 'pwd']);
    assert.ok(who.session.auth_time);
    const { items } = await cliJson<{ items: Array<{ id: string }> }>(server, ['session', 'list', '--tenant', slug, '--user', row!.id]);
    assert.deepEqual(items.map((s) => s.id), [who.session.id], 'whoami names the session the session pages list');
    // after a refresh the access token still knows the sign-in and its session
    const rotated = await ok<Tokens>(await call('auth/refresh', { refresh_token: tokens.refresh_token }));
    const again = await whoami(rotated.access_token);
    assert.deepEqual([again.amr.sort(), again.session.id], [['otp', 'pwd'], who.session.id]);
    // the code is used: a second verify is refused, and the password signs in
    await expectError(await call('auth/signup/verify', { email, code }), 400, 'otp.expired');
    assert.equal((await call('auth/login', { email, password: 'correct horse battery' })).status, 200);
  });

  it('a taken address gets the same answer and no code; its owner is told instead', async () => {
    const taken = await createUser(server, slug);
    const fresh = uniqueEmail('fresh');
    const shape = async (email: string) => {
      const response = await call('auth/signup', { email, password: 'another long password' });
      const body = (await response.json()) as Record<string, unknown>;
      return [response.status, Object.keys(body).sort().join(','), body.status];
    };
    assert.deepEqual(await shape(taken.email), await shape(fresh));
    await codeFor(fresh);
    let told: Awaited<ReturnType<typeof outbox>> = [];
    for (let i = 0; i < 50 && !told.length; i++) {
      told = (await outbox(issuer)).filter((e) => e.to === taken.email);
      if (!told.length) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(told.length, 1);
    assert.equal(told[0]!.code, null);
    assert.match(told[0]!.subject ?? '', /already have/);
    // no code can finish it: the answer is the one a wrong code gets
    await expectError(await call('auth/signup/verify', { email: taken.email, code: '123456' }), 400, 'otp.invalid_code');
    assert.equal((await call('auth/login', { email: taken.email, password: taken.password })).status, 200, 'the account is untouched');
  });

  it('sign-up: the password may come with the code; without one the account is passwordless (amr otp)', async () => {
    const email = uniqueEmail('later');
    await ok<Sent>(await call('auth/signup', { email }), 202);
    const code = await codeFor(email);
    await expectError(await call('auth/signup/verify', { email, code, password: 'short' }), 400, 'password.too_short');
    const tokens = await ok<Tokens>(await call('auth/signup/verify', { email, code, password: 'a fine long password' }), 200);
    assert.deepEqual((await whoami(tokens.access_token)).amr.sort(), ['otp', 'pwd']);
    assert.equal((await call('auth/login', { email, password: 'a fine long password' })).status, 200);

    const bare = uniqueEmail('bare');
    await ok<Sent>(await call('auth/signup', { email: bare }), 202);
    const none = await ok<Tokens>(await call('auth/signup/verify', { email: bare, code: await codeFor(bare) }));
    assert.deepEqual((await whoami(none.access_token)).amr, ['otp']);
    assert.equal((await userRow(server.env.DATABASE_URL!, slug, bare))?.has_password, false);
  });

  it('sign-up errors: bad bodies, the password policy, sign-up closed, a code never asked for', async () => {
    await expectError(await call('auth/signup', { password: 'a fine long password' }), 400, 'request.invalid');
    await expectError(await call('auth/signup', { email: 'not an email' }), 400, 'user.invalid_email');
    await expectError(await call('auth/signup', { email: uniqueEmail(), password: 'short' }), 400, 'password.too_short');
    await expectError(await call('auth/signup', { email: uniqueEmail(), password: 'x'.repeat(200) }), 400, 'password.too_long');
    await expectError(await call('auth/signup', { email: uniqueEmail(), user_metadata: { plan: 'pro' } }), 400, 'request.invalid');
    await expectError(await call('auth/signup', { email: uniqueEmail(), password: 5 }), 400, 'request.invalid');
    await expectError(await call('auth/signup', { email: uniqueEmail(), password: 'password123' }), 400, 'password.too_common');
    await expectError(await call('auth/signup/verify', { email: uniqueEmail() }), 400, 'request.invalid');
    await expectError(await call('auth/signup/verify', { email: 'nope', code: '123456' }), 400, 'user.invalid_email');
    await expectError(await call('auth/signup/verify', { email: uniqueEmail(), code: '123456' }), 400, 'otp.expired');
    const closed = await restTenant({ signUp: false });
    await expectError(await call('auth/signup', { email: uniqueEmail(), password: 'a fine long password' }, {}, closed.issuer), 403, 'signup.disabled');
    await expectError(await call('auth/signup/verify', { email: uniqueEmail(), code: '123456' }, {}, closed.issuer), 403, 'signup.disabled');
  });

  it('sign-up where the tenant requires a second factor answers the enrol_mfa challenge envelope', async () => {
    const strict = await restTenant({ signUp: true }, { mfa: { policy: 'required', graceDays: 0 } });
    const email = uniqueEmail('strict');
    await ok<Sent>(await call('auth/signup', { email, password: 'a fine long password' }, {}, strict.issuer), 202);
    const envelope = await ok<Envelope>(await call('auth/signup/verify', { email, code: await codeFor(email, 0, strict.issuer) }, {}, strict.issuer));
    assert.equal(envelope.status, 'challenge_required');
    assert.equal(envelope.challenge.kind, 'enrol_mfa');
    assert.ok(!('access_token' in envelope));
  });

  it('passwordless: an email code creates the user on the first sign-in (amr otp), then signs them in; a phone code by SMS', async () => {
    const email = uniqueEmail('otp');
    const sent = await ok<Sent>(await call('auth/otp', { email }), 202);
    assert.equal(sent.status, 'code_sent');
    const first = await ok<Tokens>(await call('auth/otp/verify', { email, code: await codeFor(email) }));
    assert.deepEqual([first.user?.email, first.user?.created], [email, true]);
    assert.deepEqual((await whoami(first.access_token)).amr, ['otp']);
    await ok<Sent>(await call('auth/otp', { email: email.toUpperCase() }), 202);
    const second = await ok<Tokens>(await call('auth/otp/verify', { email, code: await codeFor(email, 1) }));
    assert.deepEqual([second.user?.id, second.user?.created], [first.user?.id, false]);

    const phone = randomMobile('GB');
    await ok<Sent>(await call('auth/otp', { phone, channel: 'sms' }), 202);
    const byPhone = await ok<Tokens>(await call('auth/otp/verify', { phone, code: await codeFor(phone) }));
    assert.equal(byPhone.user?.phone, phone);
    assert.deepEqual((await whoami(byPhone.access_token)).amr, ['sms']);
  });

  it('passwordless errors: channels, bodies, wrong and used codes, and no account where sign-up is closed', async () => {
    await expectError(await call('auth/otp', {}), 400, 'request.invalid');
    await expectError(await call('auth/otp', { email: uniqueEmail(), phone: randomMobile('GB') }), 400, 'request.invalid');
    await expectError(await call('auth/otp', { email: 'nope' }), 400, 'user.invalid_email');
    await expectError(await call('auth/otp', { phone: '12' }), 400, 'user.invalid_phone');
    await expectError(await call('auth/otp', { email: uniqueEmail(), channel: 'sms' }), 400, 'otp.invalid_channel');
    await expectError(await call('auth/otp', { phone: randomMobile('GB'), channel: 'whatsapp' }), 400, 'otp.invalid_channel');
    await expectError(await call('auth/otp/verify', { email: uniqueEmail() }), 400, 'request.invalid');
    await expectError(await call('auth/otp/verify', { email: 'nope', code: '1' }), 400, 'user.invalid_email');
    await expectError(await call('auth/otp/verify', { phone: '12', code: '1' }), 400, 'user.invalid_phone');
    await expectError(await call('auth/otp/verify', { email: uniqueEmail(), code: '123456' }), 400, 'otp.expired');

    const email = uniqueEmail('wrong');
    await ok<Sent>(await call('auth/otp', { email }), 202);
    const right = await codeFor(email);
    const wrong = right === '000000' ? '111111' : '000000';
    for (let i = 0; i < 4; i++) await expectError(await call('auth/otp/verify', { email, code: wrong }), 400, 'otp.invalid_code');
    await expectError(await call('auth/otp/verify', { email, code: wrong }), 400, 'otp.expired');
    await expectError(await call('auth/otp/verify', { email, code: right }), 400, 'otp.expired');

    // sign-up closed: an unknown address gets the same answer as a known one, and nothing is sent to it
    const closed = await restTenant({ signUp: false, methods: { emailOtp: true } });
    const known = await createUser(server, closed.slug);
    const unknown = uniqueEmail('nobody');
    const shape = async (address: string) => {
      const response = await call('auth/otp', { email: address }, {}, closed.issuer);
      return [response.status, Object.keys((await response.json()) as object).sort().join(',')];
    };
    assert.deepEqual(await shape(unknown), await shape(known.email));
    await codeFor(known.email, 0, closed.issuer);
    assert.equal((await outbox(closed.issuer)).filter((e) => e.to === unknown).length, 0);
  });

  it('Idempotency-Key on otp, otp/verify and refresh: a retry gets the same bytes and sends nothing; another body is 422', async () => {
    const email = uniqueEmail('idem');
    const key = { 'idempotency-key': `otp-${email}` };
    const a = await call('auth/otp', { email }, key);
    const b = await call('auth/otp', { email }, key);
    const textA = await a.text();
    assert.equal(a.status, 202);
    assert.equal(await b.text(), textA);
    const code = await codeFor(email);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await outbox(issuer)).filter((e) => e.to === email).length, 1, 'one message');
    await expectError(await call('auth/otp', { email: uniqueEmail() }, key), 422, 'idempotency.key_reused');
    await expectError(await call('auth/otp', { email }, { 'idempotency-key': 'has spaces in it' }), 400, 'idempotency.invalid_key');

    const verifyKey = { 'idempotency-key': `verify-${email}` };
    const first = await call('auth/otp/verify', { email, code }, verifyKey);
    const firstText = await first.text();
    assert.equal(first.status, 200, firstText);
    assert.equal(await (await call('auth/otp/verify', { email, code }, verifyKey)).text(), firstText, 'the same tokens, not a second sign-in');
    const tokens = JSON.parse(firstText) as Tokens;

    const refreshKey = { 'idempotency-key': `refresh-${email}` };
    const rotated = await call('auth/refresh', { refresh_token: tokens.refresh_token }, refreshKey);
    const rotatedText = await rotated.text();
    assert.equal(rotated.status, 200, rotatedText);
    // the retry is answered from the first answer: not a replay, so the family lives
    assert.equal(await (await call('auth/refresh', { refresh_token: tokens.refresh_token }, refreshKey)).text(), rotatedText);
    assert.equal((await call('auth/refresh', { refresh_token: (JSON.parse(rotatedText) as Tokens).refresh_token })).status, 200);
    // an error is kept too: the same key and body get the same refusal
    const badKey = { 'idempotency-key': `bad-${email}` };
    await expectError(await call('auth/refresh', { refresh_token: 'not-a-token' }, badKey), 400, 'token.invalid_refresh');
    await expectError(await call('auth/refresh', { refresh_token: 'not-a-token' }, badKey), 400, 'token.invalid_refresh');
    // concurrent retries with one key: the first answer or idempotency.in_progress, and one message
    const raced = uniqueEmail('race');
    const answers = await Promise.all(Array.from({ length: 8 }, () => call('auth/otp', { email: raced }, { 'idempotency-key': `race-${raced}` })));
    const texts = await Promise.all(answers.map((r) => r.text()));
    const done = texts.filter((_, i) => answers[i]!.status === 202);
    assert.ok(done.length >= 1 && done.every((t) => t === done[0]));
    for (const [i, r] of answers.entries()) if (r.status !== 202) assert.deepEqual([r.status, (JSON.parse(texts[i]!) as { error: string }).error], [409, 'idempotency.in_progress']);
    await codeFor(raced);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await outbox(issuer)).filter((e) => e.to === raced).length, 1);
    // a browser may send the header: the preflight allows it
    const tenant = await restTenant({ methods: { emailOtp: true } }, { headless: { restApi: true, allowedOrigins: ['https://app.example.com'] } });
    const preflight = await fetch(`${tenant.issuer}/v1/auth/otp`, { method: 'OPTIONS', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'idempotency-key' } });
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Idempotency-Key/);
  });

  it('recovery refuses security questions, citing NIST SP 800-63B §5.1.1.2; bad bodies and closed tenants are refused', async () => {
    const message = await expectError(await call('auth/recovery/initiate', { email: uniqueEmail(), method: 'security_questions' }), 400, 'recovery.method_not_supported');
    assert.match(message, /NIST SP 800-63B §5\.1\.1\.2/);
    await expectError(await call('auth/recovery/initiate', { email: uniqueEmail(), method: 'carrier_pigeon' }), 400, 'recovery.method_not_supported');
    await expectError(await call('auth/recovery/initiate', { email: uniqueEmail(), method: 7 }), 400, 'request.invalid');
    await expectError(await call('auth/recovery/initiate', { method: 'email' }), 400, 'request.invalid');
    await expectError(await call('auth/recovery/initiate', { email: 'nope', method: 'email' }), 400, 'user.invalid_email');
    await expectError(await call('auth/recovery/verify', { email: uniqueEmail(), code: '123456' }), 400, 'request.invalid');
    await expectError(await call('auth/recovery/verify', { email: uniqueEmail(), code: '123456', password: 'short' }), 400, 'password.too_short');
    await expectError(await call('auth/recovery/verify', { email: uniqueEmail(), code: '123456', password: 'y'.repeat(200) }), 400, 'password.too_long');
    await expectError(await call('auth/recovery/verify', { email: 'nope', code: '123456', password: 'a fine long password' }), 400, 'user.invalid_email');
    await expectError(await call('auth/recovery/verify', { email: uniqueEmail(), code: '123456', password: 'a fine long password' }), 400, 'otp.expired');
    const closed = await restTenant({ methods: { password: false, emailOtp: true } });
    await expectError(await call('auth/recovery/initiate', { email: uniqueEmail(), method: 'email' }, {}, closed.issuer), 403, 'recovery.disabled');
    await expectError(await call('auth/recovery/verify', { email: uniqueEmail(), code: '1', password: 'a fine long password' }, {}, closed.issuer), 403, 'recovery.disabled');
  });

  it('recovery by email sets the new password and ends every session and refresh token; an unknown address gets the same answer', async () => {
    const user = await createUser(server, slug);
    const signedIn = await ok<Tokens>(await call('auth/login', { email: user.email, password: user.password }));
    const sent = await ok<Sent>(await call('auth/recovery/initiate', { email: user.email, method: 'email' }), 202);
    const unknown = uniqueEmail('ghost');
    const other = await ok<Sent>(await call('auth/recovery/initiate', { email: unknown, method: 'email' }), 202);
    assert.deepEqual(Object.keys(other).sort(), Object.keys(sent).sort());
    const code = await codeFor(user.email);
    // a refused password does not use the code up
    await expectError(await call('auth/recovery/verify', { email: user.email, code, password: user.email }), 400, 'password.too_common');
    const done = await ok<{ status: string }>(await call('auth/recovery/verify', { email: user.email, code, password: 'my brand new password' }));
    assert.deepEqual(done, { status: 'password_reset' });
    await expectError(await call('auth/refresh', { refresh_token: signedIn.refresh_token }), 400, 'token.invalid_refresh');
    assert.deepEqual((await cliJson<{ items: unknown[] }>(server, ['session', 'list', '--tenant', slug, '--user', user.id])).items, []);
    await expectError(await call('auth/login', { email: user.email, password: user.password }), 401, 'login.invalid_credentials');
    assert.equal((await call('auth/login', { email: user.email, password: 'my brand new password' })).status, 200);
    await expectError(await call('auth/recovery/verify', { email: user.email, code, password: 'another new password' }), 400, 'otp.expired');
    assert.equal((await outbox(issuer)).filter((e) => e.to === unknown).length, 0, 'nothing is sent to an unknown address');
  });

  it('recovery by SMS goes to the verified phone; recovery never bypasses the second factor', async () => {
    const user = await createUser(server, slug);
    const phone = randomMobile('GB');
    await query(server.env.DATABASE_URL!, 'UPDATE users SET phone = $2, phone_verified = true WHERE id = $1::uuid', [user.id, phone]);
    const browser = new Browser();
    await signInToAccount(server, slug, browser, user);
    await enrolTotp(server, slug, browser);
    await ok<Sent>(await call('auth/recovery/initiate', { email: user.email, method: 'sms' }), 202);
    const code = await codeFor(phone);
    assert.deepEqual(await ok(await call('auth/recovery/verify', { email: user.email, code, password: 'sms chosen password' })), { status: 'password_reset' });
    const envelope = await ok<Envelope>(await call('auth/login', { email: user.email, password: 'sms chosen password' }));
    assert.equal(envelope.status, 'challenge_required');
    assert.equal(envelope.challenge.kind, 'mfa');

    // no verified phone: the same answer, and nothing is sent
    const plain = await createUser(server, slug);
    await ok<Sent>(await call('auth/recovery/initiate', { email: plain.email, method: 'sms' }), 202);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await outbox(issuer)).filter((e) => e.to === plain.email).length, 0);
  });

  it('the gate and the app apply to every accounts endpoint: rest.disabled, rest.origin_not_allowed, app.invalid_credentials, media type', async () => {
    const off = await createTenant(server);
    const app = await cliJson<{ app_id: string; app_secret: string }>(server, ['app', 'create', '--tenant', slug, '--name', 'Accounts', '--slug', 'accounts-app']);
    for (const path of ['auth/signup', 'auth/signup/verify', 'auth/otp', 'auth/otp/verify', 'auth/recovery/initiate', 'auth/recovery/verify']) {
      await expectError(await call(path, { email: uniqueEmail() }, {}, off.issuer), 404, 'rest.disabled');
      await expectError(await call(path, { email: uniqueEmail() }, { origin: 'https://evil.example' }), 403, 'rest.origin_not_allowed');
      await expectError(await call(path, { email: uniqueEmail(), client_id: app.app_id, client_secret: 'wrong' }), 401, 'app.invalid_credentials');
      await expectError(await fetch(`${issuer}/v1/${path}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' }), 415, 'request.unsupported_media_type');
      await expectError(await call(path, [1]), 400, 'request.invalid');
    }
    // a named app's codes are its own: another client cannot answer them
    const email = uniqueEmail('own');
    await ok<Sent>(await call('auth/otp', { email, client_id: app.app_id, client_secret: app.app_secret }), 202);
    const code = await codeFor(email);
    await expectError(await call('auth/otp/verify', { email, code }), 400, 'otp.expired');
    const tokens = await ok<Tokens>(await call('auth/otp/verify', { email, code, client_id: app.app_id, client_secret: app.app_secret }));
    assert.equal(decodeJwt(tokens.access_token).aud, 'accounts-app');
  });

  it('send limits answer 429 auth.rate_limited with Retry-After on sign-up, otp and recovery; guesses across sign-up codes are limited too', async () => {
    // fresh tenants: the per-IP send limit of the shared one is not this test's to use up
    const limited = await restTenant({ signUp: true, methods: { emailOtp: true } });
    for (const [path, body] of [['auth/signup', { email: uniqueEmail('lim') }], ['auth/otp', { email: uniqueEmail('lim') }], ['auth/recovery/initiate', { email: uniqueEmail('lim'), method: 'email' }]] as const) {
      for (let i = 0; i < 5; i++) assert.equal((await call(path, body, {}, limited.issuer)).status, 202, path);
      const refused = await call(path, body, {}, limited.issuer);
      assert.ok(Number(refused.headers.get('retry-after')) > 0, path);
      await expectError(refused, 429, 'auth.rate_limited');
    }
    // each code dies after 5 wrong guesses; 10 across codes for one address in 15 minutes, then even the right one waits
    const guessed = await restTenant({ signUp: true });
    const email = uniqueEmail('guess');
    const verify = (code: string) => call('auth/signup/verify', { email, code }, {}, guessed.issuer);
    for (let n = 0; n < 3; n++) {
      await ok<Sent>(await call('auth/signup', { email, password: 'a fine long password' }, {}, guessed.issuer), 202);
      const right = await codeFor(email, n, guessed.issuer);
      const wrong = right === '000000' ? '111111' : '000000';
      for (let i = 0; i < (n < 2 ? 4 : 2); i++) await expectError(await verify(wrong), 400, 'otp.invalid_code');
      if (n === 2) {
        const refused = await verify(right);
        assert.ok(Number(refused.headers.get('retry-after')) > 0);
        await expectError(refused, 429, 'auth.rate_limited');
      }
    }
  });

  it('OpenAPI 3.1 documents each accounts endpoint with catalogue codes, and whoami\'s amr and session id', async () => {
    const document = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as { paths: Record<string, Record<string, { description?: string; parameters?: Array<{ name: string }>; responses: Record<string, { content?: { 'application/json': { schema: { properties?: Record<string, { properties?: Record<string, unknown> }> } } } }> }>>; components: { schemas: { Error: { properties: { error: { enum: string[] } } } } } };
    const known = new Set(document.components.schemas.Error.properties.error.enum);
    const idempotent = ['/v1/auth/otp', '/v1/auth/otp/verify', '/v1/auth/refresh'];
    for (const path of ['/v1/auth/signup', '/v1/auth/signup/verify', ...idempotent, '/v1/auth/recovery/initiate', '/v1/auth/recovery/verify']) {
      const op = document.paths[path]?.post;
      assert.ok(op, path);
      const codes = /Error codes: (.+?)\. [A-Z]/.exec(op.description ?? '')?.[1]?.split(', ') ?? [];
      assert.ok(codes.length > 0, path);
      for (const code of codes) assert.ok(known.has(code), `${path} names ${code}`);
      if (idempotent.includes(path)) assert.ok(op.parameters?.some((p) => p.name === 'Idempotency-Key'), `${path} takes an Idempotency-Key`);
    }
    assert.match(document.paths['/v1/auth/recovery/initiate']!.post!.description ?? '', /recovery\.method_not_supported/);
    const who = document.paths['/v1/whoami']!.get!.responses['200']!.content!['application/json'].schema.properties!;
    assert.ok(who.amr);
    assert.ok(who.session?.properties?.id);
  });
});
