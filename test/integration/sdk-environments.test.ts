// The app SDK across a tenant's environments (issue #19 §3) in Node against a running Tessera: listEnvironments,
// switchEnvironment (tokens of the target's issuer with its environment claim; refresh, whoami and sign-out then go
// to the target; the environment left behind is revoked; ENVIRONMENT_SWITCHED in this tab and another), a refused
// switch as a typed TesseraError that keeps the session, signIn({environment}), and a switch asked while a refresh
// is in flight presenting no refresh token twice, and the challenge of an environment whose policy asks for a second
// factor answered at that environment's issuer (the envelope's `issuer`, followed only within the tenant's environments).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { createClient, memoryStorage, TesseraError } from '../../src/sdk/index.js';
import { withMfa } from '../../src/sdk/mfa.js';
import { cliJson, createTenant, createUser } from '../support/fixtures.js';
import { totpCode } from '../support/mfa-flows.js';
import { useTessera } from '../support/use-tessera.js';

/** a fetch that records every refresh token presented (refresh, switch) and where */
function recordingFetch() {
  const presented: Array<{ url: string; token: string }> = [];
  const recorded: typeof fetch = async (input, init) => {
    const url = String(input);
    if (/\/v1\/auth\/(refresh|switch)$/.test(url)) presented.push({ url, token: (JSON.parse(String(init?.body)) as { refresh_token: string }).refresh_token });
    return fetch(input, init);
  };
  return { fetch: recorded, presented };
}

describe('app SDK across environments', () => {
  const server = useTessera();
  let slug: string;
  let live: string;
  let sandbox: string;

  const refreshAt = async (issuer: string, refreshToken: string) => {
    const response = await fetch(`${issuer}/v1/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: refreshToken }) });
    return { status: response.status, error: ((await response.json()) as { error?: string }).error };
  };

  /** a user who holds a role in the sandbox (and so may enter it) */
  async function developer() {
    const user = await createUser(server, slug);
    await cliJson(server, ['role', 'assign', '--tenant', slug, '--env', 'sandbox', '--user', user.id, '--role', 'developer']);
    return user;
  }

  before(async () => {
    ({ slug, issuer: live } = await createTenant(server));
    ({ issuer: sandbox } = await cliJson<{ issuer: string }>(server, ['env', 'create', '--tenant', slug, '--name', 'sandbox']));
    await cliJson(server, ['env', 'create', '--tenant', slug, '--name', 'staging']);
    for (const env of ['live', 'sandbox', 'staging']) await cliJson(server, ['tenant', 'settings', '--tenant', slug, '--env', env, '--set', JSON.stringify({ headless: { restApi: true } })]);
    await cliJson(server, ['role', 'create', '--tenant', slug, '--env', 'sandbox', '--name', 'developer']);
    await cliJson(server, ['env', 'create', '--tenant', slug, '--name', 'secure']);
    await cliJson(server, ['tenant', 'settings', '--tenant', slug, '--env', 'secure', '--set', JSON.stringify({ headless: { restApi: true }, mfa: { policy: 'required', graceDays: 0 } })]);
    await cliJson(server, ['role', 'create', '--tenant', slug, '--env', 'secure', '--name', 'operator']);
  });

  it('lists, switches to the sandbox (its iss and environment claim), refreshes there, and revokes what it left', async () => {
    const user = await developer();
    const { fetch: recorded, presented } = recordingFetch();
    const client = createClient({ issuer: live, clientId: 'tessera-rest', storage: memoryStorage(), fetch: recorded });
    const events: string[] = [];
    client.auth.onAuthStateChange((event) => events.push(event));
    try {
      const signedIn = await client.auth.signIn({ email: user.email, password: user.password, environment: 'live' });
      assert.equal(signedIn.status, 'signed_in');
      const liveSession = (await client.auth.getSession())!;
      assert.equal(liveSession.issuer, live);
      assert.deepEqual((await client.auth.listEnvironments()).map((e) => [e.environment, e.issuer, e.current]), [['live', live, true], ['sandbox', sandbox, false]]);

      const switched = await client.auth.switchEnvironment('sandbox');
      assert.equal(switched.status, 'signed_in');
      if (switched.status !== 'signed_in') return;
      assert.equal(switched.session.issuer, sandbox);
      const claims = decodeJwt(switched.session.access_token);
      assert.deepEqual([claims.iss, claims.environment, claims.sub], [sandbox, 'sandbox', user.id]);
      assert.equal((await client.auth.getSession())?.refresh_token, switched.session.refresh_token);
      assert.deepEqual(events, ['INITIAL_SESSION', 'SIGNED_IN', 'ENVIRONMENT_SWITCHED']);
      assert.deepEqual(presented.map((p) => p.url), [`${live}/v1/auth/switch`]);

      const me = await client.auth.whoami();
      assert.deepEqual([me.tenant.issuer, me.user.id, me.roles], [sandbox, user.id, ['developer']]);
      assert.deepEqual((await client.auth.listEnvironments()).map((e) => [e.environment, e.current]), [['live', false], ['sandbox', true]]);

      const refreshed = await client.auth.refresh();
      assert.notEqual(refreshed.refresh_token, switched.session.refresh_token);
      assert.equal(decodeJwt(refreshed.access_token).iss, sandbox);
      assert.equal(refreshed.issuer, sandbox);
      assert.equal(presented.at(-1)!.url, `${sandbox}/v1/auth/refresh`);
      assert.equal(events.at(-1), 'TOKEN_REFRESHED');
      // the client keeps one session: the live tokens it switched away from no longer refresh
      assert.deepEqual(await refreshAt(live, liveSession.refresh_token), { status: 400, error: 'token.invalid_refresh' });

      const back = await client.auth.switchEnvironment('live');
      assert.equal(back.status, 'signed_in');
      assert.equal(decodeJwt((await client.auth.getSession())!.access_token).iss, live);
      assert.equal(presented.at(-1)!.url, `${sandbox}/v1/auth/switch`);
      await client.auth.signOut();
      assert.equal(events.at(-1), 'SIGNED_OUT');
    } finally {
      client.dispose();
    }
  });

  it('a refused switch is a typed TesseraError with the catalogue code, and the session stays usable', async () => {
    const user = await developer();
    const client = createClient({ issuer: live, clientId: 'tessera-rest', storage: memoryStorage() });
    try {
      await client.auth.signIn({ email: user.email, password: user.password, environment: 'live' });
      const held = (await client.auth.getSession())!;
      const forbidden = await client.auth.switchEnvironment('staging').catch((error: unknown) => error);
      assert.ok(forbidden instanceof TesseraError);
      assert.deepEqual([forbidden.code, forbidden.status], ['environment.forbidden', 403]);
      const unknown = await client.auth.switchEnvironment('nowhere').catch((error: unknown) => error);
      assert.deepEqual([(unknown as TesseraError).code, (unknown as TesseraError).status], ['environment.not_found', 404]);
      assert.equal((await client.auth.getSession())?.refresh_token, held.refresh_token);
      // the refused token was never counted as spent: it refreshes
      const refreshed = await client.auth.refresh();
      assert.equal(decodeJwt(refreshed.access_token).iss, live);
      const notSignedIn = createClient({ issuer: live, clientId: 'tessera-rest', storage: memoryStorage() });
      assert.equal((await notSignedIn.auth.switchEnvironment('sandbox').catch((error: TesseraError) => error.code)), 'sdk.not_signed_in');
      notSignedIn.dispose();
    } finally {
      client.dispose();
    }
  });

  it('signIn({environment}) keeps the session at the environment\'s issuer; refresh and sign-out go there', async () => {
    const user = await developer();
    const { fetch: recorded, presented } = recordingFetch();
    const client = createClient({ issuer: live, clientId: 'tessera-rest', storage: memoryStorage(), fetch: recorded });
    try {
      const result = await client.auth.signIn({ email: user.email, password: user.password, environment: 'sandbox' });
      assert.equal(result.status === 'signed_in' && result.session.issuer, sandbox);
      const refreshed = await client.auth.refresh();
      assert.deepEqual(presented.map((p) => p.url), [`${sandbox}/v1/auth/refresh`]);
      await client.auth.signOut();
      assert.deepEqual(await refreshAt(sandbox, refreshed.refresh_token), { status: 400, error: 'token.invalid_refresh' });
      // no environment named: the one last used (the sandbox), which the session follows as well
      const again = await client.auth.signIn({ email: user.email, password: user.password });
      assert.equal(again.status === 'signed_in' && again.session.issuer, sandbox);
      assert.equal((await client.auth.whoami()).tenant.issuer, sandbox);
    } finally {
      client.dispose();
    }
  });

  it('a switch asked during a refresh waits for it; another tab on the same storage follows the switch', async () => {
    const user = await developer();
    const storage = memoryStorage();
    const { fetch: recorded, presented } = recordingFetch();
    const tab = createClient({ issuer: live, clientId: 'tessera-rest', storage, fetch: recorded });
    const other = createClient({ issuer: live, clientId: 'tessera-rest', storage, fetch: recorded });
    const otherEvents: string[] = [];
    try {
      await tab.auth.signIn({ email: user.email, password: user.password, environment: 'live' });
      await other.auth.getSession();
      other.auth.onAuthStateChange((event) => otherEvents.push(event));
      const [refreshed, switched] = await Promise.all([tab.auth.refresh(), tab.auth.switchEnvironment('sandbox')]);
      assert.equal(switched.status, 'signed_in');
      assert.equal(decodeJwt(refreshed.access_token).iss, live);
      assert.deepEqual(presented.map((p) => p.url.slice(live.length)), ['/v1/auth/refresh', '/v1/auth/switch']);
      assert.equal(new Set(presented.map((p) => p.token)).size, presented.length, 'no refresh token presented twice');
      // the other tab held the token the switch spent: it takes up the sandbox session
      const deadline = Date.now() + 2000;
      while (!otherEvents.includes('ENVIRONMENT_SWITCHED') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
      assert.ok(otherEvents.includes('ENVIRONMENT_SWITCHED'), JSON.stringify(otherEvents));
      assert.equal((await other.auth.getSession())?.issuer, sandbox);
      assert.equal((await other.auth.whoami()).tenant.issuer, sandbox);
    } finally {
      tab.dispose();
      other.dispose();
    }
  });

  it('a switch or sign-in into an environment that asks for a second factor: its challenge is answered at that issuer', async () => {
    const user = await developer();
    await cliJson(server, ['role', 'assign', '--tenant', slug, '--env', 'secure', '--user', user.id, '--role', 'operator']);
    const secure = `${live}~secure`;
    const client = withMfa(createClient({ issuer: live, clientId: 'tessera-rest', storage: memoryStorage() }));
    try {
      await client.auth.signIn({ email: user.email, password: user.password, environment: 'live' });
      const held = (await client.auth.getSession())!;
      const switched = await client.auth.switchEnvironment('secure');
      assert.equal(switched.status, 'challenge_required');
      if (switched.status !== 'challenge_required') return;
      assert.equal(switched.challenge.kind, 'enrol_mfa');
      assert.equal((await client.auth.getSession())?.refresh_token, held.refresh_token, 'the session waits for the challenge');
      const enrolment = await client.auth.enrollMfaTotp('Phone', { challengeId: switched.challenge.id });
      const done = await client.auth.verifyMfaEnrollment(enrolment.factor_id, await totpCode(enrolment.secret), { challengeId: switched.challenge.id });
      assert.equal(done.result?.status, 'signed_in');
      assert.equal((await client.auth.getSession())?.issuer, secure);
      assert.equal((await client.auth.whoami()).tenant.issuer, secure);

      // The factor is the user's, not the environment's (db/user-realm.ts): live (policy optional) asks for the
      // authenticator set up in secure and accepts its next code (it had answered 500: sealed under secure's id)
      await client.auth.signOut();
      const atLive = await client.auth.signIn({ email: user.email, password: user.password, environment: 'live' });
      assert.deepEqual(atLive.status === 'challenge_required' && [atLive.challenge.kind, atLive.challenge.issuer], ['mfa', live]);
      if (atLive.status !== 'challenge_required') return;
      const inLive = await client.auth.verifyChallenge(atLive.challenge.id, await totpCode(enrolment.secret, Date.now() + 30_000));
      assert.equal(inLive.status === 'signed_in' && inLive.session.issuer, live);

      // signIn({environment}) with the factor enrolled: the challenge answered at the secure issuer, by a recovery code
      await client.auth.signOut();
      const challenged = await client.auth.signIn({ email: user.email, password: user.password, environment: 'secure' });
      assert.equal(challenged.status, 'challenge_required');
      if (challenged.status !== 'challenge_required') return;
      const verified = await client.auth.verifyChallenge(challenged.challenge.id, done.recovery_codes![0]!);
      assert.equal(verified.status === 'signed_in' && verified.session.issuer, secure);
      assert.deepEqual(decodeJwt((await client.auth.getSession())!.access_token).environment, 'secure');

      // the recovery codes given in secure work at live too (they never matched there: hashed under secure's id)
      await client.auth.signOut();
      const again = await client.auth.signIn({ email: user.email, password: user.password, environment: 'live' });
      if (again.status !== 'challenge_required') return assert.fail(`live asks for the factor, not ${again.status}`);
      const recovered = await client.auth.verifyChallenge(again.challenge.id, done.recovery_codes![1]!);
      assert.equal(recovered.status === 'signed_in' && recovered.session.issuer, live);
    } finally {
      client.dispose();
    }
  });

  it('a plain signIn() into a last-used environment that asks for a second factor: the envelope names its issuer, the SDK answers there', async () => {
    const user = await developer();
    await cliJson(server, ['role', 'assign', '--tenant', slug, '--env', 'secure', '--user', user.id, '--role', 'operator']);
    const secure = `${live}~secure`;
    const verifiedAt: string[] = [];
    const recorded: typeof fetch = async (input, init) => {
      if (/\/v1\/auth\/challenge\/[^/]+\/verify$/.test(String(input))) verifiedAt.push(String(input).replace(/\/v1\/.*$/, ''));
      return fetch(input, init);
    };
    const client = withMfa(createClient({ issuer: live, clientId: 'tessera-rest', storage: memoryStorage(), fetch: recorded }));
    try {
      // the secure environment becomes the one last used (enrolling its required factor under the challenge)
      const first = await client.auth.signIn({ email: user.email, password: user.password, environment: 'secure' });
      assert.equal(first.status === 'challenge_required' && first.challenge.kind, 'enrol_mfa');
      if (first.status !== 'challenge_required') return;
      const enrolment = await client.auth.enrollMfaTotp('Phone', { challengeId: first.challenge.id });
      const done = await client.auth.verifyMfaEnrollment(enrolment.factor_id, await totpCode(enrolment.secret), { challengeId: first.challenge.id });
      assert.equal(done.result?.status === 'signed_in' && done.result.session.issuer, secure);
      await client.auth.signOut();

      // no environment named: the login lands in secure, whose policy asks for the factor
      const challenged = await client.auth.signIn({ email: user.email, password: user.password });
      assert.equal(challenged.status, 'challenge_required');
      if (challenged.status !== 'challenge_required') return;
      assert.deepEqual([challenged.challenge.kind, challenged.challenge.issuer], ['mfa', secure]);
      const verified = await client.auth.verifyChallenge(challenged.challenge.id, done.recovery_codes![0]!);
      assert.deepEqual(verifiedAt, [secure]);
      assert.equal(verified.status === 'signed_in' && verified.session.issuer, secure);
      assert.equal(decodeJwt((await client.auth.getSession())!.access_token).environment, 'secure');
    } finally {
      client.dispose();
    }
  });

  it('an envelope issuer outside the tenant\'s environments is not followed: the environment the sign-in named decides', async () => {
    const user = await developer();
    await cliJson(server, ['role', 'assign', '--tenant', slug, '--env', 'secure', '--user', user.id, '--role', 'operator']);
    const asked: string[] = [];
    // a tampered envelope (another host's issuer in place of the environment's)
    const tampering: typeof fetch = async (input, init) => {
      asked.push(String(input));
      const response = await fetch(input, init);
      if (!/\/v1\/auth\/login$/.test(String(input))) return response;
      const body = (await response.json()) as { challenge?: { issuer?: string } };
      if (body.challenge) body.challenge.issuer = 'https://elsewhere.example/t/acme~secure';
      return new Response(JSON.stringify(body), { status: response.status, headers: { 'content-type': 'application/json' } });
    };
    const client = createClient({ issuer: live, clientId: 'tessera-rest', storage: memoryStorage(), fetch: tampering });
    try {
      const challenged = await client.auth.signIn({ email: user.email, password: user.password, environment: 'secure' });
      if (challenged.status !== 'challenge_required') return assert.fail('expected a challenge');
      assert.equal(challenged.challenge.issuer, 'https://elsewhere.example/t/acme~secure');
      asked.length = 0;
      // an enrol_mfa challenge has no code to send (refused): where the request went is what counts
      await assert.rejects(client.auth.sendChallengeCode(challenged.challenge.id));
      // the environment the sign-in named decides instead
      assert.deepEqual(asked, [`${live}~secure/v1/auth/challenge/${challenged.challenge.id}/send`]);
    } finally {
      client.dispose();
    }
  });
});
