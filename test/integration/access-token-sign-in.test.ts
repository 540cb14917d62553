// A user's access token says how the user signed in (RFC 9068 §2.2.1, issue #18): a hosted sign-in with a password
// alone and one with a password and an authenticator app give API access tokens (RFC 8707 resource, JWT) whose
// `amr`, `acr` and `auth_time` are the id_token's, also after a refresh; tessera/verify returns them, and
// tessera/rls's auth.aal() in an application database answers aal1 and aal2 for them.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { Browser, isPage, type Page } from '../support/browser.js';
import { createClient, createTenant, createUser, redirectUri } from '../support/fixtures.js';
import { atCallback } from '../support/hosted-pages.js';
import { enrolTotp, signInToAccount, totpCode } from '../support/mfa-flows.js';
import { openServices, tenantRef } from '../support/rbac-setup.js';
import { authorizationRequest, discover, oidc } from '../support/relying-party.js';
import { endPool } from '../support/end-pool.js';
import { adminDatabaseUrl } from '../support/test-env.js';
import { useTessera } from '../support/use-tessera.js';
import { installAuthSchema } from '../../src/rls/install.js';
import { withAuth } from '../../src/rls/index.js';
import { createVerifier, type AccessTokenClaims } from '../../src/verify/index.js';

const notes = 'https://notes.example.com';
const ACR_MFA = 'urn:tessera:acr:mfa';
const ACR_SINGLE = 'urn:tessera:acr:1fa';
const appDatabase = `tessera_aal_${randomBytes(4).toString('hex')}`;

const payloadOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

describe("a hosted sign-in's amr, acr and auth_time in the user's access tokens", () => {
  const tessera = useTessera();
  const admin = new pg.Client({ connectionString: adminDatabaseUrl });
  let appPool: pg.Pool;
  let config: oidc.Configuration;
  let slug: string;
  let verifier: ReturnType<typeof createVerifier>;
  const verify = (token: string): Promise<AccessTokenClaims> => verifier.verify(token);

  before(async () => {
    const tenant = await createTenant(tessera);
    slug = tenant.slug;
    const services = await openServices(tessera);
    try {
      await services.rbac.createApi(await tenantRef(services, slug), { identifier: notes, name: 'Notes', permissions: [{ name: 'read:notes' }] });
    } finally {
      await services.close();
    }
    const client = await createClient(tessera, slug, ['--first-party']);
    config = await discover(tenant.issuer, client.client_id, client.client_secret!);
    verifier = createVerifier({ issuer: tenant.issuer, audience: notes });
    // the application's own database, with the helpers `tessera rls install` puts there
    await admin.connect();
    await admin.query(`create database ${appDatabase}`);
    const url = new URL(adminDatabaseUrl);
    url.pathname = `/${appDatabase}`;
    await installAuthSchema(url.toString());
    appPool = new pg.Pool({ connectionString: url.toString(), max: 1 });
  });
  after(async () => {
    if (appPool) await endPool(appPool);
    await admin.query(`drop database if exists ${appDatabase} with (force)`);
    await admin.end();
  });

  /** the hosted walk for the notes API: password, then the authenticator app's code when asked, then consent if asked */
  async function signIn(user: { email: string; password: string }, secret?: string) {
    const browser = new Browser();
    // max_age makes the id_token carry auth_time (OIDC Core §2), to compare the access token's with
    const request = await authorizationRequest(config, redirectUri, { scope: 'openid offline_access', prompt: 'consent', resource: notes, max_age: '3600' });
    let step: Page | URL = await browser.navigate(request.url, atCallback);
    const walked: string[] = [];
    for (let i = 0; i < 5 && isPage(step); i++) {
      const page: Page = step;
      if (page.html.includes('/login"')) {
        walked.push('password');
        step = await browser.submit(page, '/login', { email: user.email, password: user.password }, atCallback);
      } else if (/\/interaction\/[^/]+\/mfa$/.test(page.url.pathname)) {
        assert.ok(secret, 'no second factor was expected');
        walked.push('totp');
        // the enrolment used the current time step, and a step is accepted once: the app's next code
        step = await browser.submit(page, '/mfa/totp', { code: await totpCode(secret, Date.now() + 30_000) }, atCallback);
      } else if (page.html.includes('/confirm"')) {
        step = await browser.submit(page, '/confirm', {}, atCallback);
      } else {
        assert.fail(`unexpected page ${page.status} at ${page.url.pathname}:\n${page.html.slice(0, 600)}`);
      }
    }
    assert.ok(!isPage(step), 'the sign-in reached the callback');
    assert.deepEqual(walked, secret ? ['password', 'totp'] : ['password']);
    const tokens = await oidc.authorizationCodeGrant(config, step, {
      pkceCodeVerifier: request.codeVerifier, expectedState: request.state, expectedNonce: request.nonce, idTokenExpected: true, maxAge: 3600,
    }, { resource: notes });
    assert.equal(typeof tokens.claims()!.auth_time, 'number');
    return { tokens, idToken: tokens.claims()! };
  }

  const aal = (accessToken: string) =>
    withAuth(appPool, accessToken, async (client) => ((await client.query('select auth.aal() as aal')) as pg.QueryResult<{ aal: string }>).rows[0]!.aal, { verifier });

  it('a password alone: amr pwd, the single-factor acr, aal1', async () => {
    const user = await createUser(tessera, slug);
    const { tokens, idToken } = await signIn(user);
    assert.deepEqual(idToken.amr, ['pwd']);
    assert.equal(idToken.acr, ACR_SINGLE);
    const claims = await verify(tokens.access_token);
    assert.equal(claims.sub, user.id);
    assert.deepEqual(claims.amr, idToken.amr);
    assert.equal(claims.acr, idToken.acr);
    assert.equal(claims.auth_time, idToken.auth_time);
    assert.equal(await aal(tokens.access_token), 'aal1');
  });

  it('a password and an authenticator app: amr pwd+otp+mfa, the MFA acr, aal2 — and the same after a refresh', async () => {
    const user = await createUser(tessera, slug);
    const account = new Browser();
    await signInToAccount(tessera, slug, account, user);
    const { secret } = await enrolTotp(tessera, slug, account);

    const { tokens, idToken } = await signIn(user, secret);
    assert.deepEqual(idToken.amr, ['pwd', 'otp', 'mfa']);
    assert.equal(idToken.acr, ACR_MFA);
    const claims = await verify(tokens.access_token);
    assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
    assert.equal(claims.acr, ACR_MFA);
    assert.equal(claims.auth_time, idToken.auth_time);
    assert.equal(await aal(tokens.access_token), 'aal2');

    assert.ok(tokens.refresh_token, 'offline_access gave a refresh token');
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token, { resource: notes });
    assert.notEqual(refreshed.access_token, tokens.access_token);
    const again = payloadOf(refreshed.access_token);
    assert.equal(again.aud, notes);
    assert.deepEqual([again.amr, again.acr, again.auth_time], [claims.amr, claims.acr, claims.auth_time], 'the sign-in is the same after a refresh');
    assert.equal(await aal(refreshed.access_token), 'aal2');
  });
});
