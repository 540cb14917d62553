// Hostile, malformed, missing and oversized input at the protocol endpoints oidc-provider serves for a tenant
// (discovery, JWKS, authorization, token, userinfo, introspection, revocation, PAR, logout): never a 500, never a
// stack trace, the RFC error shape or a page for browsers — and nothing we sent (password, client secret, code,
// token) in the server's output. Tessera's own routes: bad-input-hosted.test.ts.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { useTessera } from '../support/use-tessera.js';
import { createClient, createTenant, createUser, redirectUri } from '../support/fixtures.js';
import { codeFlow, discover } from '../support/relying-party.js';
import { assertNoSecretsIn, call, check, form, megabyte } from '../support/bad-input.js';

describe('bad input at the protocol endpoints', () => {
  // trace: the most a misconfigured operator could log must still hold no secret
  const server = useTessera({ LOG_LEVEL: 'trace' });
  let slug: string;
  let issuer: string;
  let user: Awaited<ReturnType<typeof createUser>>;
  let client: { client_id: string; client_secret: string | null };
  let basic: string;
  /** everything secret this file sent: none of it may appear in the server's output */
  const sent = new Set<string>();

  before(async () => {
    ({ slug, issuer } = await createTenant(server));
    [user, client] = await Promise.all([
      createUser(server, slug),
      createClient(server, slug, ['--first-party', '--grant', 'authorization_code', '--grant', 'refresh_token', '--grant', 'client_credentials']),
    ]);
    basic = `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`;
    sent.add(user.password).add(client.client_secret!);
  });

  it('discovery and JWKS ignore junk parameters and refuse wrong methods', async () => {
    const I = `/t/${slug}`;
    await check(server.url, [
      [{ path: `${I}/.well-known/openid-configuration?x=1&x=2&%00=%01&u=%F0%9F%98%80` }, { kind: 'ok', status: 200 }],
      [{ path: `${I}/.well-known/openid-configuration`, method: 'POST', headers: { 'content-type': form }, body: 'a=b' }, { kind: 'app', status: 404 }],
      [{ path: `${I}/.well-known/openid-configuration%00` }, { kind: 'app', status: 404 }],
      [{ path: `${I}/jwks?${'a'.repeat(4000)}` }, { kind: 'ok', status: 200 }],
      [{ path: `${I}/jwks`, method: 'DELETE' }, { kind: 'app', status: 404 }],
      [{ path: `${I}/jwks`, method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"keys":[]}' }, { kind: 'app', status: 404 }],
    ]);
    // a foreign X-Forwarded-Host is not trusted (TRUST_PROXY off): discovery keeps PUBLIC_URL
    const answer = await call(server.url, { path: `${I}/.well-known/openid-configuration`, headers: { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' } });
    assert.equal(answer.json?.issuer, issuer);
    assert.ok(!answer.text.includes('evil.example'));
  });

  it('the authorization endpoint answers bad requests with a page or an error at the redirect_uri', async () => {
    const I = `/t/${slug}`;
    const good = { client_id: client.client_id, redirect_uri: redirectUri, response_type: 'code', scope: 'openid', state: 's', nonce: 'n', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuKG-Ez9Ad0', code_challenge_method: 'S256' };
    const auth = (params: Record<string, string>, extra = '') => ({ path: `${I}/auth?${new URLSearchParams(params)}${extra}` });
    const page = (code: string) => ({ kind: 'page', status: 400, text: new RegExp(`Error code: <code class="ref">${code}</code>`) }) as const;
    await check(server.url, [
      [{ path: `${I}/auth` }, page('invalid_request')],
      [auth({ client_id: 'no-such-client' }), page('invalid_client')],
      // DESIGN.md: oidc-provider threw a TypeError (500) here when redirect_uri was omitted
      [{ path: `${I}/auth/${randomBytes(8).toString('hex')}?client_id=${client.client_id}` }, { kind: 'page', status: 400 }],
      [auth({ client_id: client.client_id }), page('invalid_request')],
      [auth({ ...good, redirect_uri: 'https://evil.example/cb' }), page('invalid_redirect_uri')],
      [auth(good, `&client_id=${client.client_id}`), { kind: 'page', status: 400 }],
      [auth(good, '&state=again'), { kind: 'redirect', error: 'invalid_request' }],
      [auth({ ...good, response_type: 'token' }), { kind: 'redirect', error: 'unsupported_response_type' }],
      [auth({ ...good, code_challenge_method: 'plain' }), { kind: 'redirect', error: 'invalid_request' }],
      [auth({ ...good, claims: '{not json' }), { kind: 'redirect', error: 'invalid_request' }],
      [auth({ ...good, claims: '[1,2]' }), { kind: 'redirect', error: 'invalid_request' }],
      [auth({ ...good, max_age: '-1' }), { kind: 'redirect', error: 'invalid_request' }],
      [auth({ ...good, prompt: 'bogus' }), { kind: 'redirect', error: 'invalid_request' }],
      [auth({ ...good, id_token_hint: 'not.a.jwt' }), { kind: 'redirect', error: 'invalid_request' }],
      [auth({ ...good, request: 'x.y.z' }), { kind: 'redirect', error: 'request_not_supported' }],
      [auth({ ...good, request_uri: 'urn:ietf:params:oauth:request_uri:nope' }), { kind: 'redirect', error: 'invalid_request_uri' }],
      [auth({ ...good, scope: 'openid \u0000\u0001 ☃' }), { kind: 'redirect', error: 'invalid_scope' }],
      [auth({ ...good, state: '\u0000\r\n<script>', login_hint: '\u0000'.repeat(10) + 'é😀'.repeat(300) }), { kind: 'ok', status: 303 }],
      [{ path: `${I}/auth?client_id=%E0%A4%A&redirect_uri=%` }, { kind: 'page', status: 400 }],
      [{ path: `${I}/auth`, method: 'POST', headers: { 'content-type': form }, body: new URLSearchParams(good).toString() }, { kind: 'app', status: 404 }],
      [{ path: `${I}/auth`, method: 'DELETE' }, { kind: 'app', status: 404 }],
    ]);
  });

  it('the token endpoint answers with RFC errors', async () => {
    const T = `/t/${slug}/token`;
    const post = (body: string | Buffer, headers: Record<string, string> = {}) => ({ path: T, method: 'POST', body, headers: { 'content-type': form, ...headers } });
    await check(server.url, [
      [post(''), { kind: 'rfc', status: 400, error: 'invalid_request' }],
      [post('grant_type=client_credentials', { authorization: basic }), { kind: 'ok', status: 200 }],
      [post('grant_type=client_credentials&grant_type=client_credentials', { authorization: basic }), { kind: 'rfc', status: 400, error: 'invalid_request' }],
      [post('grant_type=password&username=a&password=b', { authorization: basic }), { kind: 'rfc', status: 400, error: 'unsupported_grant_type' }],
      [post('grant_type=authorization_code&code=%00&redirect_uri=x', { authorization: basic }), { kind: 'rfc', status: 400, error: 'invalid_grant' }],
      [post('grant_type=authorization_code', { authorization: basic }), { kind: 'rfc', status: 400, error: 'invalid_request' }],
      [post('grant_type=refresh_token&refresh_token=%F0%9F%98%80', { authorization: basic }), { kind: 'rfc', status: 400, error: 'invalid_grant' }],
      [post('grant_type=client_credentials', { authorization: 'Basic %%%' }), { kind: 'rfc', status: 400, error: 'invalid_request' }],
      [post('grant_type=client_credentials', { authorization: `Basic ${Buffer.from('no-colon').toString('base64')}` }), { kind: 'rfc', status: 400, error: 'invalid_request' }],
      [post('grant_type=client_credentials', { authorization: `Basic ${Buffer.from(`${client.client_id}:wrong`).toString('base64')}` }), { kind: 'rfc', status: 401, error: 'invalid_client' }],
      [post(`grant_type=client_credentials&client_id=${client.client_id}&client_secret=${client.client_secret}`, { authorization: basic }), { kind: 'rfc', status: 400, error: 'invalid_request' }],
      [post('{"grant_type":"client_credentials"}', { 'content-type': 'application/json', authorization: basic }), { kind: 'rfc', status: 400, error: 'invalid_request' }],
      [post('{bad json', { 'content-type': 'application/json', authorization: basic }), { kind: 'rfc', status: 400, error: 'invalid_request' }],
      [post('grant_type=client_credentials', { 'content-type': 'text/plain', authorization: basic }), { kind: 'rfc', status: 400, error: 'invalid_request' }],
      [post('grant_type=client_credentials', { 'content-type': `${form}; charset=bogus`, authorization: basic }), { kind: 'ok', status: 200 }],
      [post(Buffer.concat([Buffer.from('grant_type=client_credentials&x='), megabyte]), { authorization: basic }), { kind: 'rfc', status: 413, error: 'invalid_request' }],
      [post(Buffer.from([0xff, 0xfe, 0x00, 0x3d, 0x26]), { authorization: basic }), { kind: 'rfc', status: 400 }],
      [{ path: T }, { kind: 'app', status: 404 }],
      [{ path: T, method: 'PUT', headers: { 'content-type': form }, body: 'grant_type=client_credentials' }, { kind: 'app', status: 404 }],
    ]);
  });

  it('userinfo, introspection, revocation and PAR answer with RFC errors', async () => {
    const I = `/t/${slug}`;
    const post = (path: string, body: string | Buffer, headers: Record<string, string> = {}) => ({ path: `${I}${path}`, method: 'POST', body, headers: { 'content-type': form, ...headers } });
    await check(server.url, [
      [{ path: `${I}/me` }, { kind: 'rfc', status: 401, error: 'invalid_token' }],
      [{ path: `${I}/me`, headers: { authorization: 'Bearer garbage' } }, { kind: 'rfc', status: 401, error: 'invalid_token' }],
      [{ path: `${I}/me`, headers: { authorization: 'Bearer' } }, { kind: 'rfc', status: 400, error: 'invalid_request' }],
      [{ path: `${I}/me`, headers: { authorization: `Bearer ${'a'.repeat(8000)}` } }, { kind: 'rfc', status: 401, error: 'invalid_token' }],
      [{ path: `${I}/me?access_token=a&access_token=b` }, { kind: 'rfc', status: 400, error: 'invalid_request' }],
      [{ path: `${I}/me?access_token=a`, headers: { authorization: 'Bearer b' } }, { kind: 'rfc', status: 400, error: 'invalid_request' }],
      [post('/me', '{', { 'content-type': 'application/json' }), { kind: 'rfc', status: 400, error: 'invalid_request' }],
      [{ path: `${I}/me`, method: 'DELETE' }, { kind: 'app', status: 404 }],

      [post('/token/introspection', 'token=x'), { kind: 'rfc', status: 400, error: 'invalid_request' }],
      [post('/token/introspection', '', { authorization: basic }), { kind: 'rfc', status: 400, error: 'invalid_request' }],
      [post('/token/introspection', 'token=%00%01', { authorization: basic }), { kind: 'ok', status: 200 }],
      [post('/token/introspection', 'token=a&token=b', { authorization: basic }), { kind: 'rfc', status: 400, error: 'invalid_request' }],
      [post('/token/introspection', 'token=x&token_type_hint=%F0%9F%98%80', { authorization: basic }), { kind: 'ok', status: 200 }],
      [post('/token/introspection', megabyte, { authorization: basic }), { kind: 'rfc', status: 413, error: 'invalid_request' }],
      [post('/token/introspection', '[]', { authorization: basic, 'content-type': 'application/json' }), { kind: 'rfc', status: 400, error: 'invalid_request' }],

      [post('/token/revocation', '', { authorization: basic }), { kind: 'rfc', status: 400, error: 'invalid_request' }],
      [post('/token/revocation', 'token=%00', { authorization: basic }), { kind: 'ok', status: 200 }],
      [post('/token/revocation', 'token=x', { authorization: 'Bearer x' }), { kind: 'rfc', status: 400, error: 'invalid_request' }],
      [post('/token/revocation', megabyte, { authorization: basic }), { kind: 'rfc', status: 413, error: 'invalid_request' }],

      [post('/request', 'client_id=nobody'), { kind: 'rfc', status: 401, error: 'invalid_client' }],
      [post('/request', 'response_type=code', { authorization: basic }), { kind: 'rfc', status: 400, error: 'invalid_request' }],
      [post('/request', `client_id=${client.client_id}&response_type=code&scope=openid&redirect_uri=https://evil.example/`, { authorization: basic }), { kind: 'rfc', status: 400, error: 'invalid_request' }],
      [post('/request', 'request_uri=urn:x', { authorization: basic }), { kind: 'rfc', status: 400, error: 'request_uri_not_supported' }],
      [post('/request', '{"a":1}', { authorization: basic, 'content-type': 'application/json' }), { kind: 'rfc', status: 400, error: 'invalid_request' }],
      [post('/request', megabyte, { authorization: basic }), { kind: 'rfc', status: 413, error: 'invalid_request' }],
      [{ path: `${I}/request` }, { kind: 'app', status: 404 }],
    ]);
  });

  it('RP-initiated logout answers bad hints with RFC errors', async () => {
    const I = `/t/${slug}`;
    await check(server.url, [
      [{ path: `${I}/session/end?id_token_hint=garbage` }, { kind: 'rfc', status: 400, error: 'invalid_request' }],
      [{ path: `${I}/session/end?id_token_hint=${'a'.repeat(50)}.${'b'.repeat(50)}.c` }, { kind: 'rfc', status: 400, error: 'invalid_request' }],
      [{ path: `${I}/session/end?client_id=nobody` }, { kind: 'rfc', status: 400, error: 'invalid_client' }],
      [{ path: `${I}/session/end?client_id=${client.client_id}&post_logout_redirect_uri=https://evil.example/` }, { kind: 'rfc', status: 400, error: 'invalid_request' }],
      [{ path: `${I}/session/end?state=a&state=b` }, { kind: 'rfc', status: 400, error: 'invalid_request' }],
      [{ path: `${I}/session/end/confirm`, method: 'POST', headers: { 'content-type': form }, body: 'xsrf=forged&logout=yes' }, { kind: 'rfc', status: 400, error: 'invalid_request' }],
      [{ path: `${I}/session/end/confirm`, method: 'POST', headers: { 'content-type': form }, body: megabyte }, { kind: 'rfc', status: 413, error: 'invalid_request' }],
      [{ path: `${I}/session/end/success?client_id=nobody` }, { kind: 'rfc', status: 400, error: 'invalid_client' }],
      [{ path: `${I}/session/end/success?state=%01%02` }, { kind: 'ok', status: 200 }],
    ]);
  });

  // PostgreSQL text cannot hold U+0000: an id that reaches a query unchecked fails as a database error (500).
  it('answers a NUL byte in a client_id with a 4xx at every endpoint', async () => {
    const I = `/t/${slug}`;
    const post = (path: string, body: string) => ({ path: `${I}${path}`, method: 'POST', body, headers: { 'content-type': form } });
    await check(server.url, [
      [{ path: `${I}/auth?client_id=%00` }, { kind: 'page', status: 400 }],
      [{ path: `${I}/auth?client_id=a%00b&redirect_uri=${encodeURIComponent(redirectUri)}&response_type=code&scope=openid` }, { kind: 'page', status: 400 }],
      [{ path: `${I}/session/end?client_id=%00` }, { kind: 'rfc', status: 400, error: 'invalid_client' }],
      [{ path: `${I}/session/end/success?client_id=%00` }, { kind: 'rfc', status: 400, error: 'invalid_client' }],
      [post('/token', 'grant_type=client_credentials&client_id=%00&client_secret=x'), { kind: 'rfc', status: 401, error: 'invalid_client' }],
      [post('/token/introspection', 'token=x&client_id=%00&client_secret=x'), { kind: 'rfc', status: 401, error: 'invalid_client' }],
      [post('/token/revocation', 'token=x&client_id=x%00&client_secret=x'), { kind: 'rfc', status: 401, error: 'invalid_client' }],
      [post('/request', 'client_id=%00&client_secret=x&response_type=code'), { kind: 'rfc', status: 401, error: 'invalid_client' }],
    ]);
  });

  it('never writes a password, client secret, code or token it was sent into its output', async () => {
    const config = await discover(issuer, client.client_id, client.client_secret!);
    // offline_access is only honoured with prompt=consent (OIDC Core 11)
    const { tokens, callback } = await codeFlow(config, redirectUri, user, { params: { scope: 'openid offline_access', prompt: 'consent' } });
    assert.ok(tokens.refresh_token, 'a refresh token to keep secret too');
    const code = callback.searchParams.get('code')!;
    for (const secret of [code, tokens.access_token, tokens.id_token!, tokens.refresh_token].filter(Boolean) as string[]) sent.add(secret);
    // the same secrets, sent where they are wrong: replayed code, tokens in bad places, malformed bodies
    const I = `/t/${slug}`;
    const replay = await call(server.url, { path: `${I}/token`, method: 'POST', headers: { 'content-type': form, authorization: basic }, body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: 'x'.repeat(43) }).toString() });
    assert.equal(replay.json?.error, 'invalid_grant');
    await call(server.url, { path: `${I}/me?access_token=${tokens.access_token}&access_token=${tokens.access_token}` });
    await call(server.url, { path: `${I}/token/introspection`, method: 'POST', headers: { 'content-type': 'application/json', authorization: basic }, body: `{"token":"${tokens.access_token}"` });
    await call(server.url, { path: `${I}/token/introspection`, method: 'POST', headers: { 'content-type': form }, body: `token=${tokens.access_token}&client_id=${client.client_id}&client_secret=${client.client_secret}x` });
    await call(server.url, { path: `${I}/token`, method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"client_secret":"${client.client_secret}","password":"${user.password}"` });
    await call(server.url, { path: `${I}/session/end?id_token_hint=${tokens.id_token}x` });
    await call(server.url, { path: `${I}/auth?client_id=${client.client_id}&login_hint=${encodeURIComponent(user.password)}&id_token_hint=${tokens.id_token}` });
    const cc = await call(server.url, { path: `${I}/token`, method: 'POST', headers: { 'content-type': form, authorization: basic }, body: 'grant_type=client_credentials' });
    sent.add(String(cc.json?.access_token));
    await call(server.url, { path: `${I}/token/revocation`, method: 'POST', headers: { 'content-type': form, authorization: basic }, body: `token=${cc.json?.access_token}` });

    assertNoSecretsIn([['server', server]], sent);
  });
});
