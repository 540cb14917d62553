// The backend OTP API (issue #16 §2) over HTTP, as an app's server calls it: register an app, send a code by email
// or SMS (the sandbox outbox stands in for delivery), verify it for RS256 JWTs a resource server checks with the
// printed public key, refresh (rotation; a replay revokes the family, at /auth/refresh and at the standard token
// endpoint alike), log out, and /auth/me. Every documented error of the API is provoked here.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { importSPKI, jwtVerify, decodeJwt } from 'jose';
import { cliJson, createClient, createTenant } from '../support/fixtures.js';
import { auditEvents, outbox, uniqueEmail } from '../support/email-flows.js';
import { randomMobile } from '../support/phone-flows.js';
import { useTessera } from '../support/use-tessera.js';
import { letTimePass } from '../support/test-clock.js';
import { expectError } from '../support/json-answers.js';

interface App { app_id: string; app_secret: string; app_slug: string; jwt_public_key: string; jwks_uri: string }
interface Tokens { access_token: string; refresh_token: string; token_type: string; expires_in: number; user?: { id: string; email: string | null; phone: string | null; created: boolean } }

describe('backend OTP API (/auth/…)', () => {
  const server = useTessera();
  let slug: string;
  let issuer: string;
  let app: App;

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/auth/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const creds = () => ({ app_id: app.app_id, app_secret: app.app_secret });

  async function codeFor(to: string, since = 0): Promise<string> {
    for (let i = 0; i < 100; i++) {
      const found = (await outbox(issuer)).filter((e) => e.to === to);
      if (found.length > since && found[0]!.code) return found[0]!.code;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`no code for ${to}`);
  }

  async function signIn(identifier: { email: string } | { phone: string }): Promise<Tokens> {
    const sent = await post('send-otp', { ...creds(), ...identifier });
    assert.equal(sent.status, 200);
    const { otp_request_id: id } = (await sent.json()) as { otp_request_id: string };
    const code = await codeFor('email' in identifier ? identifier.email : identifier.phone, 0);
    const verified = await post('verify-otp', { ...creds(), otp_request_id: id, otp: code });
    assert.equal(verified.status, 200, await verified.clone().text());
    return (await verified.json()) as Tokens;
  }

  /** gives the user the role `auditor`, which grants reports:read on the tenant's API https://reports.example.com */
  async function grantRole(userId: string) {
    if (!roleMade) {
      await cliJson(server, ['api', 'create', '--tenant', slug, '--identifier', 'https://reports.example.com', '--name', 'Reports', '--permission', 'reports:read']);
      await cliJson(server, ['role', 'create', '--tenant', slug, '--name', 'auditor', '--api', 'https://reports.example.com', '--permission', 'reports:read']);
      roleMade = true;
    }
    await cliJson(server, ['role', 'assign', '--tenant', slug, '--user', userId, '--role', 'auditor']);
  }
  let roleMade = false;

  before(async () => {
    ({ slug, issuer } = await createTenant(server));
    await cliJson(server, ['tenant', 'settings', '--tenant', slug, '--set', JSON.stringify({ signIn: { methods: { emailOtp: true, smsOtp: true } } })]);
    app = await cliJson<App>(server, ['app', 'create', '--tenant', slug, '--name', 'Attendance', '--slug', 'attendance-app']);
  });

  it('tessera app create prints app_id, app_secret, app_slug, the RS256 public key and the JWKS URI', async () => {
    assert.deepEqual(Object.keys(app).sort(), ['app_id', 'app_secret', 'app_slug', 'jwks_uri', 'jwt_public_key']);
    assert.equal(app.app_slug, 'attendance-app');
    assert.match(app.jwt_public_key, /^-----BEGIN PUBLIC KEY-----\n/);
    assert.equal(app.jwks_uri, `${issuer}/jwks`);
    assert.equal((await fetch(app.jwks_uri)).status, 200);
    const again = await server.cli(['app', 'create', '--tenant', slug, '--name', 'Other', '--slug', 'attendance-app']);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /An app with this slug already exists/);
  });

  it('an email code signs a new user up, then in again; the access token is an RS256 JWT for the app, checked with the printed key', async () => {
    const email = uniqueEmail('otp');
    const first = await signIn({ email });
    assert.equal(first.token_type, 'Bearer');
    assert.ok(first.expires_in > 0);
    assert.equal(first.user?.email, email);
    assert.equal(first.user?.created, true);
    const { payload, protectedHeader } = await jwtVerify(first.access_token, await importSPKI(app.jwt_public_key, 'RS256'), { issuer, audience: 'attendance-app', typ: 'at+jwt' });
    assert.equal(protectedHeader.alg, 'RS256');
    assert.equal(payload.sub, first.user!.id);
    assert.equal(payload.client_id, app.app_id);
    assert.deepEqual(payload.roles, [], 'a new user holds no role yet');
    // the hosted code sign-in's audit event (complete-challenge.ts): login.succeeded by the user, naming the method and app
    const signedIn = (await auditEvents(server.env.DATABASE_URL!, slug)).filter((e) => e.type === 'login.succeeded' && e.subject === first.user!.id);
    assert.equal(signedIn.length, 1);
    assert.deepEqual([signedIn[0]!.actor, signedIn[0]!.outcome, signedIn[0]!.data.method, signedIn[0]!.data.client], [first.user!.id, 'success', 'email_otp', app.app_id]);
    // RBAC claims as in every access token of the tenant: a role given now shows in the next sign-in's token
    await grantRole(first.user!.id);
    const second = await signIn({ email });
    assert.equal(second.user?.id, first.user?.id);
    assert.equal(second.user?.created, false);
    const { payload: granted } = await jwtVerify(second.access_token, await importSPKI(app.jwt_public_key, 'RS256'), { issuer, audience: 'attendance-app' });
    assert.deepEqual(granted.roles, ['auditor']);
    // the permissions on the tenant's default API ({issuer}/api), where the role gives none (README: Tokens)
    assert.deepEqual(granted.permissions, []);

    const me = await fetch(`${server.url}/auth/me`, { headers: { authorization: `Bearer ${second.access_token}` } });
    assert.equal(me.status, 200);
    const who = (await me.json()) as { user: { id: string; email: string; email_verified: boolean }; app: string; tenant: string; roles: string[] };
    assert.deepEqual([who.user.id, who.user.email, who.user.email_verified, who.app, who.tenant], [first.user!.id, email, true, 'attendance-app', slug]);
    assert.deepEqual(who.roles, ['auditor']);
  });

  it('an SMS code works the same; the JSON answer names the channel', async () => {
    const phone = randomMobile('GB');
    const sent = await post('send-otp', { ...creds(), phone, channel: 'sms' });
    const body = (await sent.json()) as { otp_request_id: string; channel: string; expires_in: number };
    assert.equal(body.channel, 'sms');
    assert.ok(body.expires_in > 0 && body.expires_in <= 600);
    const verified = await post('verify-otp', { ...creds(), otp_request_id: body.otp_request_id, otp: await codeFor(phone) });
    assert.equal(((await verified.json()) as Tokens).user?.phone, phone);
  });

  it('refresh rotates; replaying a rotated token revokes the whole family, at /auth/refresh and at the token endpoint', async () => {
    const tokens = await signIn({ email: uniqueEmail('rt') });
    const rotated = (await (await post('refresh', { ...creds(), refresh_token: tokens.refresh_token })).json()) as Tokens;
    assert.notEqual(rotated.refresh_token, tokens.refresh_token);
    assert.equal(decodeJwt(rotated.access_token).aud, 'attendance-app');
    // the successor works at the standard token endpoint too (client_secret_post with the app's credentials)
    const standard = await fetch(`${issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: rotated.refresh_token, client_id: app.app_id, client_secret: app.app_secret }) });
    assert.equal(standard.status, 200);
    const third = (await standard.json()) as Tokens;
    assert.equal(decodeJwt(third.access_token).aud, 'attendance-app');
    // replaying the first token at /auth/refresh once the app's reuse window (default 10 s) has passed: refused,
    // and the live successor dies with the family
    await letTimePass(server, 11_000);
    await expectError(await post('refresh', { ...creds(), refresh_token: tokens.refresh_token }), 400, 'token.invalid_refresh');
    await expectError(await post('refresh', { ...creds(), refresh_token: third.refresh_token }), 400, 'token.invalid_refresh');

    const other = await signIn({ email: uniqueEmail('rt2') });
    const next = (await (await post('refresh', { ...creds(), refresh_token: other.refresh_token })).json()) as Tokens;
    await letTimePass(server, 11_000);
    const replay = await fetch(`${issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: other.refresh_token, client_id: app.app_id, client_secret: app.app_secret }) });
    assert.equal(replay.status, 400);
    assert.equal(((await replay.json()) as { error: string }).error, 'invalid_grant');
    await expectError(await post('refresh', { ...creds(), refresh_token: next.refresh_token }), 400, 'token.invalid_refresh');
  });

  it('a refresh token is introspectable at the tenant, and logout revokes it', async () => {
    const tokens = await signIn({ email: uniqueEmail('out') });
    const introspect = async () => ((await (await fetch(`${issuer}/token/introspection`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: tokens.refresh_token, client_id: app.app_id, client_secret: app.app_secret }) })).json()) as { active: boolean; client_id?: string });
    const live = await introspect();
    assert.deepEqual([live.active, live.client_id], [true, app.app_id]);
    const out = await post('logout', { ...creds(), refresh_token: tokens.refresh_token });
    assert.equal(out.status, 204);
    assert.equal((await introspect()).active, false);
    await expectError(await post('refresh', { ...creds(), refresh_token: tokens.refresh_token }), 400, 'token.invalid_refresh');
  });

  it('Idempotency-Key: the same key and body answer the same bytes and send once; another body with the key is 422', async () => {
    const email = uniqueEmail('idem');
    const headers = { 'idempotency-key': `k-${email}` };
    const a = await post('send-otp', { ...creds(), email }, headers);
    const b = await post('send-otp', { ...creds(), email }, headers);
    const [textA, textB] = [await a.text(), await b.text()];
    assert.equal(a.status, 200);
    assert.equal(textB, textA);
    await codeFor(email);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await outbox(issuer)).filter((e) => e.to === email).length, 1, 'one message');
    await expectError(await post('send-otp', { ...creds(), email: uniqueEmail('other') }, headers), 422, 'idempotency.key_reused');
    await expectError(await post('send-otp', { ...creds(), email }, { 'idempotency-key': 'bad key with spaces' }), 400, 'idempotency.invalid_key');

    const { otp_request_id: id } = JSON.parse(textA) as { otp_request_id: string };
    const verifyHeaders = { 'idempotency-key': `v-${email}` };
    const body = { ...creds(), otp_request_id: id, otp: await codeFor(email) };
    const first = await post('verify-otp', body, verifyHeaders);
    const retry = await post('verify-otp', body, verifyHeaders);
    const firstText = await first.text();
    assert.equal(first.status, 200);
    assert.equal(await retry.text(), firstText, 'the same tokens, not a second sign-in');
  });

  it('refuses browsers, wrong credentials and ordinary clients', async () => {
    await expectError(await post('send-otp', { ...creds(), email: uniqueEmail() }, { origin: 'https://app.example' }), 403, 'request.origin_refused');
    await expectError(await post('send-otp', { app_id: app.app_id, app_secret: 'wrong', email: uniqueEmail() }), 401, 'app.invalid_credentials');
    await expectError(await post('send-otp', { email: uniqueEmail() }), 401, 'app.invalid_credentials');
    const ordinary = await createClient(server, slug, ['--first-party']);
    await expectError(await post('send-otp', { app_id: ordinary.client_id, app_secret: ordinary.client_secret, email: uniqueEmail() }), 401, 'app.invalid_credentials');
    const me = await fetch(`${server.url}/auth/me`, { headers: { authorization: 'Bearer not-a-token' } });
    await expectError(me, 401, 'auth.invalid_token');
  });

  it('bad input and wrong codes get {error, message} from the catalogue', async () => {
    await expectError(await post('send-otp', { ...creds() }), 400, 'request.invalid');
    await expectError(await post('send-otp', { ...creds(), email: 'not an email' }), 400, 'user.invalid_email');
    await expectError(await post('send-otp', { ...creds(), phone: '12' }), 400, 'user.invalid_phone');
    await expectError(await post('send-otp', { ...creds(), email: uniqueEmail(), channel: 'sms' }), 400, 'otp.invalid_channel');
    await expectError(await post('send-otp', { ...creds(), phone: randomMobile('GB'), channel: 'whatsapp' }), 400, 'otp.invalid_channel');
    const bad = await fetch(`${server.url}/auth/send-otp`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    await expectError(bad, 415, 'request.unsupported_media_type');
    const raw = (body: string) => fetch(`${server.url}/auth/verify-otp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await expectError(await raw('{"app_id":'), 400, 'request.invalid');
    await expectError(await raw(`${'['.repeat(40)}${']'.repeat(40)}`), 400, 'request.invalid');
    await expectError(await raw(JSON.stringify({ ...creds(), otp_request_id: 'a\u0000b', otp: '1' })), 400, 'request.invalid');
    await expectError(await raw(JSON.stringify({ ...creds(), otp_request_id: 'x', otp: 'y'.repeat(70_000) })), 413, 'request.too_large');
    await expectError(await raw(JSON.stringify({ ...creds(), otp_request_id: 5, otp: [] })), 400, 'request.invalid');
    await expectError(await post('verify-otp', { ...creds(), otp_request_id: 'A'.repeat(22), otp: '123456' }), 400, 'otp.expired');

    const email = uniqueEmail('wrong');
    const sent = (await (await post('send-otp', { ...creds(), email })).json()) as { otp_request_id: string };
    const right = await codeFor(email);
    const wrong = right === '000000' ? '111111' : '000000';
    for (let i = 0; i < 4; i++) await expectError(await post('verify-otp', { ...creds(), otp_request_id: sent.otp_request_id, otp: wrong }), 400, 'otp.invalid_code');
    // the fifth wrong code kills the code (default maxAttempts 5): the right one no longer works
    await expectError(await post('verify-otp', { ...creds(), otp_request_id: sent.otp_request_id, otp: wrong }), 400, 'otp.expired');
    await expectError(await post('verify-otp', { ...creds(), otp_request_id: sent.otp_request_id, otp: right }), 400, 'otp.expired');
  });

  it('an unknown and a known address get the same answer', async () => {
    const known = uniqueEmail('known');
    await signIn({ email: known });
    const shape = async (email: string) => {
      const response = await post('send-otp', { ...creds(), email });
      const body = (await response.json()) as Record<string, unknown>;
      return [response.status, Object.keys(body).sort().join(','), body.channel, body.expires_in];
    };
    assert.deepEqual(await shape(known), await shape(uniqueEmail('unknown')));
  });

  it('send limits per identifier answer 429 auth.rate_limited with Retry-After, and nothing more is sent', async () => {
    const email = uniqueEmail('limit');
    for (let i = 0; i < 5; i++) assert.equal((await post('send-otp', { ...creds(), email })).status, 200);
    const refused = await post('send-otp', { ...creds(), email });
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
    await expectError(refused, 429, 'auth.rate_limited');
  });

  it('concurrent retries with one Idempotency-Key send one message: each answer is the first one or idempotency.in_progress', async () => {
    const email = uniqueEmail('race');
    const answers = await Promise.all(Array.from({ length: 8 }, () => post('send-otp', { ...creds(), email }, { 'idempotency-key': `race-${email}` })));
    const texts = await Promise.all(answers.map((r) => r.text()));
    const ok = texts.filter((_, i) => answers[i]!.status === 200);
    assert.ok(ok.length >= 1 && ok.every((t) => t === ok[0]));
    for (const [i, r] of answers.entries()) if (r.status !== 200) assert.deepEqual([r.status, JSON.parse(texts[i]!).error], [409, 'idempotency.in_progress']);
    await codeFor(email);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await outbox(issuer)).filter((e) => e.to === email).length, 1);
  });

  it('a second factor due by the tenant policy answers the challenge envelope instead of tokens', async () => {
    const strict = await createTenant(server);
    await cliJson(server, ['tenant', 'settings', '--tenant', strict.slug, '--set', JSON.stringify({ signIn: { methods: { emailOtp: true } }, mfa: { policy: 'required', graceDays: 0 } })]);
    const strictApp = await cliJson<App>(server, ['app', 'create', '--tenant', strict.slug, '--name', 'Strict', '--slug', 'strict-app']);
    const email = uniqueEmail('mfa');
    const body = { app_id: strictApp.app_id, app_secret: strictApp.app_secret };
    const sent = (await (await post('send-otp', { ...body, email })).json()) as { otp_request_id: string };
    let code: string | undefined;
    for (let i = 0; i < 100 && !code; i++) {
      code = (await outbox(strict.issuer)).find((e) => e.to === email)?.code ?? undefined;
      if (!code) await new Promise((r) => setTimeout(r, 100));
    }
    const answer = await post('verify-otp', { ...body, otp_request_id: sent.otp_request_id, otp: code });
    assert.equal(answer.status, 200);
    const envelope = (await answer.json()) as { status: string; challenge: { id: string; kind: string; methods: string[]; expires_at: string } };
    assert.equal(envelope.status, 'challenge_required');
    assert.equal(envelope.challenge.kind, 'enrol_mfa');
    assert.ok(envelope.challenge.methods.includes('totp'));
    assert.ok(Date.parse(envelope.challenge.expires_at) > Date.now());
    assert.ok(!('access_token' in envelope));
    await expectError(await post('verify-otp', { ...body, otp_request_id: sent.otp_request_id, otp: code }), 409, 'login.invalid_state');
  });

  it('the app\'s refresh-token reuse interval: a repeat inside it gets the same successor, not a revoked family', async () => {
    const lenient = await cliJson<App>(server, ['app', 'create', '--tenant', slug, '--name', 'Lenient', '--slug', 'lenient-app', '--reuse-interval', '30']);
    const body = { app_id: lenient.app_id, app_secret: lenient.app_secret };
    const email = uniqueEmail('reuse');
    const sent = (await (await post('send-otp', { ...body, email })).json()) as { otp_request_id: string };
    const tokens = (await (await post('verify-otp', { ...body, otp_request_id: sent.otp_request_id, otp: await codeFor(email) })).json()) as Tokens;
    assert.equal(decodeJwt(tokens.access_token).aud, 'lenient-app');
    const first = (await (await post('refresh', { ...body, refresh_token: tokens.refresh_token })).json()) as Tokens;
    const repeat = (await (await post('refresh', { ...body, refresh_token: tokens.refresh_token })).json()) as Tokens;
    assert.equal(repeat.refresh_token, first.refresh_token);
    assert.equal((await post('refresh', { ...body, refresh_token: first.refresh_token })).status, 200, 'the family lives');
  });

  it('guesses spread over several codes for one address are limited too: the 11th in 15 minutes is 429, even with the right code', async () => {
    const email = uniqueEmail('spread');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(((await (await post('send-otp', { ...creds(), email })).json()) as { otp_request_id: string }).otp_request_id);
    const right = await codeFor(email, 2);
    const wrong = right === '000000' ? '111111' : '000000';
    for (const [id, guesses] of [[ids[0]!, 4], [ids[1]!, 4], [ids[2]!, 2]] as const) {
      for (let i = 0; i < guesses; i++) await expectError(await post('verify-otp', { ...creds(), otp_request_id: id, otp: wrong }), 400, 'otp.invalid_code');
    }
    const refused = await post('verify-otp', { ...creds(), otp_request_id: ids[2]!, otp: right });
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
    await expectError(refused, 429, 'auth.rate_limited');
  });

  it('guesses from one IP are limited across addresses too: after 50 wrong codes in 15 minutes even a right code for a fresh address is 429', async () => {
    // a tenant of its own: its IP bucket (code-verify-ip, code-check.ts) starts empty
    const own = await createTenant(server);
    await cliJson(server, ['tenant', 'settings', '--tenant', own.slug, '--set', JSON.stringify({ signIn: { methods: { emailOtp: true } } })]);
    const ownApp = await cliJson<App>(server, ['app', 'create', '--tenant', own.slug, '--name', 'Guesses', '--slug', 'guesses-app']);
    const body = { app_id: ownApp.app_id, app_secret: ownApp.app_secret };
    const sendTo = async (email: string) => ((await (await post('send-otp', { ...body, email })).json()) as { otp_request_id: string }).otp_request_id;
    // ten addresses, five wrong guesses each: under the per-address limit (10), each code dies at its fifth
    for (let n = 0; n < 10; n++) {
      const id = await sendTo(uniqueEmail(`ip${n}`));
      for (let i = 0; i < 5; i++) {
        const refused = await post('verify-otp', { ...body, otp_request_id: id, otp: '00000' + (i % 2) });
        assert.equal(refused.status, 400, await refused.clone().text());
      }
    }
    const fresh = uniqueEmail('ip-fresh');
    const id = await sendTo(fresh);
    let code: string | undefined;
    for (let i = 0; i < 100 && !code; i++) {
      code = (await outbox(own.issuer)).find((e) => e.to === fresh)?.code ?? undefined;
      if (!code) await new Promise((r) => setTimeout(r, 100));
    }
    const limited = await post('verify-otp', { ...body, otp_request_id: id, otp: code });
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    await expectError(limited, 429, 'auth.rate_limited');
  });

  it('a sign-in shows as a session of the user (console, account page, Management API); revoking it ends the refresh token', async () => {
    const tokens = await signIn({ email: uniqueEmail('session') });
    const userId = tokens.user!.id;
    const { items } = await cliJson<{ items: Array<{ id: string; amr: string[]; clients: string[] }> }>(server, ['session', 'list', '--tenant', slug, '--user', userId]);
    assert.equal(items.length, 1);
    assert.deepEqual([items[0]!.amr, items[0]!.clients], [['otp'], [app.app_id]]);
    await cliJson(server, ['session', 'revoke', '--tenant', slug, '--user', userId, '--session', items[0]!.id]);
    await expectError(await post('refresh', { ...creds(), refresh_token: tokens.refresh_token }), 400, 'token.invalid_refresh');
    assert.deepEqual((await cliJson<{ items: unknown[] }>(server, ['session', 'list', '--tenant', slug, '--user', userId])).items, []);
  });
});
