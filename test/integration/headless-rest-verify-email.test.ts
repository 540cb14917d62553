// signIn.requireVerifiedEmail through the REST auth API (issue #16 §3): a correct password of an account whose email
// is not verified yields no tokens but the `verify_email` challenge; the app sends a code to the account's email
// (POST /v1/auth/challenge/{id}/send {method: "email"}) and answers it (…/verify {method: "email", code}); the email
// is then verified and the sign-in goes on, to tokens or to the next challenge (mfa). A wrong password answers
// exactly as before and sends nothing; a tenant without the setting signs such accounts in as before.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { cliJson, createTenant, createUser } from '../support/fixtures.js';
import { createUnverifiedUser, outbox, query, uniqueEmail } from '../support/email-flows.js';
import { totpCode } from '../support/mfa-flows.js';
import { restApi, type RestEnvelope, type RestTokens } from '../support/rest-api.js';
import { useTessera } from '../support/use-tessera.js';

describe('REST auth API: the verify_email challenge of signIn.requireVerifiedEmail', () => {
  const server = useTessera();
  let slug: string;
  let issuer: string;
  let rest: ReturnType<typeof restApi>;

  /** the code of the newest verification message to `email`, once more than `since` went out */
  async function codeTo(email: string, since = 0): Promise<{ code: string; subject: string | null }> {
    for (let i = 0; i < 100; i++) {
      const found = (await outbox(issuer)).filter((e) => e.to === email && e.code);
      if (found.length > since) return { code: found[0]!.code!, subject: found[0]!.subject };
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`no code for ${email}`);
  }
  const sentTo = async (email: string) => (await outbox(issuer)).filter((e) => e.to === email).length;

  before(async () => {
    ({ slug, issuer } = await createTenant(server));
    await cliJson(server, ['tenant', 'settings', '--tenant', slug, '--set', JSON.stringify({ headless: { restApi: true }, signIn: { requireVerifiedEmail: true } })]);
    rest = restApi(issuer);
  });

  it('a correct password of an unverified account gets the verify_email challenge, no tokens; the emailed code verifies the address and signs in', async () => {
    const user = await createUnverifiedUser(server, slug);
    const answer = await rest.json<RestEnvelope & Partial<RestTokens>>(rest.login(user));
    assert.equal(answer.status, 'challenge_required');
    assert.equal(answer.access_token, undefined);
    assert.deepEqual([answer.challenge.kind, answer.challenge.methods], ['verify_email', ['email']]);
    const id = answer.challenge.id;
    // nothing is sent until the app asks for it; a code answered before that is gone
    assert.equal(await sentTo(user.email), 0);
    await rest.expectError(rest.call('POST', `auth/challenge/${id}/verify`, null, { method: 'email', code: '123456' }), 400, 'otp.expired');
    // a second factor's method does not answer it
    await rest.expectError(rest.call('POST', `auth/challenge/${id}/verify`, null, { method: 'totp', code: '123456' }), 409, 'login.invalid_state');
    await rest.expectError(rest.call('POST', `auth/challenge/${id}/send`, null, { method: 'sms' }), 409, 'login.invalid_state');

    const sent = await rest.json<{ status: string; expires_in: number }>(rest.call('POST', `auth/challenge/${id}/send`, null, { method: 'email' }), 202);
    assert.equal(sent.status, 'code_sent');
    assert.ok(sent.expires_in > 0);
    const { code, subject } = await codeTo(user.email);
    assert.match(subject ?? '', /^Verify your email address/);
    await rest.expectError(rest.call('POST', `auth/challenge/${id}/verify`, null, { method: 'email', code: code === '000000' ? '111111' : '000000' }), 400, 'otp.invalid_code');
    const tokens = await rest.json<RestTokens>(rest.call('POST', `auth/challenge/${id}/verify`, null, { method: 'email', code }));
    const claims = decodeJwt(tokens.access_token);
    assert.equal(claims.sub, user.id);
    const who = await rest.json<{ user: { email_verified: boolean }; amr: string[] }>(rest.call('GET', 'whoami', tokens.access_token));
    assert.equal(who.user.email_verified, true);
    assert.deepEqual(who.amr.sort(), ['otp', 'pwd']);
    // the completed sign-in is not answered twice (`email` answers only a verify_email challenge), and the address
    // stays verified: the password alone signs in now
    await rest.expectError(rest.call('POST', `auth/challenge/${id}/verify`, null, { method: 'email', code }), 400, 'request.invalid');
    await rest.expectError(rest.call('POST', `auth/challenge/${id}/send`, null, { method: 'email' }), 409, 'login.invalid_state');
    assert.ok((await rest.json<RestTokens>(rest.login(user))).access_token);
  });

  it('a wrong password answers exactly as for an unknown email, and sends nothing', async () => {
    const user = await createUnverifiedUser(server, slug);
    const wrong = await rest.login({ email: user.email, password: 'not-the-password-1' });
    const unknown = await rest.login({ email: uniqueEmail('nobody'), password: 'not-the-password-1' });
    assert.deepEqual([wrong.status, await wrong.json()], [unknown.status, await unknown.json()]);
    assert.equal(wrong.status, 401);
    // a message sent after these calls is in the outbox: had either sent one, it would be there too
    const other = await createUnverifiedUser(server, slug);
    const envelope = await rest.json<RestEnvelope>(rest.login(other));
    await rest.json(rest.call('POST', `auth/challenge/${envelope.challenge.id}/send`, null, { method: 'email' }), 202);
    await codeTo(other.email);
    assert.equal(await sentTo(user.email), 0);
  });

  it('once the email is verified the sign-in goes on to the next challenge: a TOTP user is asked for the code', async () => {
    const user = await createUser(server, slug);
    const first = await rest.json<RestTokens>(rest.login(user));
    const setup = await rest.json<{ factor_id: string; secret: string }>(rest.call('POST', 'auth/2fa/totp/setup', first.access_token, {}));
    await rest.json(rest.call('POST', 'auth/2fa/totp/verify', first.access_token, { factor_id: setup.factor_id, code: await totpCode(setup.secret) }));
    await query(server.env.DATABASE_URL!, 'UPDATE users SET email_verified = false WHERE id = $1', [user.id]);

    const envelope = await rest.json<RestEnvelope>(rest.login(user));
    assert.equal(envelope.challenge.kind, 'verify_email');
    await rest.json(rest.call('POST', `auth/challenge/${envelope.challenge.id}/send`, null, { method: 'email' }), 202);
    const { code } = await codeTo(user.email);
    const next = await rest.json<RestEnvelope>(rest.call('POST', `auth/challenge/${envelope.challenge.id}/verify`, null, { method: 'email', code }));
    assert.equal(next.status, 'challenge_required');
    assert.equal(next.challenge.id, envelope.challenge.id);
    assert.deepEqual([next.challenge.kind, next.challenge.methods.sort()], ['mfa', ['recovery_code', 'totp']]);
    const tokens = await rest.json<RestTokens>(rest.call('POST', `auth/challenge/${envelope.challenge.id}/verify`, null, { method: 'totp', code: await totpCode(setup.secret, Date.now() + 30_000) }));
    assert.deepEqual((decodeJwt(tokens.access_token).amr as string[]).sort(), ['mfa', 'otp', 'pwd']);
  });

  it('a tenant that does not require a verified email signs an unverified account in with its password', async () => {
    const open = await createTenant(server);
    await cliJson(server, ['tenant', 'settings', '--tenant', open.slug, '--set', JSON.stringify({ headless: { restApi: true } })]);
    const user = await createUnverifiedUser(server, open.slug);
    assert.ok((await restApi(open.issuer).json<RestTokens>(restApi(open.issuer).login(user))).access_token);
  });
});
