// Sign-in with Google (issue #4) against a second oidc-provider playing Google (real discovery, real RS256
// signatures): a new user, a returning user, the linking rules (automatic only for a verified upstream email, a
// trusted connection and a verified local account; otherwise prove the account first), the hosted-domain rule,
// and the refusals: forged state, another browser's state, a wrong nonce, an id_token for another audience, a
// denied consent and an unreachable or silent upstream — each a friendly page, never a 500.
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import { Browser } from '../support/browser.js';
import { createUser } from '../support/fixtures.js';
import { asPage, atCallback, isLoginPage, loginPage, visibleText } from '../support/hosted-pages.js';
import { redisContents } from '../support/email-flows.js';
import {
  auditOf, continueWith, createFederatedTenant, createUnverifiedUser, federatedSignIn, identitiesOf, noticePage, signedIn, userByEmail, type FederatedTenant,
} from '../support/federation-flows.js';
import { startOidcUpstream, type OidcUpstream } from '../support/upstreams/oidc-upstream.js';
import { useTessera } from '../support/use-tessera.js';

const unique = () => randomBytes(4).toString('hex');

describe('Sign in with Google', () => {
  const server = useTessera();
  let google: OidcUpstream;
  before(async () => {
    google = await startOidcUpstream('google');
  });
  after(() => google?.close());
  afterEach(() => assert.deepEqual(google.rejections.splice(0), [], 'the Google stand-in refused a request'));

  const tenantWith = (options: { trusted?: boolean; hostedDomain?: string; signUp?: boolean; password?: boolean } = {}) =>
    createFederatedTenant(server, (callbackUrl) => {
      const app = google.registerClient({ redirectUris: [callbackUrl] });
      return {
        google: {
          type: 'google', clientId: app.clientId, clientSecret: app.clientSecret, issuer: google.issuer,
          trustedForLinking: options.trusted ?? false, ...(options.hostedDomain ? { hostedDomain: options.hostedDomain } : {}),
        },
      };
    }, { signUp: options.signUp ?? true });

  it('a new user signs up with their Google profile; the same Google account signs in again as that user', async () => {
    const tenant = await tenantWith();
    const email = `ann-${unique()}@gmail.test`;
    const sub = `g-${unique()}`;
    google.signInAs({ sub, email, email_verified: true, name: 'Ann Example', picture: 'https://pics.example/ann.png' });
    const first = await federatedSignIn(tenant, 'google');
    const { claims, userinfo, tokens } = await signedIn(tenant, first.request, first.step);
    assert.deepEqual(claims.amr, ['fed']);
    assert.deepEqual([userinfo.email, userinfo.email_verified, userinfo.name, userinfo.picture], [email, true, 'Ann Example', 'https://pics.example/ann.png']);

    // what Google was asked: code + PKCE S256 + state + nonce, our callback, the scopes
    const asked = google.authorizations.at(-1)!;
    assert.equal(asked.response_type, 'code');
    assert.equal(asked.code_challenge_method, 'S256');
    assert.match(asked.code_challenge!, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(asked.state && asked.nonce);
    assert.equal(asked.redirect_uri, tenant.callbackUrl);
    assert.equal(asked.scope, 'openid email profile');
    // Google's tokens stay with Tessera: none of what Google issued reaches the relying party
    const upstreamExchange = google.tokenRequests.at(-1)!;
    assert.equal(upstreamExchange.params.code_verifier?.length, 43);
    assert.ok(!JSON.stringify(tokens).includes(upstreamExchange.params.code!));

    const identities = await identitiesOf(server, tenant.slug);
    assert.deepEqual(identities.map((i) => [i.connection, i.subject, i.email, i.email_verified, i.user_id]), [['google', sub, email, true, claims.sub]]);

    google.signInAs({ sub, email, email_verified: true, name: 'Ann E.' });
    const again = await federatedSignIn(tenant, 'google');
    assert.equal((await signedIn(tenant, again.request, again.step)).claims.sub, claims.sub);
    const events = await auditOf(server, tenant.slug, ['signup.completed', 'identity.linked', 'login.succeeded']);
    assert.deepEqual(events.map((e) => [e.type, e.data.connection, e.data.how ?? e.data.method]), [
      ['identity.linked', 'google', 'sign_up'], ['signup.completed', 'google', 'federated'], ['login.succeeded', 'google', 'federated'], ['login.succeeded', 'google', 'federated'],
    ]);
    assert.equal(events[2]!.data.issuer, google.issuer, 'the upstream is recorded for the audit log');
  });

  it('keeps the upstream answer only under a hash of its one-time reference: Redis never holds the reference', async () => {
    const tenant = await tenantWith();
    google.signInAs({ sub: `g-${unique()}`, email: `ref-${unique()}@gmail.test`, email_verified: true });
    const browser = new Browser();
    const { request, page } = await loginPage(browser, tenant.config);
    const waiting = await browser.submit(page, '/federated/google', {}, (location) => location.pathname.includes('/federated/result/'));
    assert.ok(waiting instanceof URL, 'stopped before the result is taken');
    const ref = /\/federated\/result\/([\w-]{43})$/.exec(waiting.pathname)?.[1] ?? assert.fail(waiting.pathname);
    const kv = await redisContents(server.env.REDIS_URL!, server.env.REDIS_PREFIX!);
    assert.ok([...kv.keys()].some((key) => key.includes('fed-result:')), 'the scan sees the result record');
    for (const [key, value] of kv) assert.ok(!key.includes(ref) && !value.includes(ref), `Redis key ${key} holds the reference`);
    const { claims } = await signedIn(tenant, request, await browser.navigate(waiting, atCallback));
    assert.deepEqual(claims.amr, ['fed']);
  });

  it('links automatically to the account with the same email when Google verified it and the connection is trusted', async () => {
    const tenant = await tenantWith({ trusted: true });
    const local = await createUser(server, tenant.slug);
    google.signInAs({ sub: `g-${unique()}`, email: local.email.toUpperCase(), email_verified: 'true' });
    const { request, step } = await federatedSignIn(tenant, 'google');
    const { claims } = await signedIn(tenant, request, step);
    assert.equal(claims.sub, local.id);
    assert.deepEqual(claims.amr, ['fed']);
    assert.deepEqual((await auditOf(server, tenant.slug, ['identity.linked'])).map((e) => e.data.how), ['automatic']);
  });

  for (const [why, options, account] of [
    ['the connection is not trusted for linking', { trusted: false }, { email_verified: true }],
    ['Google does not say the email is verified', { trusted: true }, { email_verified: false }],
  ] as const) {
    it(`does not link when ${why}: the user proves the existing account first, then both ways open it`, async () => {
      const tenant = await tenantWith(options);
      const local = await createUser(server, tenant.slug);
      const sub = `g-${unique()}`;
      google.signInAs({ sub, email: local.email, ...account });
      const { browser, request, step } = await federatedSignIn(tenant, 'google');
      const explain = noticePage(step, 409);
      assert.match(visibleText(explain.html), /You already have an account/);
      assert.deepEqual(await identitiesOf(server, tenant.slug), [], 'nothing linked before the proof');

      const login = asPage(await browser.navigate(new URL(/href="([^"]+\/federated\/continue)"/.exec(explain.html)![1]!, explain.url)), 'the login page');
      assert.ok(isLoginPage(login));
      assert.match(visibleText(login.html), /Sign in to your account to add Google as a way in\./);
      assert.ok(login.html.includes(`value="${local.email}"`), 'the existing account’s address is filled in');
      const callback = await browser.submit(login, '/login', { email: local.email, password: local.password }, (l) => l.href.startsWith('http://127.0.0.1:9/'));
      const { claims } = await signedIn(tenant, request, callback);
      assert.equal(claims.sub, local.id);
      assert.deepEqual(claims.amr, ['pwd', 'fed']);
      assert.deepEqual((await identitiesOf(server, tenant.slug)).map((i) => [i.user_id, i.subject]), [[local.id, sub]]);

      google.signInAs({ sub, email: local.email, ...account });
      const next = await federatedSignIn(tenant, 'google');
      assert.equal((await signedIn(tenant, next.request, next.step)).claims.sub, local.id, 'now Google alone opens the account');
    });
  }

  it('does not link to a local account whose own email is unverified, however trusted Google is', async () => {
    const tenant = await tenantWith({ trusted: true });
    const email = `pre-${unique()}@example.com`;
    await createUnverifiedUser(server, tenant.slug, email, `Pw-${unique()}-${unique()}`);
    google.signInAs({ sub: `g-${unique()}`, email, email_verified: true });
    noticePage((await federatedSignIn(tenant, 'google')).step, 409);
    assert.deepEqual(await identitiesOf(server, tenant.slug), []);
  });

  it('with sign-up closed, an unknown Google account is refused on the login page and no user is created', async () => {
    const tenant = await tenantWith({ signUp: false });
    const email = `new-${unique()}@gmail.test`;
    google.signInAs({ sub: `g-${unique()}`, email, email_verified: true });
    const page = noticePage((await federatedSignIn(tenant, 'google')).step, 403);
    assert.ok(isLoginPage(page));
    assert.match(visibleText(page.html), /No account here uses this Google account/);
    assert.equal(await userByEmail(server, tenant.slug, email), undefined);
  });

  it('hosted domain: only id_tokens whose hd claim is the domain are accepted', async () => {
    const tenant = await tenantWith({ hostedDomain: 'acme.test' });
    google.signInAs({ sub: `g-${unique()}`, email: `x-${unique()}@acme.test`, email_verified: true, hd: 'acme.test' });
    const ok = await federatedSignIn(tenant, 'google');
    await signedIn(tenant, ok.request, ok.step);
    assert.equal(google.authorizations.at(-1)!.hd, 'acme.test', 'hd is sent as the UI hint');
    for (const hd of [undefined, 'evil.test']) {
      google.signInAs({ sub: `g-${unique()}`, email: `y-${unique()}@gmail.test`, email_verified: true, ...(hd ? { hd } : {}) });
      const refused = noticePage((await federatedSignIn(tenant, 'google')).step, 403);
      assert.match(visibleText(refused.html), /This Google account is not allowed to sign in here\./);
    }
  });

  describe('refusals', () => {
    let tenant: FederatedTenant;
    before(async () => {
      tenant = await tenantWith();
    });

    /** the browser's way to the upstream, stopped before it gets there: the authorization URL Tessera built */
    async function upstreamUrl(browser: Browser): Promise<URL> {
      const { page } = await loginPage(browser, tenant.config);
      const step = await browser.submit(page, '/federated/google', {}, (l) => l.href.startsWith(google.issuer));
      assert.ok(step instanceof URL);
      return step;
    }

    it('a forged or reused state, or a state from another browser, gets the friendly page and signs in nobody', async () => {
      const browser = new Browser();
      await upstreamUrl(browser);
      const forged = asPage(await browser.navigate(`${tenant.callbackUrl}?code=abc&state=${'A'.repeat(43)}`), 'forged');
      assert.equal(forged.status, 400);
      assert.match(visibleText(forged.html), /started in another browser, has expired, or was already used/);

      const victim = new Browser();
      const url = await upstreamUrl(victim);
      const attacker = new Browser();
      const stolen = asPage(await attacker.navigate(`${tenant.callbackUrl}?code=abc&state=${url.searchParams.get('state')}`), 'another browser');
      assert.equal(stolen.status, 400);
      // the state died with that attempt: the victim's own return is refused too (no second try with one state)
      const replay = asPage(await victim.navigate(`${tenant.callbackUrl}?code=abc&state=${url.searchParams.get('state')}`), 'replayed');
      assert.equal(replay.status, 400);
      const failures = await auditOf(server, tenant.slug, ['federation.failed']);
      assert.deepEqual(failures.slice(-3).map((e) => e.data.reason), ['unknown_state', 'browser_mismatch', 'unknown_state']);
    });

    for (const [what, change] of [['a wrong nonce', { nonce: 'not-the-nonce' }], ['an id_token for another audience', { aud: 'someone-else' }], ['another issuer', { iss: 'https://evil.example' }]] as const) {
      it(`${what} in the id_token is refused with a friendly page and a way back`, async () => {
        google.signInAs({ sub: `g-${unique()}`, email: `t-${unique()}@gmail.test`, email_verified: true });
        google.tamperNextIdToken(change);
        const page = noticePage((await federatedSignIn(tenant, 'google')).step, 400);
        assert.match(visibleText(page.html), /Google sent an answer that could not be trusted/);
        assert.match(page.html, /href="\/t\/[^/]+\/interaction\/[^"]+"[^>]*>Continue</);
        assert.equal((await auditOf(server, tenant.slug, ['federation.failed'])).at(-1)!.data.reason, 'invalid_response');
      });
    }

    it('a denied consent at Google comes back as a friendly page', async () => {
      google.denyNext('access_denied');
      const page = noticePage((await federatedSignIn(tenant, 'google')).step, 400);
      assert.match(visibleText(page.html), /Google did not sign you in/);
    });
  });

  describe('an upstream that cannot be reached or does not answer', () => {
    let silent: Server;
    let silentUrl: string;
    const sockets = new Set<Socket>();
    before(async () => {
      silent = createServer((socket) => void sockets.add(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      silentUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    });
    after(() => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      silent.close(() => resolve());
    }));

    for (const [what, issuer] of [['refusing connections', () => 'http://127.0.0.1:9'], ['never answering', () => silentUrl]] as const) {
      it(`${what}: the login page says so (502) instead of failing`, async () => {
        const tenant = await createFederatedTenant(server, () => ({ sso: { type: 'oidc', displayName: 'Acme SSO', clientId: 'x', clientSecret: 'y', issuer: issuer(), timeoutMs: 800 } }));
        const browser = new Browser();
        const { page } = await loginPage(browser, tenant.config);
        const answer = asPage(await continueWith(browser, page, 'sso'), 'the login page');
        assert.equal(answer.status, 502);
        assert.ok(isLoginPage(answer));
        assert.match(visibleText(answer.html), /Acme SSO could not be reached just now/);
      });
    }
  });
});
