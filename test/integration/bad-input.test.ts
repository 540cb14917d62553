// Hostile, malformed, missing and oversized input at every endpoint: never a 500, never a stack trace, the RFC
// error shape from protocol endpoints, `{error, message}` from ours, a page for browsers — and nothing we sent
// (password, client secret, code, token) in the server's output.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestServices, type TestServices } from '../support/test-env.js';
import { startTessera, type TesseraProcess } from '../support/tessera-process.js';
import { createClient, createTenant, createUser, redirectUri } from '../support/fixtures.js';
import { Browser, formsOf, isPage } from '../support/browser.js';
import { authorizationRequest, codeFlow, discover } from '../support/relying-party.js';

interface Probe { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer }
interface Answer { status: number; headers: Headers; text: string; json: Record<string, unknown> | null }

type Expect =
  | { kind: 'rfc'; status: number; error?: string } // RFC 6749 / OIDC error JSON from oidc-provider
  | { kind: 'app'; status: number; error?: string } // our `{error, message}` JSON
  | { kind: 'page'; status: number; text?: RegExp } // our branded HTML page
  | { kind: 'ok'; status: number }
  | { kind: 'redirect'; error: string }; // the error goes back to the client's redirect_uri

const form = 'application/x-www-form-urlencoded';
const megabyte = Buffer.alloc(1024 * 1024, 'a');
const stackTrace = /\n\s+at [^\n]+\(|node_modules|\.(?:js|ts|mjs):\d+:\d+|Error: [^\n]*\n\s+at /;

async function call(base: string, probe: Probe): Promise<Answer> {
  const response = await fetch(new URL(probe.path, base), {
    method: probe.method ?? 'GET', body: typeof probe.body === 'string' ? probe.body : probe.body && new Uint8Array(probe.body), redirect: 'manual', headers: { accept: 'application/json', ...probe.headers },
  });
  const text = await response.text();
  let json: Record<string, unknown> | null = null;
  try { json = JSON.parse(text) as Record<string, unknown>; } catch { /* not JSON */ }
  return { status: response.status, headers: response.headers, text, json };
}

function label(probe: Probe): string {
  const path = probe.path.length > 100 ? `${probe.path.slice(0, 100)}…(${probe.path.length})` : probe.path;
  return `${probe.method ?? 'GET'} ${path} ${JSON.stringify(probe.headers ?? {})}`;
}

/** what every answer must satisfy, whatever was sent */
function assertSafe(answer: Answer, what: string) {
  assert.ok(answer.status < 500, `${what} → ${answer.status}\n${answer.text.slice(0, 500)}`);
  assert.doesNotMatch(answer.text, stackTrace, `${what}: stack trace in the body`);
}

function assertExpected(answer: Answer, expected: Expect, what: string) {
  assertSafe(answer, what);
  const body = `${what} → ${answer.status} ${answer.text.slice(0, 300)}`;
  switch (expected.kind) {
    case 'rfc':
      assert.equal(answer.status, expected.status, body);
      assert.match(String(answer.json?.error), /^[a-z_]+$/, `${body}: an RFC error code`);
      assert.equal(answer.json?.message, undefined, body);
      if (expected.error) assert.equal(answer.json?.error, expected.error, body);
      break;
    case 'app':
      assert.equal(answer.status, expected.status, body);
      assert.match(String(answer.json?.error), /^[a-z]+\.[a-z_]+$/, `${body}: a catalogue code`);
      assert.equal(typeof answer.json?.message, 'string', body);
      if (expected.error) assert.equal(answer.json?.error, expected.error, body);
      break;
    case 'page':
      assert.equal(answer.status, expected.status, body);
      assert.match(answer.headers.get('content-type') ?? '', /^text\/html/, body);
      assert.match(answer.text, /^<!doctype html>/, body);
      assert.match(answer.headers.get('content-security-policy') ?? '', /default-src 'none'/, body);
      if (expected.text) assert.match(answer.text, expected.text, body);
      break;
    case 'ok':
      assert.equal(answer.status, expected.status, body);
      break;
    case 'redirect': {
      assert.ok([302, 303].includes(answer.status), body);
      const location = new URL(answer.headers.get('location') ?? '', 'http://invalid');
      assert.ok(location.href.startsWith(redirectUri), `${body}: to the redirect_uri, got ${location.href}`);
      // query for the code flow; fragment when the (refused) response_type asked for one (OAuth 2.0 Multiple Response Types)
      const params = location.search ? location.searchParams : new URLSearchParams(location.hash.slice(1));
      assert.equal(params.get('error'), expected.error, body);
      break;
    }
  }
}

/** an HTTP/1.1 request with a Host header fetch() would not send */
function rawHost(port: number, path: string, host: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers: { host, accept: 'application/json' }, setHost: false }, (res) => {
      let text = '';
      res.on('data', (chunk) => { text += chunk; });
      res.on('end', () => {
        let json = null;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode!, headers: new Headers(res.headers as Record<string, string>), text, json });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** the status line of a request written byte for byte (no Host at all, bare control characters) */
function rawRequest(port: number, head: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(head));
    let text = '';
    socket.on('data', (chunk) => { text += chunk; });
    socket.on('end', () => resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0), text }));
    socket.on('error', reject);
  });
}

describe('bad input', () => {
  let services: TestServices;
  let server: TesseraProcess;
  let embedded: TesseraProcess;
  let dataDir: string;
  let slug: string;
  let issuer: string;
  let user: Awaited<ReturnType<typeof createUser>>;
  let client: { client_id: string; client_secret: string | null };
  let basic: string;
  /** everything secret this file sent: none of it may appear in a server's output */
  const sent = new Set<string>();

  before(async () => {
    services = await createTestServices();
    dataDir = mkdtempSync(join(tmpdir(), 'tessera-bad-input-'));
    // trace: the most a misconfigured operator could log must still hold no secret
    [server, embedded] = await Promise.all([
      startTessera({ ...services.env, LOG_LEVEL: 'trace' }),
      // the embedded database serves the CLI endpoint; SEED_DEMO mounts /demo/*
      startTessera({
        KEY_ENCRYPTION_KEY: services.env.KEY_ENCRYPTION_KEY!, COOKIE_SECRETS: services.env.COOKIE_SECRETS!,
        DATA_DIR: dataDir, SEED_DEMO: 'true', NODE_ENV: 'test', BCRYPT_COST: '4', LOG_LEVEL: 'trace',
      }),
    ]);
    ({ slug, issuer } = await createTenant(server));
    [user, client] = await Promise.all([
      createUser(server, slug),
      createClient(server, slug, ['--first-party', '--grant', 'authorization_code', '--grant', 'refresh_token', '--grant', 'client_credentials']),
    ]);
    basic = `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`;
    sent.add(user.password).add(client.client_secret!);
  });
  after(async () => {
    await Promise.allSettled([server?.stop(), embedded?.stop()]);
    await services?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function check(cases: [Probe, Expect][], base = server.url) {
    for (const [probe, expected] of cases) {
      const answer = await call(base, probe);
      assertExpected(answer, expected, label(probe));
      // the same request from a browser gets a page or the same answer, never worse
      const html = await call(base, { ...probe, headers: { ...probe.headers, accept: 'text/html' } });
      assertSafe(html, `${label(probe)} as a browser`);
      if (html.headers.get('content-type')?.startsWith('text/html') && html.status >= 400) {
        assert.match(html.text, /<!doctype html>/, `${label(probe)} as a browser: our page`);
      }
    }
  }

  it('discovery and JWKS ignore junk parameters and refuse wrong methods', async () => {
    const I = `/t/${slug}`;
    await check([
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
    await check([
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
    await check([
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
    await check([
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
    await check([
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

  it('the hosted-page routes answer junk with pages or our JSON errors', async () => {
    const I = `/t/${slug}/interaction`;
    const uid = randomBytes(16).toString('base64url');
    const expired = { kind: 'page', status: 400, text: /This sign-in has expired/ } as const;
    await check([
      [{ path: `${I}/${uid}` }, expired],
      [{ path: `${I}/%00` }, expired],
      [{ path: `${I}/%E0%A4%A` }, expired],
      [{ path: `${I}/${'x'.repeat(6000)}` }, expired],
      [{ path: `${I}/${uid}`, headers: { cookie: '_interaction=%%%; _interaction.sig=garbage; _session=; _session.legacy=%00' } }, expired],
      [{ path: `${I}/${uid}/login`, method: 'POST', headers: { 'content-type': form }, body: 'email=a&email=b&password=%00&_csrf=x&_csrf=y' }, expired],
      [{ path: `${I}/${uid}/login`, method: 'POST', headers: { 'content-type': form }, body: megabyte }, { kind: 'app', status: 413, error: 'request.too_large' }],
      [{ path: `${I}/${uid}/login`, method: 'POST', headers: { 'content-type': `${form}; charset=bogus` }, body: 'a=b' }, expired],
      [{ path: `${I}/${uid}/login`, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{bad' }, expired],
      [{ path: `${I}/${uid}/login`, method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: '--x--' }, expired],
      [{ path: `${I}/${uid}/login`, method: 'GET' }, { kind: 'app', status: 405, error: 'route.method_not_allowed' }],
      [{ path: `${I}/${uid}/login`, method: 'PUT' }, { kind: 'app', status: 405, error: 'route.method_not_allowed' }],
      [{ path: `${I}/${uid}`, method: 'DELETE' }, { kind: 'app', status: 405, error: 'route.method_not_allowed' }],
      [{ path: `${I}/${uid}/nope`, method: 'POST' }, { kind: 'app', status: 404, error: 'route.not_found' }],
      [{ path: `${I}/` }, { kind: 'app', status: 404 }],
    ]);
  });

  it('login form submissions with hostile values re-render the form', async () => {
    const browser = new Browser();
    const request = await authorizationRequest(await discover(issuer, client.client_id, client.client_secret!), redirectUri);
    const page = await browser.navigate(request.url);
    assert.ok(isPage(page) && page.status === 200);
    const token = formsOf(page.html)[0]!.fields._csrf!;
    const action = new URL(`${page.url.pathname}/login`, page.url);
    const submissions: [Record<string, string | string[]>, number][] = [
      [{ email: user.email, password: 'x'.repeat(129) }, 400],
      [{ email: user.email, password: 'x'.repeat(20_000) }, 413],
      [{ email: 'a'.repeat(300) + '@example.com', password: 'whatever-123' }, 401],
      [{ email: `${user.email}\u0000`, password: user.password }, 401],
      [{ email: '\u0001\u0002\r\n@\u007f.x', password: '\u0000'.repeat(20) }, 401],
      [{ email: 'ünïcödé@例え.テスト', password: '😀'.repeat(30) }, 401],
      [{ email: [user.email, 'b@example.com'], password: user.password }, 400],
      [{ email: user.email, password: [user.password, user.password] }, 400],
      [{ email: '<script>alert(1)</script>', password: 'whatever-123' }, 401],
    ];
    for (const [fields, status] of submissions) {
      const body = new URLSearchParams({ _csrf: token });
      for (const [name, value] of Object.entries(fields)) for (const v of [value].flat()) body.append(name, v);
      const response = await browser.fetch(action, { method: 'POST', body, headers: { 'content-type': form, origin: page.url.origin } });
      const html = await response.text();
      const what = `login with ${JSON.stringify(fields).slice(0, 120)}`;
      assertSafe({ status: response.status, headers: response.headers, text: html, json: null }, what);
      assert.equal(response.status, status, what);
      if (status !== 413) assert.ok(formsOf(html).some((f) => f.action.endsWith('/login')), `${what}: the form again`);
      assert.ok(!html.includes('<script>alert(1)</script>'), `${what}: escaped`);
    }
    const duplicateCsrf = await browser.fetch(action, { method: 'POST', body: `_csrf=${token}&_csrf=${token}&email=a%40b.c&password=x`, headers: { 'content-type': form } });
    assert.equal(duplicateCsrf.status, 403);
    await duplicateCsrf.body?.cancel();
  });

  it('unknown tenants, paths, assets and health checks answer 4xx in our shape', async () => {
    await check([
      [{ path: '/t/BAD%20SLUG/.well-known/openid-configuration' }, { kind: 'app', status: 404, error: 'tenant.not_found' }],
      [{ path: '/t/%00/jwks' }, { kind: 'app', status: 404, error: 'tenant.not_found' }],
      [{ path: '/t/%E0%A4%A/auth' }, { kind: 'app', status: 404, error: 'tenant.not_found' }],
      [{ path: `/t/${'a'.repeat(5000)}/token`, method: 'POST', headers: { 'content-type': form }, body: 'x=y' }, { kind: 'app', status: 404, error: 'tenant.not_found' }],
      [{ path: '/t/..%2f..%2fetc%2fpasswd/jwks' }, { kind: 'app', status: 404, error: 'tenant.not_found' }],
      [{ path: '/t/nosuchtenant/interaction/abc' }, { kind: 'app', status: 404, error: 'tenant.not_found' }],
      [{ path: '/t/' }, { kind: 'app', status: 404 }],
      [{ path: `/t/${slug}/%F0%9F%98%80/\u00e9` }, { kind: 'app', status: 404, error: 'route.not_found' }],
      [{ path: `/t/${slug}/branding.css%00` }, { kind: 'app', status: 404 }],
      // DESIGN.md: with the device flow on, GET /device/<anything> answered 500; it is off here
      [{ path: `/t/${slug}/device/${randomBytes(6).toString('hex')}` }, { kind: 'app', status: 404, error: 'route.not_found' }],
      [{ path: `/t/${slug}/device`, method: 'POST', headers: { 'content-type': form }, body: 'user_code=%00' }, { kind: 'app', status: 404, error: 'route.not_found' }],
      [{ path: `/${'x/'.repeat(3000)}` }, { kind: 'app', status: 404, error: 'route.not_found' }],
      [{ path: '/healthz?x=%00&x=%01' }, { kind: 'ok', status: 200 }],
      [{ path: '/healthz', method: 'POST', headers: { 'content-type': 'application/json' }, body: '{bad' }, { kind: 'app', status: 405, error: 'route.method_not_allowed' }],
      [{ path: '/healthz', method: 'PROPFIND' }, { kind: 'app', status: 405, error: 'route.method_not_allowed' }],
      [{ path: '/assets/../package.json' }, { kind: 'app', status: 404 }],
      [{ path: '/assets/%2e%2e/%2e%2e/package.json' }, { kind: 'app', status: 404 }],
      [{ path: '/assets/..%5c..%5cpackage.json' }, { kind: 'app', status: 404 }],
      [{ path: '/assets/tessera.css%00.js' }, { kind: 'app', status: 404 }],
      [{ path: '/assets/tessera.css', method: 'POST', body: megabyte }, { kind: 'app', status: 405 }],
      [{ path: '/internal/cli', method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"argv":["tenant","list"]}' }, { kind: 'app', status: 404 }],
      [{ path: '/demo/callback' }, { kind: 'app', status: 404 }],
    ]);
    const css = await call(server.url, { path: '/assets/tessera.css' });
    assert.equal(css.status, 200, 'the real asset is served');
    // bodies and URLs too big for Node's parser stop there, with a 4xx and no detail
    const longPath = await call(server.url, { path: `/${'x'.repeat(20_000)}` });
    assert.equal(longPath.status, 431);
  });

  it('refuses malformed and foreign Host headers (DESIGN.md: malformed Host made oidc-provider answer 500)', async () => {
    const path = `/t/${slug}/.well-known/openid-configuration`;
    for (const host of ['127.0.0.1 127.0.0.1', 'evil.example', `evil.example:${server.port}`, '[::1', '%00', 'a'.repeat(300), `127.0.0.1:${server.port}@evil.example`]) {
      const answer = await rawHost(server.port, path, host);
      assertExpected(answer, { kind: 'app', status: 421, error: 'request.misdirected_host' }, `Host: ${host.slice(0, 40)}`);
      assert.ok(!answer.text.includes('evil.example'), 'the foreign host is not echoed');
    }
    const noHost = await rawRequest(server.port, `GET ${path} HTTP/1.0\r\nAccept: application/json\r\n\r\n`);
    assert.equal(noHost.status, 421);
    const controlInPath = await rawRequest(server.port, `GET /t/${slug}/jwks\u0001 HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`);
    assert.ok(controlInPath.status >= 400 && controlInPath.status < 500, `control character in the request line → ${controlInPath.status}`);
    // the health check answers load balancers whatever Host they send
    assert.equal((await rawHost(server.port, '/healthz', 'lb.internal')).status, 200);
  });

  it('the CLI endpoint and demo pages (embedded database) refuse junk with {error, message}', async () => {
    const { token } = JSON.parse(readFileSync(join(dataDir, 'tessera.lock'), 'utf8')) as { token: string };
    sent.add(token);
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    await check([
      [{ path: '/internal/cli', method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"argv":["tenant","list"]}' }, { kind: 'app', status: 401, error: 'auth.unauthorized' }],
      [{ path: '/internal/cli', method: 'POST', headers: { ...auth, authorization: `Bearer ${token}x` }, body: '{"argv":["tenant","list"]}' }, { kind: 'app', status: 401, error: 'auth.unauthorized' }],
      [{ path: '/internal/cli', method: 'POST', headers: { ...auth, authorization: `Bearer ${'é'.repeat(token.length)}` }, body: '{}' }, { kind: 'app', status: 401, error: 'auth.unauthorized' }],
      [{ path: '/internal/cli', method: 'POST', headers: auth, body: '{bad json' }, { kind: 'app', status: 400, error: 'request.invalid' }],
      [{ path: '/internal/cli', method: 'POST', headers: auth, body: '{"argv":"tenant list"}' }, { kind: 'app', status: 400, error: 'request.invalid' }],
      [{ path: '/internal/cli', method: 'POST', headers: auth, body: '{"argv":[1,2]}' }, { kind: 'app', status: 400, error: 'request.invalid' }],
      [{ path: '/internal/cli', method: 'POST', headers: auth, body: '{"argv":["tenant","create","BAD SLUG\\u0000"]}' }, { kind: 'app', status: 422, error: 'tenant.invalid_slug' }],
      [{ path: '/internal/cli', method: 'POST', headers: auth, body: '{"argv":["nope"]}' }, { kind: 'app', status: 400, error: 'cli.usage' }],
      [{ path: '/internal/cli', method: 'POST', headers: auth, body: Buffer.concat([Buffer.from('{"argv":["'), megabyte, Buffer.from('"]}')]) }, { kind: 'app', status: 413, error: 'request.too_large' }],
      [{ path: '/internal/cli', method: 'POST', headers: { ...auth, 'content-type': 'text/plain' }, body: 'tenant list' }, { kind: 'app', status: 400 }],
      [{ path: '/internal/cli' }, { kind: 'app', status: 405, error: 'route.method_not_allowed' }],
      [{ path: '/demo/callback?code=%3Cscript%3E&state=%00&error=%01&code=dup' }, { kind: 'ok', status: 200 }],
      [{ path: `/demo/callback?state=${'é'.repeat(1000)}` }, { kind: 'ok', status: 200 }],
      [{ path: '/demo/callback', method: 'POST', body: 'x' }, { kind: 'app', status: 405, error: 'route.method_not_allowed' }],
      [{ path: '/demo/nope' }, { kind: 'app', status: 404, error: 'route.not_found' }],
    ], embedded.url);
    const demo = await call(embedded.url, { path: '/demo/callback?error=%3Cscript%3Ealert(1)%3C%2Fscript%3E', headers: { accept: 'text/html' } });
    assert.equal(demo.status, 200);
    assert.ok(!demo.text.includes('<script>alert(1)'), 'escaped');
  });

  // PostgreSQL text cannot hold U+0000: an id that reaches a query unchecked fails as a database error (500).
  it('answers a NUL byte in a client_id with a 4xx at every endpoint', async () => {
    const I = `/t/${slug}`;
    const post = (path: string, body: string) => ({ path: `${I}${path}`, method: 'POST', body, headers: { 'content-type': form } });
    await check([
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
    await call(embedded.url, { path: '/internal/cli', method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${user.password}` }, body: `{"argv":["user","create","--password","${user.password}"` });

    for (const [name, process] of [['server', server], ['embedded server', embedded]] as const) {
      const output = process.output();
      assert.ok(output.length > 0, `${name} logged at trace level`);
      for (const secret of sent) {
        assert.ok(!output.includes(secret), `${name} output contains a secret it was sent (${secret.slice(0, 6)}…)`);
        const encoded = encodeURIComponent(secret);
        if (encoded !== secret) assert.ok(!output.includes(encoded), `${name} output contains a URL-encoded secret`);
      }
    }
  });
});
