// Nothing crosses tenants (DESIGN.md "Tenancy"): a client, user, token, key or session of tenant A is unknown at
// tenant B, even when presented there on purpose.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as jose from 'jose';
import { useTessera } from '../support/use-tessera.js';
import { cliJson, createClient, createTenant, createUser, redirectUri } from '../support/fixtures.js';
import { authorizationRequest, codeFlow, discover, oidc, refusal, signInOffline } from '../support/relying-party.js';
import { Browser, isPage } from '../support/browser.js';

/** a browser that remembers every cookie it was sent, so a test can replay them where the jar would not */
class RecordingBrowser extends Browser {
  readonly received = new Map<string, string>();

  override async fetch(input: string | URL, init?: Parameters<Browser['fetch']>[1]): Promise<Response> {
    const response = await super.fetch(input, init);
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';')[0]!;
      const eq = pair.indexOf('=');
      if (pair.slice(eq + 1)) this.received.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return response;
  }

  cookieHeader(): string {
    return [...this.received].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

interface Side {
  tenant: { slug: string; issuer: string };
  client: { client_id: string; client_secret: string | null };
  config: oidc.Configuration;
  user: Awaited<ReturnType<typeof createUser>>;
}

describe('tenant isolation', () => {
  const server = useTessera();
  let a: Side;
  let b: Side;
  let fromA: { tokens: Awaited<ReturnType<typeof signInOffline>>; browser: RecordingBrowser };

  async function side(): Promise<Side> {
    const tenant = await createTenant(server);
    const [client, user] = await Promise.all([createClient(server, tenant.slug, ['--first-party']), createUser(server, tenant.slug)]);
    return { tenant, client, user, config: await discover(tenant.issuer, client.client_id, client.client_secret!) };
  }

  /** the login page of a fresh authorization request at `to` */
  async function loginPageAt(to: Side, browser = new Browser()) {
    const request = await authorizationRequest(to.config, redirectUri);
    const page = await browser.navigate(request.url, (l) => l.href.startsWith(redirectUri));
    assert.ok(isPage(page) && page.html.includes('/login"'), 'the login page');
    return { page, browser };
  }

  before(async () => {
    [a, b] = await Promise.all([side(), side()]);
    const browser = new RecordingBrowser();
    fromA = { tokens: await signInOffline(a.config, a.user, { browser, scope: 'openid email offline_access' }), browser };
  });

  it("does not know tenant A's client at tenant B (invalid_client)", async () => {
    const aClientAtB = await discover(b.tenant.issuer, a.client.client_id, a.client.client_secret!);
    assert.deepEqual(await refusal(oidc.refreshTokenGrant(aClientAtB, fromA.tokens.refresh_token!)), { error: 'invalid_client', status: 401 });

    const url = oidc.buildAuthorizationUrl(aClientAtB, { redirect_uri: redirectUri, scope: 'openid', state: 's', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256' });
    const page = await new Browser().navigate(url, (l) => l.href.startsWith(redirectUri));
    assert.ok(isPage(page), 'no redirect for a client B does not know');
    assert.equal(page.status, 400);
  });

  it("does not let tenant A's user sign in at tenant B, with the same message as a wrong password", async () => {
    const { page, browser } = await loginPageAt(b);
    const refused = await browser.submit(page, '/login', { email: a.user.email, password: a.user.password }, (l) => l.href.startsWith(redirectUri));
    assert.ok(isPage(refused), 'no code for a user of another tenant');
    assert.equal(refused.status, 401);
    assert.match(refused.html, /The email or password is incorrect\./);

    const wrongPassword = await loginPageAt(b);
    const compare = await wrongPassword.browser.submit(wrongPassword.page, '/login', { email: b.user.email, password: `${b.user.password}x` }, (l) => l.href.startsWith(redirectUri));
    assert.ok(isPage(compare));
    assert.equal(compare.status, refused.status);
    const message = (html: string) => /<p class="error"[^>]*>([^<]*)<\/p>/.exec(html)?.[1];
    assert.equal(message(refused.html), message(compare.html), 'the two refusals read the same');
  });

  it('keeps a user with the same email in two tenants as two accounts', async () => {
    const twin = await createUser(server, b.tenant.slug, { email: a.user.email });
    assert.notEqual(twin.id, a.user.id);
    const { page, browser } = await loginPageAt(b);
    const refused = await browser.submit(page, '/login', { email: a.user.email, password: a.user.password }, (l) => l.href.startsWith(redirectUri));
    assert.ok(isPage(refused) && refused.status === 401, "A's password does not open B's account");
    const { tokens } = await codeFlow(b.config, redirectUri, twin);
    assert.equal(tokens.claims()!.sub, twin.id);
  });

  it("refuses tenant A's access token at tenant B's userinfo", async () => {
    const live = await fetch(a.config.serverMetadata().userinfo_endpoint!, { headers: { authorization: `Bearer ${fromA.tokens.access_token}` } });
    assert.equal(live.status, 200, 'the token is live at A');
    const atB = await fetch(b.config.serverMetadata().userinfo_endpoint!, { headers: { authorization: `Bearer ${fromA.tokens.access_token}` } });
    assert.equal(atB.status, 401);
    assert.match(atB.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
  });

  it("refuses tenant A's refresh token at tenant B (invalid_grant) and reports it inactive there", async () => {
    assert.deepEqual(await refusal(oidc.refreshTokenGrant(b.config, fromA.tokens.refresh_token!)), { error: 'invalid_grant', status: 400 });
    assert.deepEqual({ ...(await oidc.tokenIntrospection(b.config, fromA.tokens.refresh_token!)) }, { active: false });
    assert.equal((await oidc.tokenIntrospection(a.config, fromA.tokens.refresh_token!)).active, true, 'still live at A');
  });

  it("does not verify tenant A's id_token or JWT access token with tenant B's JWKS", async () => {
    const jwksA = jose.createRemoteJWKSet(new URL(`${a.tenant.issuer}/jwks`));
    const jwksB = jose.createRemoteJWKSet(new URL(`${b.tenant.issuer}/jwks`));
    await jose.jwtVerify(fromA.tokens.id_token!, jwksA, { issuer: a.tenant.issuer });
    await assert.rejects(jose.jwtVerify(fromA.tokens.id_token!, jwksB), jose.errors.JWKSNoMatchingKey);

    const machine = await cliJson<{ client_id: string; client_secret: string }>(server, ['client', 'create', '--tenant', a.tenant.slug, '--name', 'Worker', '--grant', 'client_credentials']);
    const { access_token: jwt } = await oidc.clientCredentialsGrant(await discover(a.tenant.issuer, machine.client_id, machine.client_secret));
    await jose.jwtVerify(jwt, jwksA, { issuer: a.tenant.issuer, audience: `${a.tenant.issuer}/api` });
    await assert.rejects(jose.jwtVerify(jwt, jwksB), jose.errors.JWKSNoMatchingKey);
  });

  it("does not give tenant A's session at tenant B, even when its cookies are sent there (prompt=none → login_required)", async () => {
    const silent = async (to: Side, cookie?: string) => {
      const request = await authorizationRequest(to.config, redirectUri, { prompt: 'none' });
      const browser = new Browser(cookie ? { cookie } : {});
      const location = await browser.navigate(request.url, (l) => l.href.startsWith(redirectUri));
      assert.ok(!isPage(location));
      return location.searchParams;
    };
    const cookie = fromA.browser.cookieHeader();
    assert.match(cookie, /_session=/, "A's session cookie was recorded");
    assert.ok((await silent(a, cookie)).get('code'), "the cookies carry A's session at A");
    assert.equal((await silent(b, cookie)).get('error'), 'login_required');

    const request = await authorizationRequest(b.config, redirectUri, { prompt: 'none' });
    const location = await fromA.browser.navigate(request.url, (l) => l.href.startsWith(redirectUri));
    assert.ok(!isPage(location));
    assert.equal(location.searchParams.get('error'), 'login_required', 'the browser signed in at A is not signed in at B');
  });
});
