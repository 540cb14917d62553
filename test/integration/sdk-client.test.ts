// The app SDK (tessera/client, issue #18 §1) in Node against a running Tessera: password sign-in, the user, typed
// errors with the catalogue's codes, MFA through tessera/client/mfa (enrolment with its QR code and recovery codes,
// the challenge answered with a TOTP and a recovery code, listing, regenerating, removing), sign-out revoking the
// family, single-flight refresh (ten callers, one refresh) and the cross-tab claim protocol (three clients on one
// storage and BroadcastChannel refreshing at once, twenty times, never presenting a token twice), dispose().
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createClient, memoryStorage, TesseraError, type Session, type SessionStorage } from '../../src/sdk/index.js';
import { withMfa } from '../../src/sdk/mfa.js';
import { cliJson, createTenant, createUser } from '../support/fixtures.js';
import { totpCode } from '../support/mfa-flows.js';
import { useTessera } from '../support/use-tessera.js';

/** a fetch that counts the refresh requests and every refresh token it carried */
function countingFetch() {
  const presented: string[] = [];
  const counted: typeof fetch = async (input, init) => {
    if (String(input).endsWith('/v1/auth/refresh')) presented.push((JSON.parse(String(init?.body)) as { refresh_token: string }).refresh_token);
    return fetch(input, init);
  };
  return { fetch: counted, presented };
}

const storageKey = (issuer: string) => `tessera:${issuer}:tessera-rest:session`;

/** the stored session with its access token made to look expired */
async function expireStored(storage: SessionStorage, issuer: string) {
  const session = JSON.parse((await storage.getItem(storageKey(issuer)))!) as Session;
  await storage.setItem(storageKey(issuer), JSON.stringify({ ...session, access_expires_at: new Date(Date.now() - 1000).toISOString() }));
}

describe('app SDK tessera/client in Node against a running server', () => {
  const server = useTessera();
  let slug: string;
  let issuer: string;

  before(async () => {
    ({ slug, issuer } = await createTenant(server));
    await cliJson(server, ['tenant', 'settings', '--tenant', slug, '--set', JSON.stringify({ headless: { restApi: true } })]);
  });

  it('signs in with a password, reads the user, reports events, and errors carry the catalogue code', async () => {
    const user = await createUser(server, slug);
    const client = createClient({ issuer, clientId: 'tessera-rest', storage: memoryStorage() });
    const events: string[] = [];
    const unsubscribe = client.auth.onAuthStateChange((event) => events.push(event));
    try {
      const wrong = await client.auth.signIn({ email: user.email, password: 'not-the-password' }).catch((error: unknown) => error);
      assert.ok(wrong instanceof TesseraError);
      assert.equal(wrong.code, 'login.invalid_credentials');
      assert.equal(wrong.status, 401);
      assert.ok(wrong.message);
      const missing = await client.auth.getUser().catch((error: unknown) => error);
      assert.equal((missing as TesseraError).code, 'sdk.not_signed_in');

      const result = await client.auth.signIn({ email: user.email, password: user.password });
      assert.equal(result.status, 'signed_in');
      if (result.status !== 'signed_in') return;
      assert.equal(result.session.token_type, 'Bearer');
      const me = await client.auth.getUser();
      assert.equal(me.email, user.email);
      assert.equal(me.id, user.id);
      assert.equal((await client.auth.getSession())?.user?.email, user.email);
      assert.deepEqual(events, ['INITIAL_SESSION', 'SIGNED_IN', 'USER_UPDATED']);
      unsubscribe();
    } finally {
      client.dispose();
    }
  });

  it('MFA: enrol TOTP (QR data URL, recovery codes once), the next sign-in is a challenge answered by a TOTP or a recovery code', async () => {
    const user = await createUser(server, slug);
    const client = withMfa(createClient({ issuer, clientId: 'tessera-rest', storage: memoryStorage() }));
    try {
      await client.auth.signIn({ email: user.email, password: user.password });
      const enrolment = await client.auth.enrollMfaTotp('Phone');
      assert.match(enrolment.qr_code, /^data:image\/png;base64,/);
      assert.match(enrolment.secret, /^[A-Z2-7]+=*$/);
      const bad = await client.auth.verifyMfaEnrollment(enrolment.factor_id, '000000').catch((error: unknown) => error);
      assert.equal((bad as TesseraError).code, 'otp.invalid_code');
      const { recovery_codes: codes } = await client.auth.verifyMfaEnrollment(enrolment.factor_id, await totpCode(enrolment.secret));
      assert.equal(codes?.length, 10);
      const listed = await client.auth.listMfaFactors();
      assert.deepEqual([listed.enabled, listed.factors.map((f) => f.type), listed.recovery_codes_left], [true, ['totp'], 10]);

      await client.auth.signOut();
      assert.equal(await client.auth.getSession(), null);
      const challenged = await client.auth.signIn({ email: user.email, password: user.password });
      assert.equal(challenged.status, 'challenge_required');
      if (challenged.status !== 'challenge_required') return;
      assert.deepEqual([challenged.challenge.kind, challenged.challenge.methods.includes('totp')], ['mfa', true]);
      const wrongCode = await client.auth.verifyChallenge(challenged.challenge.id, '000000').catch((error: unknown) => error);
      assert.equal((wrongCode as TesseraError).code, 'otp.invalid_code');
      // the next time step: the enrolment's code is spent
      const signedIn = await client.auth.verifyChallenge(challenged.challenge.id, await totpCode(enrolment.secret, Date.now() + 30_000));
      assert.equal(signedIn.status, 'signed_in');

      await client.auth.signOut();
      const again = await client.auth.signIn({ email: user.email, password: user.password });
      assert.equal(again.status, 'challenge_required');
      if (again.status !== 'challenge_required') return;
      assert.equal((await client.auth.verifyChallenge(again.challenge.id, codes![0]!)).status, 'signed_in');

      const fresh = await client.auth.regenerateMfaRecoveryCodes();
      assert.equal(fresh.recovery_codes.length, 10);
      assert.notDeepEqual(fresh.recovery_codes, codes);
      const unknown = await client.auth.unenrollMfa('00000000-0000-4000-8000-000000000000').catch((error: unknown) => error);
      assert.equal((unknown as TesseraError).code, 'request.invalid');
      await client.auth.unenrollMfa(listed.factors[0]!.id);
      assert.deepEqual((await client.auth.listMfaFactors()).factors, []);
      await client.auth.signOut();
      assert.equal((await client.auth.signIn({ email: user.email, password: user.password })).status, 'signed_in');
    } finally {
      client.dispose();
    }
  });

  it('signOut revokes the refresh token at the server and forgets the session', async () => {
    const user = await createUser(server, slug);
    const storage = memoryStorage();
    const client = createClient({ issuer, clientId: 'tessera-rest', storage });
    try {
      const result = await client.auth.signIn({ email: user.email, password: user.password });
      assert.equal(result.status, 'signed_in');
      const { refresh_token: refreshToken } = (result as { session: Session }).session;
      await client.auth.signOut();
      assert.equal(await storage.getItem(storageKey(issuer)), null);
      const replay = await fetch(`${issuer}/v1/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: refreshToken }) });
      assert.equal(((await replay.json()) as { error: string }).error, 'token.invalid_refresh');
    } finally {
      client.dispose();
    }
  });

  it('on a server, clients of two users (own storage, one channel name) do not sign each other in or out', async () => {
    const [ada, bob] = [await createUser(server, slug), await createUser(server, slug)];
    const [a, b] = [createClient({ issuer, clientId: 'tessera-rest', storage: memoryStorage() }), createClient({ issuer, clientId: 'tessera-rest', storage: memoryStorage() })];
    const seenByB: string[] = [];
    b.auth.onAuthStateChange((event) => seenByB.push(event));
    try {
      await a.auth.signIn({ email: ada.email, password: ada.password });
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.equal(await b.auth.getSession(), null, 'Ada\'s sign-in did not reach Bob\'s client');
      await b.auth.signIn({ email: bob.email, password: bob.password });
      await a.auth.signOut();
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.equal((await b.auth.getUser()).email, bob.email);
      assert.deepEqual(seenByB, ['INITIAL_SESSION', 'SIGNED_IN', 'USER_UPDATED']);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('ten concurrent callers that find the access token expired cause ONE refresh', async () => {
    const user = await createUser(server, slug);
    const storage = memoryStorage();
    const first = createClient({ issuer, clientId: 'tessera-rest', storage });
    await first.auth.signIn({ email: user.email, password: user.password });
    first.dispose();
    await expireStored(storage, issuer);
    const counter = countingFetch();
    const client = createClient({ issuer, clientId: 'tessera-rest', storage, fetch: counter.fetch });
    try {
      const tokens = await Promise.all(Array.from({ length: 10 }, () => client.auth.getAccessToken()));
      assert.equal(counter.presented.length, 1);
      assert.equal(new Set(tokens).size, 1);
      const users = await Promise.all(Array.from({ length: 10 }, () => client.auth.getUser()));
      assert.ok(users.every((u) => u.email === user.email));
      assert.equal(counter.presented.length, 1);
    } finally {
      client.dispose();
    }
  });

  it('three clients on one storage and channel (three tabs) refresh at the same moment, twenty times: one refresh each time, never a token twice, still signed in', async () => {
    const user = await createUser(server, slug);
    const storage = memoryStorage();
    const counter = countingFetch();
    const tabs = Array.from({ length: 3 }, () => createClient({ issuer, clientId: 'tessera-rest', storage, fetch: counter.fetch }));
    try {
      await tabs[0]!.auth.signIn({ email: user.email, password: user.password });
      for (let round = 1; round <= 20; round++) {
        const sessions = await Promise.all(tabs.map((tab) => tab.auth.refresh()));
        assert.equal(new Set(sessions.map((s) => s.refresh_token)).size, 1, `round ${round}: every tab holds the same session`);
        assert.equal(counter.presented.length, round, `round ${round}: one refresh`);
      }
      assert.equal(new Set(counter.presented).size, 20, 'no refresh token was presented twice');
      for (const tab of tabs) assert.equal((await tab.auth.getUser()).email, user.email);
    } finally {
      for (const tab of tabs) tab.dispose();
    }
  });

  it('dispose() ends the timer and the channel: the client refuses further work', async () => {
    const user = await createUser(server, slug);
    const client = createClient({ issuer, clientId: 'tessera-rest', storage: memoryStorage() });
    await client.auth.signIn({ email: user.email, password: user.password });
    client.dispose();
    const refused = await client.auth.getSession().catch((error: unknown) => error);
    assert.equal((refused as TesseraError).code, 'sdk.disposed');
  });
});
