// The upstream stand-ins driven directly, the way Tessera will drive them: before federated sign-in tests lean on
// them, they must behave as VENDORS §5–8 document (Google, Apple, GitHub, Discord) and refuse what is not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import * as jose from 'jose';
import { Browser, formsOf, isPage, type Page } from '../support/browser.js';
import { startOidcUpstream } from '../support/upstreams/oidc-upstream.js';
import { startGitHubStandIn, type GitHubAccount } from '../support/upstreams/github-stand-in.js';
import { startDiscordStandIn } from '../support/upstreams/discord-stand-in.js';

const redirectUri = 'http://127.0.0.1:9/t/acme/federated/callback';

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** a browser's walk from the authorization endpoint to the callback (URL) or to the page it stops at */
function authorize(endpoint: string, params: Record<string, string>): Promise<Page | URL> {
  const url = new URL(endpoint);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return new Browser().navigate(url, (location) => location.href.startsWith(redirectUri));
}

async function callback(endpoint: string, params: Record<string, string>): Promise<URLSearchParams> {
  const step = await authorize(endpoint, params);
  assert.ok(step instanceof URL, `did not reach the callback: ${isPage(step) ? `${step.status} ${step.html.slice(0, 300)}` : ''}`);
  return step.searchParams;
}

async function post(url: string, body: URLSearchParams | string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { method: 'POST', body, headers });
  const text = await response.text();
  return { status: response.status, type: response.headers.get('content-type') ?? '', text, json: () => JSON.parse(text) as Record<string, unknown> };
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

test('google: code flow with PKCE and nonce, id_token verifiable with the JWKS; a tampered id_token is still validly signed', async (t) => {
  const google = await startOidcUpstream('google');
  t.after(() => google.close());
  const discovery = await (await fetch(`${google.issuer}/.well-known/openid-configuration`)).json() as Record<string, string>;
  assert.equal(discovery.authorization_endpoint, `${google.issuer}/o/oauth2/v2/auth`);
  assert.equal(discovery.jwks_uri, `${google.issuer}/oauth2/v3/certs`);
  const client = google.registerClient({ redirectUris: [redirectUri] });
  const jwks = jose.createRemoteJWKSet(new URL(discovery.jwks_uri!));
  const account = { sub: '110169484474386276334', email: 'ada@example.com', name: 'Ada Lovelace', hd: 'example.com' };

  const signIn = async (nonce: string) => {
    const { verifier, challenge } = pkce();
    google.signInAs(account);
    const result = await callback(discovery.authorization_endpoint!, {
      client_id: client.clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid email profile', state: `s-${nonce}`, nonce,
      code_challenge: challenge, code_challenge_method: 'S256', access_type: 'online',
    });
    assert.equal(result.get('state'), `s-${nonce}`);
    // client_secret_basic here: the stand-in takes both methods Google advertises
    const tokens = await post(discovery.token_endpoint!, new URLSearchParams({ grant_type: 'authorization_code', code: result.get('code')!, redirect_uri: redirectUri, code_verifier: verifier }),
      { authorization: basic(client.clientId, client.clientSecret) });
    assert.equal(tokens.status, 200, tokens.text);
    return (await jose.jwtVerify(String(tokens.json().id_token), jwks, { issuer: google.issuer, audience: client.clientId, algorithms: ['RS256'] })).payload;
  };

  const claims = await signIn('n-1');
  assert.equal(claims.sub, account.sub);
  assert.equal(claims.email_verified, true, 'Google sends email_verified as a boolean by default');
  assert.equal(claims.hd, 'example.com');
  assert.equal(claims.nonce, 'n-1');
  assert.equal(google.authorizations[0]!.code_challenge_method, 'S256');
  assert.match(google.tokenRequests[0]!.authorization ?? '', /^Basic /);

  google.tamperNextIdToken({ email: 'mallory@example.com', nonce: undefined });
  const tampered = await signIn('n-2');
  assert.equal(tampered.email, 'mallory@example.com');
  assert.equal(tampered.nonce, undefined);
  assert.deepEqual(google.rejections, []);
});

test('generic: denyNext answers access_denied with the state; no queued account is a 400 and a rejection', async (t) => {
  const generic = await startOidcUpstream('generic');
  t.after(() => generic.close());
  const client = generic.registerClient({ redirectUris: [redirectUri] });
  const params = { client_id: client.clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid email', state: 'st' };
  generic.denyNext();
  const denied = await callback(`${generic.issuer}/auth`, params);
  assert.equal(denied.get('error'), 'access_denied');
  assert.equal(denied.get('state'), 'st');
  assert.equal(generic.rejections.length, 0);
  const page = await authorize(`${generic.issuer}/auth`, params);
  assert.ok(isPage(page) && page.status === 400 && page.html === 'no account queued');
  assert.deepEqual(generic.rejections.splice(0).map((r) => r.reason), ['no account queued']);
});

test('apple: form_post required for name/email, `user` only on the first authorization, ES256 client_secret checked', async (t) => {
  const apple = await startOidcUpstream('apple');
  t.after(() => apple.close());
  const key = await jose.generateKeyPair('ES256');
  const appleIds = { teamId: 'TEAM123456', keyId: 'KEY1234567' };
  const client = apple.registerClient({ redirectUris: [redirectUri], apple: { ...appleIds, publicKey: key.publicKey } });
  const clientSecret = (signer: CryptoKey) => new jose.SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: appleIds.keyId }).setIssuer(appleIds.teamId)
    .setSubject(client.clientId).setAudience('https://appleid.apple.com').setIssuedAt().setExpirationTime('1h').sign(signer);
  const params = { client_id: client.clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'name email', state: 'st', nonce: 'n' };

  const refused = await authorize(`${apple.issuer}/auth/authorize`, params);
  assert.ok(isPage(refused) && refused.status === 400 && refused.html.includes('response_mode must be form_post when name or email scope is requested'));
  assert.equal(apple.rejections.splice(0).length, 1);

  const account = { sub: '001234.5f2a.0923', email: 'q7x@privaterelay.appleid.com', given_name: 'Ada', family_name: 'Lovelace', is_private_email: true };
  const formPost = async () => {
    apple.signInAs(account);
    const page = await authorize(`${apple.issuer}/auth/authorize`, { ...params, response_mode: 'form_post' });
    assert.ok(isPage(page) && page.status === 200, `a form_post page: ${isPage(page) ? page.html : String(page)}`);
    const [form] = formsOf(page.html);
    assert.equal(form?.action, redirectUri);
    return form!.fields;
  };
  const first = await formPost();
  assert.equal(first.state, 'st');
  assert.deepEqual(JSON.parse(first.user!), { name: { firstName: 'Ada', lastName: 'Lovelace' }, email: account.email });
  const second = await formPost();
  assert.equal(second.user, undefined, 'Apple sends `user` on the first authorization only');

  const exchange = async (secret: string) => post(`${apple.issuer}/auth/token`,
    new URLSearchParams({ client_id: client.clientId, client_secret: secret, code: second.code!, grant_type: 'authorization_code', redirect_uri: redirectUri }),
    { 'content-type': 'application/x-www-form-urlencoded' });
  const wrong = await exchange(await clientSecret((await jose.generateKeyPair('ES256')).privateKey));
  assert.equal(wrong.status, 400);
  assert.deepEqual(wrong.json(), { error: 'invalid_client' });
  assert.match(apple.rejections.splice(0)[0]!.reason, /signature/);

  const tokens = await exchange(await clientSecret(key.privateKey));
  assert.equal(tokens.status, 200, tokens.text);
  const { payload } = await jose.jwtVerify(String(tokens.json().id_token), jose.createRemoteJWKSet(new URL(`${apple.issuer}/auth/keys`)),
    { issuer: apple.issuer, audience: client.clientId });
  assert.equal(payload.email_verified, 'true', 'a string by default, as Apple sends it');
  assert.equal(payload.is_private_email, true, 'passed through as given');
  assert.equal(payload.nonce, 'n');
  assert.deepEqual(apple.rejections, []);
});

test('github: token errors at HTTP 200, JSON or form by Accept, User-Agent required, emails need user:email', async (t) => {
  const github = await startGitHubStandIn();
  t.after(() => github.close());
  const client = github.registerClient({ redirectUris: [redirectUri] });
  const account: GitHubAccount = {
    id: 583231, login: 'octocat', name: 'The Octocat', email: null, orgs: ['github'],
    emails: [{ email: 'octocat@github.com', primary: true, verified: true, visibility: null }],
  };
  const code = async (scope: string, challenge?: string) => {
    github.signInAs(account);
    const result = await callback(`${github.url}/login/oauth/authorize`, {
      client_id: client.clientId, redirect_uri: redirectUri, scope, state: 'st',
      ...(challenge ? { code_challenge: challenge, code_challenge_method: 'S256' } : {}),
    });
    assert.equal(result.get('state'), 'st');
    return result.get('code')!;
  };
  const token = (fields: Record<string, string>, accept?: string) => post(`${github.url}/login/oauth/access_token`, JSON.stringify(fields),
    { 'content-type': 'application/json', ...(accept ? { accept } : {}) });
  const { verifier, challenge } = pkce();
  const first = await code('read:user user:email', challenge);
  const exchange = { client_id: client.clientId, client_secret: client.clientSecret, code: first, redirect_uri: redirectUri, code_verifier: verifier };

  github.failNextToken('incorrect_client_credentials');
  const failed = await token(exchange, 'application/json');
  assert.equal(failed.status, 200);
  assert.equal(failed.json().error, 'incorrect_client_credentials');
  const badCode = await token({ ...exchange, code: 'nope' });
  assert.equal(badCode.status, 200);
  assert.match(badCode.type, /x-www-form-urlencoded/);
  assert.equal(new URLSearchParams(badCode.text).get('error'), 'bad_verification_code');
  const granted = await token(exchange, 'application/json');
  assert.deepEqual({ ...granted.json(), access_token: '' }, { access_token: '', scope: 'read:user,user:email', token_type: 'bearer' });
  const accessToken = String(granted.json().access_token);
  assert.equal(new URLSearchParams((await token(exchange)).text).get('error'), 'bad_verification_code', 'codes are single use');

  const api = (path: string, bearer = accessToken) => fetch(`${github.url}${path}`, { headers: { authorization: `Bearer ${bearer}`, accept: 'application/vnd.github+json' } });
  const user = await (await api('/user')).json() as Record<string, unknown>;
  assert.deepEqual([user.login, user.id, user.email, user.type], ['octocat', 583231, null, 'User']);
  assert.deepEqual(await (await api('/user/emails?per_page=100')).json(), account.emails);
  assert.deepEqual(await (await api('/user/orgs')).json(), [], 'no read:org, no orgs');
  assert.equal((await api('/user', 'gho_wrong')).status, 401);

  const status = await new Promise<number>((resolve, reject) => {
    request(`${github.url}/user`, { headers: { authorization: `Bearer ${accessToken}` } }, (res) => resolve(res.resume().statusCode!)).on('error', reject).end();
  });
  assert.equal(status, 403);
  assert.deepEqual(github.rejections.splice(0).map((r) => r.reason), ['no User-Agent header (GitHub requires one)']);

  const readUserOnly = await token({ client_id: client.clientId, client_secret: client.clientSecret, code: await code('read:user') }, 'application/json');
  assert.equal((await api('/user/emails', String(readUserOnly.json().access_token))).status, 404);
  assert.deepEqual(github.rejections, []);
});

test('discord: JSON token bodies refused; Basic auth accepted; email and verified only with the email scope', async (t) => {
  const discord = await startDiscordStandIn();
  t.after(() => discord.close());
  const client = discord.registerClient({ redirectUris: [redirectUri] });
  const account = { id: '80351110224678912', username: 'nelly', global_name: 'Nelly', email: 'nelly@example.com', verified: true };
  const code = async (scope: string) => {
    discord.signInAs(account);
    const result = await callback(`${discord.url}/oauth2/authorize`, { response_type: 'code', client_id: client.clientId, scope, state: 'st', redirect_uri: redirectUri, prompt: 'consent' });
    return result.get('code')!;
  };
  const fields = async (scope: string) => ({ grant_type: 'authorization_code', code: await code(scope), redirect_uri: redirectUri });
  const auth = { authorization: basic(client.clientId, client.clientSecret) };

  const asJson = await post(`${discord.url}/api/oauth2/token`, JSON.stringify(await fields('identify email')), { ...auth, 'content-type': 'application/json' });
  assert.equal(asJson.status, 400);
  assert.match(discord.rejections.splice(0)[0]!.reason, /only application\/x-www-form-urlencoded/);

  const me = async (scope: string) => {
    const tokens = await post(`${discord.url}/api/oauth2/token`, new URLSearchParams(await fields(scope)), auth);
    assert.equal(tokens.status, 200, tokens.text);
    assert.equal(tokens.json().scope, scope);
    const response = await fetch(`${discord.url}/api/v10/users/@me`, { headers: { authorization: `Bearer ${String(tokens.json().access_token)}` } });
    return await response.json() as Record<string, unknown>;
  };
  const full = await me('identify email');
  assert.deepEqual([full.id, full.username, full.discriminator, full.global_name, full.email, full.verified], [account.id, 'nelly', '0', 'Nelly', account.email, true]);
  const identifyOnly = await me('identify');
  assert.equal(identifyOnly.id, account.id);
  assert.ok(!('email' in identifyOnly) && !('verified' in identifyOnly));
  assert.deepEqual(discord.rejections, []);
});
