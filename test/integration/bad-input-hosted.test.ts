// Hostile, malformed, missing and oversized input at the routes Tessera serves itself (the hosted login pages,
// unknown tenants and paths, assets, the health check, Host checks, the CLI endpoint and the demo pages): never a
// 500, never a stack trace, `{error, message}` or our page for browsers — and no password or CLI token we sent in
// the servers' output. The protocol endpoints: bad-input-protocol.test.ts.
// test-group: lane (an embedded-database server: PGlite opens a copy of a migrated folder, embedded-template.ts)
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
import { startServer } from '../support/use-tessera.js';
import { copyEmbeddedTemplate } from '../support/embedded-template.js';
import { createClient, createTenant, createUser, redirectUri } from '../support/fixtures.js';
import { Browser, formsOf, isPage } from '../support/browser.js';
import { authorizationRequest, discover } from '../support/relying-party.js';
import { assertExpected, assertNoSecretsIn, assertSafe, call, check, form, megabyte, type Answer } from '../support/bad-input.js';

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

describe("bad input at Tessera's own routes", () => {
  let services: TestServices;
  let server: TesseraProcess;
  let embedded: TesseraProcess;
  let dataDir: string;
  /** the embedded server's CLI token, from its lock file */
  let cliToken: string;
  let slug: string;
  let issuer: string;
  let user: Awaited<ReturnType<typeof createUser>>;
  let client: { client_id: string; client_secret: string | null };
  /** everything secret this file sent: none of it may appear in a server's output */
  const sent = new Set<string>();

  before(async () => {
    services = await createTestServices();
    dataDir = mkdtempSync(join(tmpdir(), 'tessera-bad-input-'));
    await copyEmbeddedTemplate(dataDir, 'migrated');
    // trace: the most a misconfigured operator could log must still hold no secret
    [server, embedded] = await Promise.all([
      startServer({ ...services.env, LOG_LEVEL: 'trace' }),
      // the embedded database serves the CLI endpoint; SEED_DEMO mounts /demo/*
      startTessera({
        KEY_ENCRYPTION_KEY: services.env.KEY_ENCRYPTION_KEY!, COOKIE_SECRETS: services.env.COOKIE_SECRETS!,
        DATA_DIR: dataDir, SEED_DEMO: 'true', NODE_ENV: 'test', ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1', LOG_LEVEL: 'trace',
      }),
    ]);
    ({ token: cliToken } = JSON.parse(readFileSync(join(dataDir, 'tessera.lock'), 'utf8')) as { token: string });
    ({ slug, issuer } = await createTenant(server));
    [user, client] = await Promise.all([
      createUser(server, slug),
      createClient(server, slug, ['--first-party', '--grant', 'authorization_code', '--grant', 'refresh_token', '--grant', 'client_credentials']),
    ]);
    sent.add(user.password).add(client.client_secret!).add(cliToken);
  });
  after(async () => {
    await Promise.allSettled([server?.stop(), embedded?.stop()]);
    await services?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('the hosted-page routes answer junk with pages or our JSON errors', async () => {
    const I = `/t/${slug}/interaction`;
    const uid = randomBytes(16).toString('base64url');
    const expired = { kind: 'page', status: 400, text: /This sign-in has expired/ } as const;
    await check(server.url, [
      [{ path: `${I}/${uid}` }, expired],
      [{ path: `${I}/%00` }, expired],
      [{ path: `${I}/%E0%A4%A` }, expired],
      [{ path: `${I}/${'x'.repeat(6000)}` }, expired],
      [{ path: `${I}/${uid}`, headers: { cookie: '_interaction=%%%; _interaction.sig=garbage; _session=; _session.legacy=%00' } }, expired],
      [{ path: `${I}/${uid}/login`, method: 'POST', headers: { 'content-type': form }, body: 'email=a&email=b&password=%00&_csrf=x&_csrf=y' }, { kind: 'app', status: 400, error: 'request.invalid' }],
      [{ path: `${I}/${uid}/login`, method: 'POST', headers: { 'content-type': form }, body: 'email=a&email=b&password=x&_csrf=x&_csrf=y' }, expired],
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
      // a NUL is refused for the whole form (issue #13): no field may hold one, so nothing is checked or counted
      [{ email: `${user.email}\u0000`, password: user.password }, 400],
      [{ email: '\u0001\u0002\r\n@\u007f.x', password: '\u0000'.repeat(20) }, 400],
      [{ email: '\u0001\u0002\r\n@\u007f.x', password: 'whatever-123' }, 401],
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
      const nul = Object.values(fields).flat().some((v) => v.includes('\u0000'));
      if (nul) assert.match(html, /cannot be used \(NUL\)/, `${what}: the refusal says why`);
      else if (status !== 413) assert.ok(formsOf(html).some((f) => f.action.endsWith('/login')), `${what}: the form again`);
      assert.ok(!html.includes('<script>alert(1)</script>'), `${what}: escaped`);
    }
    const duplicateCsrf = await browser.fetch(action, { method: 'POST', body: `_csrf=${token}&_csrf=${token}&email=a%40b.c&password=x`, headers: { 'content-type': form } });
    assert.equal(duplicateCsrf.status, 403);
    await duplicateCsrf.body?.cancel();
  });

  it('unknown tenants, paths, assets and health checks answer 4xx in our shape', async () => {
    await check(server.url, [
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
    const auth = { authorization: `Bearer ${cliToken}`, 'content-type': 'application/json' };
    await check(embedded.url, [
      [{ path: '/internal/cli', method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"argv":["tenant","list"]}' }, { kind: 'app', status: 401, error: 'auth.unauthorized' }],
      [{ path: '/internal/cli', method: 'POST', headers: { ...auth, authorization: `Bearer ${cliToken}x` }, body: '{"argv":["tenant","list"]}' }, { kind: 'app', status: 401, error: 'auth.unauthorized' }],
      [{ path: '/internal/cli', method: 'POST', headers: { ...auth, authorization: `Bearer ${'é'.repeat(cliToken.length)}` }, body: '{}' }, { kind: 'app', status: 401, error: 'auth.unauthorized' }],
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
    ]);
    const demo = await call(embedded.url, { path: '/demo/callback?error=%3Cscript%3Ealert(1)%3C%2Fscript%3E', headers: { accept: 'text/html' } });
    assert.equal(demo.status, 200);
    assert.ok(!demo.text.includes('<script>alert(1)'), 'escaped');
  });

  it('never writes a password or CLI token it was sent into its output', async () => {
    // a password where the CLI token belongs and in a malformed body; the login form test sent it to the server
    await call(embedded.url, { path: '/internal/cli', method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${user.password}` }, body: `{"argv":["user","create","--password","${user.password}"` });
    assertNoSecretsIn([['server', server], ['embedded server', embedded]], sent);
  });
});
