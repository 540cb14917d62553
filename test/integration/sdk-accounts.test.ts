// The app SDK's account steps (tessera/client, issue #18 §1) in Node against a running Tessera: sign-up with the
// code from the outbox (no account before it), passwordless sign-in by email and by SMS code, password reset (the
// signed-in session is revoked by it: the next refresh is refused and the client reports SIGNED_OUT), an enrol_mfa
// challenge answered by enrolling TOTP through tessera/client/mfa, and a step-up.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createClient, memoryStorage, TesseraError } from '../../src/sdk/index.js';
import { withMfa } from '../../src/sdk/mfa.js';
import { codeFromOutbox, createUnverifiedUser, uniqueEmail } from '../support/email-flows.js';
import { cliJson, createTenant, createUser } from '../support/fixtures.js';
import { totpCode } from '../support/mfa-flows.js';
import { randomMobile } from '../support/phone-flows.js';
import { useTessera } from '../support/use-tessera.js';

describe('app SDK tessera/client: sign-up, codes, password reset, enrolment at sign-in', () => {
  const server = useTessera();
  let slug: string;
  let issuer: string;
  const clientFor = (iss = issuer) => withMfa(createClient({ issuer: iss, clientId: 'tessera-rest', storage: memoryStorage() }));

  before(async () => {
    ({ slug, issuer } = await createTenant(server));
    await cliJson(server, ['tenant', 'settings', '--tenant', slug, '--set', JSON.stringify({ headless: { restApi: true }, signIn: { signUp: true, methods: { emailOtp: true, smsOtp: true } } })]);
  });

  it('signUpWithEmail sends a code; verifySignup creates the account and signs in', async () => {
    const client = clientFor();
    try {
      const email = uniqueEmail('sdk-signup');
      const sent = await client.auth.signUpWithEmail({ email, password: 'correct horse battery staple', user_metadata: { name: 'Ada Lovelace' } });
      assert.equal(sent.status, 'code_sent');
      assert.ok(sent.expires_in > 0);
      const code = await codeFromOutbox(issuer, email);
      const wrong = await client.auth.verifySignup({ email, code: code === '000000' ? '111111' : '000000' }).catch((error: unknown) => error);
      assert.ok(wrong instanceof TesseraError);
      assert.equal(wrong.code, 'otp.invalid_code');
      const result = await client.auth.verifySignup({ email, code });
      assert.equal(result.status, 'signed_in');
      if (result.status !== 'signed_in') return;
      assert.equal(result.user?.email, email);
      assert.equal((await client.auth.whoami()).user.email, email);
      await client.auth.signOut();
      assert.equal((await client.auth.signIn({ email, password: 'correct horse battery staple' })).status, 'signed_in');
    } finally {
      client.dispose();
    }
  });

  it('signInWithOtp / verifyOtp by email, signInWithSms / verifySmsOtp by phone', async () => {
    const client = clientFor();
    try {
      const email = uniqueEmail('sdk-otp');
      assert.equal((await client.auth.signInWithOtp({ email })).status, 'code_sent');
      const byEmail = await client.auth.verifyOtp({ email, code: await codeFromOutbox(issuer, email) });
      assert.equal(byEmail.status, 'signed_in');
      assert.equal((await client.auth.getUser()).email, email);
      await client.auth.signOut();

      const phone = randomMobile('GB');
      assert.equal((await client.auth.signInWithSms(phone)).status, 'code_sent');
      const byPhone = await client.auth.verifySmsOtp(phone, await codeFromOutbox(issuer, phone));
      assert.equal(byPhone.status, 'signed_in');
      assert.equal((await client.auth.getUser()).phone, phone);
      const invalid = await client.auth.signInWithSms('12').catch((error: unknown) => error);
      assert.equal((invalid as TesseraError).code, 'user.invalid_phone');
    } finally {
      client.dispose();
    }
  });

  it('resetPasswordForEmail → verifyPasswordReset: the new password signs in, and the old session is refused at its next refresh', async () => {
    const user = await createUser(server, slug);
    const client = clientFor();
    const events: string[] = [];
    client.auth.onAuthStateChange((event) => events.push(event));
    try {
      await client.auth.signIn({ email: user.email, password: user.password });
      assert.equal((await client.auth.resetPasswordForEmail(user.email)).status, 'code_sent');
      const code = await codeFromOutbox(issuer, user.email);
      const password = 'a brand new long password 7';
      assert.deepEqual(await client.auth.verifyPasswordReset({ email: user.email, code, password }), { status: 'password_reset' });
      const refused = await client.auth.refresh().catch((error: unknown) => error);
      assert.ok(refused instanceof TesseraError);
      assert.equal(refused.code, 'token.invalid_refresh');
      assert.equal(await client.auth.getSession(), null);
      assert.equal(events.at(-1), 'SIGNED_OUT');
      const old = await client.auth.signIn({ email: user.email, password: user.password }).catch((error: unknown) => error);
      assert.equal((old as TesseraError).code, 'login.invalid_credentials');
      assert.equal((await client.auth.signIn({ email: user.email, password })).status, 'signed_in');
    } finally {
      client.dispose();
    }
  });

  it('an enrol_mfa challenge is answered by enrolling TOTP under it, which completes the sign-in', async () => {
    const tenant = await createTenant(server);
    await cliJson(server, ['tenant', 'settings', '--tenant', tenant.slug, '--set', JSON.stringify({ headless: { restApi: true }, mfa: { policy: 'required', graceDays: 0 } })]);
    const user = await createUser(server, tenant.slug);
    const client = clientFor(tenant.issuer);
    try {
      const challenged = await client.auth.signIn({ email: user.email, password: user.password });
      assert.equal(challenged.status, 'challenge_required');
      if (challenged.status !== 'challenge_required') return;
      assert.equal(challenged.challenge.kind, 'enrol_mfa');
      const enrolment = await client.auth.enrollMfaTotp('Phone', { challengeId: challenged.challenge.id });
      const done = await client.auth.verifyMfaEnrollment(enrolment.factor_id, await totpCode(enrolment.secret), { challengeId: challenged.challenge.id });
      assert.equal(done.recovery_codes?.length, 10);
      assert.equal(done.result?.status, 'signed_in');
      assert.equal((await client.auth.getUser()).email, user.email);
      assert.deepEqual((await client.auth.listMfaFactors()).factors.map((f) => f.type), ['totp']);
    } finally {
      client.dispose();
    }
  });

  it('signIn of an account whose email the tenant requires verified is a verify_email challenge; its emailed code signs in', async () => {
    const tenant = await createTenant(server);
    await cliJson(server, ['tenant', 'settings', '--tenant', tenant.slug, '--set', JSON.stringify({ headless: { restApi: true }, signIn: { requireVerifiedEmail: true } })]);
    const user = await createUnverifiedUser(server, tenant.slug);
    const client = clientFor(tenant.issuer);
    try {
      const challenged = await client.auth.signIn({ email: user.email, password: user.password });
      assert.equal(challenged.status, 'challenge_required');
      if (challenged.status !== 'challenge_required') return;
      assert.deepEqual([challenged.challenge.kind, challenged.challenge.methods], ['verify_email', ['email']]);
      assert.equal(await client.auth.getSession(), null);
      // the challenge's kind picks the method: its code goes to the email, and answers it
      assert.equal((await client.auth.sendChallengeCode(challenged.challenge.id)).status, 'code_sent');
      const result = await client.auth.verifyChallenge(challenged.challenge.id, await codeFromOutbox(tenant.issuer, user.email));
      assert.equal(result.status, 'signed_in');
      assert.equal((await client.auth.getUser()).email_verified, true);
    } finally {
      client.dispose();
    }
  });

  it('step-up: the user proves TOTP again; fresh tokens whose amr holds it replace the session, the old one is revoked', async () => {
    const user = await createUser(server, slug);
    const client = clientFor();
    try {
      await client.auth.signIn({ email: user.email, password: user.password });
      const enrolment = await client.auth.enrollMfaTotp('Phone');
      await client.auth.verifyMfaEnrollment(enrolment.factor_id, await totpCode(enrolment.secret));
      const before = (await client.auth.getSession())!;
      const { challenge } = await client.auth.stepUp('totp');
      assert.deepEqual([challenge.kind, challenge.methods], ['step_up', ['totp']]);
      const wrong = await client.auth.verifyStepUp(challenge.id, '000000').catch((error: unknown) => error);
      assert.equal((wrong as TesseraError).code, 'otp.invalid_code');
      // the next time step: the enrolment's code is spent
      const result = await client.auth.verifyStepUp(challenge.id, await totpCode(enrolment.secret, Date.now() + 30_000));
      assert.equal(result.status, 'signed_in');
      assert.ok((await client.auth.whoami()).amr?.includes('otp'));
      const replay = await fetch(`${issuer}/v1/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: before.refresh_token }) });
      assert.equal(((await replay.json()) as { error: string }).error, 'token.invalid_refresh');
      assert.notEqual((await client.auth.refresh()).refresh_token, before.refresh_token);
    } finally {
      client.dispose();
    }
  });
});
