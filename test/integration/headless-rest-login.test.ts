// The REST auth API under the issuer (issue #16 §3) over HTTP: off by default (rest.disabled) and CORS only for
// registered origins; the calling app from client_id + secret, Basic, or the tenant's built-in client; password
// login for tokens of the tenant's provider (the refresh token works at the standard token endpoint); the
// challenge envelope for a TOTP user, answered with a TOTP or a recovery code; refresh rotation and replay;
// logout; whoami and effective permissions. Every documented error is provoked.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { Browser } from '../support/browser.js';
import { cliJson, createTenant, createUser } from '../support/fixtures.js';
import { enrolTotp, signInToAccount, totpCode } from '../support/mfa-flows.js';
import { useTessera } from '../support/use-tessera.js';
import { letTimePass } from '../support/test-clock.js';
import { expectError } from '../support/json-answers.js';
import { auditEvents } from '../support/email-flows.js';

interface Tokens { access_token: string; refresh_token: string; token_type: string; access_expires_at: string; refresh_expires_at: string }
interface Envelope { status: string; challenge: { id: string; kind: string; methods: string[]; expires_at: string; issuer: string } }

describe('REST auth API ({issuer}/v1/…): login, challenge, refresh, logout, whoami', () => {
  const server = useTessera();
  let slug: string;
  let issuer: string;

  const call = (path: string, body?: unknown, headers: Record<string, string> = {}, method = body === undefined ? 'GET' : 'POST') =>
    fetch(`${issuer}/v1/${path}`, { method, headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

  async function login(user: { email: string; password: string }, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<Tokens | Envelope> {
    const response = await call('auth/login', { email: user.email, password: user.password, ...extra }, headers);
    assert.equal(response.status, 200, await response.clone().text());
    return (await response.json()) as Tokens | Envelope;
  }

  before(async () => {
    ({ slug, issuer } = await createTenant(server));
    await cliJson(server, ['tenant', 'settings', '--tenant', slug, '--set', JSON.stringify({ headless: { restApi: true, allowedOrigins: ['https://app.example.com'] } })]);
  });

  it('is off until the tenant turns headless.restApi on: rest.disabled', async () => {
    const off = await createTenant(server);
    const user = await createUser(server, off.slug);
    await expectError(await fetch(`${off.issuer}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: user.email, password: user.password }) }), 404, 'rest.disabled');
    await expectError(await fetch(`${off.issuer}/v1/whoami`), 404, 'rest.disabled');
    const bad = await server.cli(['tenant', 'settings', '--tenant', off.slug, '--set', JSON.stringify({ headless: { allowedOrigins: ['https://app.example.com/path'] } })]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /headless\.allowedOrigins/);
  });

  it('password login answers tokens of the built-in first-party client; whoami, effective permissions; refresh rotates, a replay revokes the family', async () => {
    const user = await createUser(server, slug);
    // a role with a permission on an API of the tenant (RBAC claims as in every token of the tenant)
    await cliJson(server, ['api', 'create', '--tenant', slug, '--identifier', 'https://reports.example.com', '--name', 'Reports', '--permission', 'reports:read']);
    await cliJson(server, ['role', 'create', '--tenant', slug, '--name', 'auditor', '--api', 'https://reports.example.com', '--permission', 'reports:read']);
    await cliJson(server, ['role', 'assign', '--tenant', slug, '--user', user.id, '--role', 'auditor']);
    const tokens = (await login(user)) as Tokens;
    assert.equal(tokens.token_type, 'Bearer');
    assert.ok(Date.parse(tokens.access_expires_at) > Date.now());
    assert.ok(Date.parse(tokens.refresh_expires_at) > Date.parse(tokens.access_expires_at));
    const claims = decodeJwt(tokens.access_token);
    assert.equal(claims.iss, issuer);
    assert.equal(claims.aud, 'tessera-rest');
    assert.equal(claims.sub, user.id);
    assert.deepEqual(claims.roles, ['auditor']);
    // permissions are per API: this token's are those on the tenant's default API ({issuer}/api, a new tenant's),
    // where the role gives none (the next test makes the reports API the default)
    assert.deepEqual(claims.permissions, []);
    // the hosted password login's audit event (password.routes.ts): login.succeeded by the user, method password
    const signedIn = (await auditEvents(server.env.DATABASE_URL!, slug)).filter((e) => e.type === 'login.succeeded' && e.subject === user.id);
    assert.equal(signedIn.length, 1);
    assert.deepEqual([signedIn[0]!.actor, signedIn[0]!.outcome, signedIn[0]!.data.method, signedIn[0]!.data.client], [user.id, 'success', 'password', claims.client_id]);
    // the built-in client is created once per tenant, not per sign-in
    const again = decodeJwt(((await login(user)) as Tokens).access_token);
    assert.equal(again.client_id, claims.client_id);

    const who = await call('whoami', undefined, { authorization: `Bearer ${tokens.access_token}` });
    assert.equal(who.status, 200);
    const me = (await who.json()) as { user: { id: string; email: string }; tenant: { slug: string }; app: string; roles: string[]; permissions: string[]; session: { auth_time: string | null } };
    assert.deepEqual([me.user.id, me.user.email, me.tenant.slug, me.app], [user.id, user.email, slug, 'tessera-rest']);
    assert.deepEqual([me.roles, me.permissions], [['auditor'], []]);
    const effective = await call('permissions/effective', undefined, { authorization: `Bearer ${tokens.access_token}` });
    assert.equal(effective.status, 200);
    assert.deepEqual(await effective.json(), { audience: `${issuer}/api`, roles: ['auditor'], permissions: [] });
    // on the API itself, the role's permission
    const onApi = await call(`permissions/effective?audience=${encodeURIComponent('https://reports.example.com')}`, undefined, { authorization: `Bearer ${tokens.access_token}` });
    assert.deepEqual(await onApi.json(), { audience: 'https://reports.example.com', roles: ['auditor'], permissions: ['reports:read'] });

    // rotation at /v1/auth/refresh; replaying the first token is refused
    const rotated = await call('auth/refresh', { refresh_token: tokens.refresh_token });
    assert.equal(rotated.status, 200, await rotated.clone().text());
    const next = (await rotated.json()) as Tokens;
    assert.notEqual(next.refresh_token, tokens.refresh_token);
    await letTimePass(server, 11_000); // past the built-in client's default reuse window (10 s)
    await expectError(await call('auth/refresh', { refresh_token: tokens.refresh_token }), 400, 'token.invalid_refresh');
    // the replay revoked the family: the successor is dead too
    await expectError(await call('auth/refresh', { refresh_token: next.refresh_token }), 400, 'token.invalid_refresh');
  });

  it('with a default API, the tokens carry the permissions on it, as a hosted token without a resource does; whoami and effective permissions say the same', async () => {
    const own = await createTenant(server);
    const api = 'https://reports.example.com';
    await cliJson(server, ['api', 'create', '--tenant', own.slug, '--identifier', api, '--name', 'Reports', '--permission', 'reports:read', '--permission', 'reports:write']);
    await cliJson(server, ['role', 'create', '--tenant', own.slug, '--name', 'auditor', '--api', api, '--permission', 'reports:read']);
    await cliJson(server, ['tenant', 'settings', '--tenant', own.slug, '--set', JSON.stringify({ headless: { restApi: true }, defaultResource: api })]);
    const user = await createUser(server, own.slug);
    await cliJson(server, ['role', 'assign', '--tenant', own.slug, '--user', user.id, '--role', 'auditor']);
    const signedIn = await fetch(`${own.issuer}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: user.email, password: user.password }) });
    assert.equal(signedIn.status, 200, await signedIn.clone().text());
    const tokens = (await signedIn.json()) as Tokens;
    const claims = decodeJwt(tokens.access_token);
    assert.deepEqual([claims.aud, claims.roles, claims.permissions], ['tessera-rest', ['auditor'], ['reports:read']]);
    const bearer = { authorization: `Bearer ${tokens.access_token}` };
    const me = (await (await fetch(`${own.issuer}/v1/whoami`, { headers: bearer })).json()) as { roles: string[]; permissions: string[] };
    assert.deepEqual([me.roles, me.permissions], [['auditor'], ['reports:read']]);
    assert.deepEqual(await (await fetch(`${own.issuer}/v1/permissions/effective`, { headers: bearer })).json(), { audience: api, roles: ['auditor'], permissions: ['reports:read'] });
    // a refreshed token carries them too
    const refreshed = await fetch(`${own.issuer}/v1/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: tokens.refresh_token }) });
    assert.equal(refreshed.status, 200, await refreshed.clone().text());
    assert.deepEqual(decodeJwt(((await refreshed.json()) as Tokens).access_token).permissions, ['reports:read']);
  });

  it('logout revokes the refresh token; whoami refuses a missing or foreign token', async () => {
    const user = await createUser(server, slug);
    const tokens = (await login(user)) as Tokens;
    const out = await call('auth/logout', { refresh_token: tokens.refresh_token });
    assert.equal(out.status, 204);
    await expectError(await call('auth/refresh', { refresh_token: tokens.refresh_token }), 400, 'token.invalid_refresh');
    const none = await call('whoami');
    await expectError(none, 401, 'auth.invalid_token');
    assert.equal(none.headers.get('www-authenticate'), 'Bearer');
    await expectError(await call('whoami', undefined, { authorization: 'Bearer not.a.jwt' }), 401, 'auth.invalid_token');
    // a token of this tenant's app is not valid at another tenant's API
    const other = await createTenant(server);
    await cliJson(server, ['tenant', 'settings', '--tenant', other.slug, '--set', JSON.stringify({ headless: { restApi: true } })]);
    await expectError(await fetch(`${other.issuer}/v1/whoami`, { headers: { authorization: `Bearer ${tokens.access_token}` } }), 401, 'auth.invalid_token');
  });

  it('a named app: client_id + client_secret in the body or Basic; its tokens carry its slug; wrong credentials are refused', async () => {
    const app = await cliJson<{ app_id: string; app_secret: string }>(server, ['app', 'create', '--tenant', slug, '--name', 'Web', '--slug', 'web-app']);
    const user = await createUser(server, slug);
    const inBody = (await login(user, { client_id: app.app_id, client_secret: app.app_secret })) as Tokens;
    assert.equal(decodeJwt(inBody.access_token).aud, 'web-app');
    const basic = `Basic ${Buffer.from(`${encodeURIComponent(app.app_id)}:${encodeURIComponent(app.app_secret)}`).toString('base64')}`;
    const viaBasic = (await login(user, {}, { authorization: basic })) as Tokens;
    assert.equal(decodeJwt(viaBasic.access_token).client_id, app.app_id);
    // the app's refresh token is the app's: the built-in client cannot rotate it
    await expectError(await call('auth/refresh', { refresh_token: viaBasic.refresh_token }), 400, 'token.invalid_refresh');
    const rotated = await call('auth/refresh', { refresh_token: viaBasic.refresh_token }, { authorization: basic });
    assert.equal(rotated.status, 200);
    // one token system: the rotated refresh token works at the tenant's standard token endpoint
    const standard = await fetch(`${issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: ((await rotated.json()) as Tokens).refresh_token, client_id: app.app_id, client_secret: app.app_secret }) });
    assert.equal(standard.status, 200, await standard.clone().text());
    assert.equal(decodeJwt(((await standard.json()) as { access_token: string }).access_token).aud, 'web-app');
    await expectError(await call('auth/login', { email: user.email, password: user.password, client_id: app.app_id, client_secret: 'wrong' }), 401, 'app.invalid_credentials');
    await expectError(await call('auth/login', { email: user.email, password: user.password, client_id: app.app_id }), 401, 'app.invalid_credentials');
    await expectError(await call('auth/login', { email: user.email, password: user.password }, { authorization: 'Bearer x' }), 401, 'app.invalid_credentials');
  });

  it('no enumeration: an unknown email and a wrong password get the same answer; bad bodies get request.invalid', async () => {
    const user = await createUser(server, slug);
    const wrong = await call('auth/login', { email: user.email, password: 'not-the-password' });
    const unknown = await call('auth/login', { email: `nobody-${Date.now()}@example.com`, password: 'not-the-password' });
    assert.equal(wrong.status, 401);
    assert.deepEqual(await wrong.json(), await unknown.json());
    await expectError(await call('auth/login', { email: user.email }), 400, 'request.invalid');
    await expectError(await call('auth/login', [1, 2]), 400, 'request.invalid');
    await expectError(await fetch(`${issuer}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":' }), 400, 'request.invalid');
  });

  it('CORS: a registered origin gets its preflight and Access-Control-Allow-Origin; any other origin is refused', async () => {
    const preflight = await fetch(`${issuer}/v1/auth/login`, { method: 'OPTIONS', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' } });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://app.example.com');
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Content-Type/);
    const user = await createUser(server, slug);
    const allowed = await call('auth/login', { email: user.email, password: user.password }, { origin: 'https://app.example.com' });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://app.example.com');
    const refusedPreflight = await fetch(`${issuer}/v1/auth/login`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    assert.equal(refusedPreflight.headers.get('access-control-allow-origin'), null);
    await expectError(await call('auth/login', { email: user.email, password: user.password }, { origin: 'https://evil.example' }), 403, 'rest.origin_not_allowed');
  });

  it('CORS: an app registers its own origins; a request naming the app is allowed from them, one naming no app or another app is not', async () => {
    const spa = 'https://spa.example.com';
    const preflightFrom = (origin: string) => fetch(`${issuer}/v1/auth/login`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
    // refused while no app lists it (the tenant's app origins are now read and kept: client-cache.ts)
    assert.equal((await preflightFrom(spa)).status, 403);
    const bad = await server.cli(['app', 'create', '--tenant', slug, '--name', 'Bad', '--slug', 'bad-origins', '--allowed-origin', 'https://spa.example.com/path']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /allowed_origins/);
    const app = await cliJson<{ app_id: string; app_secret: string; allowed_origins: string[] }>(server, ['app', 'create', '--tenant', slug, '--name', 'SPA', '--slug', 'spa-app', '--allowed-origin', spa]);
    assert.deepEqual(app.allowed_origins, [spa]);
    const other = await cliJson<{ app_id: string; app_secret: string }>(server, ['app', 'create', '--tenant', slug, '--name', 'No origins', '--slug', 'plain-app']);
    const user = await createUser(server, slug);
    const credentials = { client_id: app.app_id, client_secret: app.app_secret };

    // a preflight names no app: answered for an origin some app of the tenant registers, as soon as the app exists
    const preflight = await preflightFrom(spa);
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), spa);
    const allowed = await call('auth/login', { email: user.email, password: user.password, ...credentials }, { origin: spa });
    assert.equal(allowed.status, 200, await allowed.clone().text());
    assert.equal(allowed.headers.get('access-control-allow-origin'), spa);
    const tokens = (await allowed.json()) as Tokens;
    // a Bearer call names the app through its token's client
    const who = await call('whoami', undefined, { authorization: `Bearer ${tokens.access_token}`, origin: spa });
    assert.equal(who.status, 200);
    assert.equal(who.headers.get('access-control-allow-origin'), spa);
    // the tenant's own origins stay allowed for the app too
    assert.equal((await call('auth/login', { email: user.email, password: user.password, ...credentials }, { origin: 'https://app.example.com' })).status, 200);

    // the built-in client (no app named) and an app without that origin are refused from it
    await expectError(await call('auth/login', { email: user.email, password: user.password }, { origin: spa }), 403, 'rest.origin_not_allowed');
    await expectError(await call('auth/login', { email: user.email, password: user.password, client_id: other.app_id, client_secret: other.app_secret }, { origin: spa }), 403, 'rest.origin_not_allowed');
    const builtIn = (await login(user)) as Tokens;
    await expectError(await call('whoami', undefined, { authorization: `Bearer ${builtIn.access_token}`, origin: spa }), 403, 'rest.origin_not_allowed');

    // origins change with the client (Management API PATCH, here through the CLI)
    const updated = await cliJson<{ allowed_origins: string[] }>(server, ['client', 'update', '--tenant', slug, '--id', other.app_id, '--allowed-origin', spa]);
    assert.deepEqual(updated.allowed_origins, [spa]);
    assert.equal((await call('auth/login', { email: user.email, password: user.password, client_id: other.app_id, client_secret: other.app_secret }, { origin: spa })).status, 200);
    // preflights follow changes at once: a new origin on an app, and an app deleted
    const later = 'https://later.example.com';
    assert.equal((await preflightFrom(later)).status, 403);
    await cliJson(server, ['client', 'update', '--tenant', slug, '--id', other.app_id, '--allowed-origin', spa, '--allowed-origin', later]);
    assert.equal((await preflightFrom(later)).status, 204);
    assert.equal((await server.cli(['client', 'delete', '--tenant', slug, '--id', other.app_id])).code, 0);
    assert.equal((await preflightFrom(later)).status, 403);
  });

  it('a TOTP user gets the challenge envelope; a TOTP or a recovery code completes it once; wrong codes and steps are refused', async () => {
    const user = await createUser(server, slug);
    const browser = new Browser();
    await signInToAccount(server, slug, browser, user);
    const { secret, codes } = await enrolTotp(server, slug, browser);

    const first = (await login(user)) as Envelope;
    assert.equal(first.status, 'challenge_required');
    assert.equal(first.challenge.kind, 'mfa');
    assert.deepEqual(first.challenge.methods.sort(), ['recovery_code', 'totp']);
    assert.ok(Date.parse(first.challenge.expires_at) > Date.now());
    // the issuer whose sign-in holds the challenge (here the tenant's own: answered under it)
    assert.equal(first.challenge.issuer, issuer);
    await expectError(await call(`auth/challenge/${first.challenge.id}/verify`, { method: 'totp', code: '000000' }), 400, 'otp.invalid_code');
    await expectError(await call(`auth/challenge/${first.challenge.id}/verify`, { method: 'email', code: '123456' }), 400, 'request.invalid');
    // a method this user does not have
    await expectError(await call(`auth/challenge/${first.challenge.id}/verify`, { method: 'sms', code: '123456' }), 409, 'login.invalid_state');
    const done = await call(`auth/challenge/${first.challenge.id}/verify`, { method: 'totp', code: await totpCode(secret, Date.now() + 30_000) });
    assert.equal(done.status, 200, await done.clone().text());
    const tokens = (await done.json()) as Tokens;
    assert.equal(decodeJwt(tokens.access_token).sub, user.id);
    // the completed transaction is redeemed: answering it again is the wrong step
    await expectError(await call(`auth/challenge/${first.challenge.id}/verify`, { method: 'recovery_code', code: codes[0]! }), 409, 'login.invalid_state');

    const second = (await login(user)) as Envelope;
    const viaRecovery = await call(`auth/challenge/${second.challenge.id}/verify`, { method: 'recovery_code', code: codes[0]! });
    assert.equal(viaRecovery.status, 200, await viaRecovery.clone().text());
    const who = (await (await call('whoami', undefined, { authorization: `Bearer ${((await viaRecovery.json()) as Tokens).access_token}` })).json()) as { user: { id: string } };
    assert.equal(who.user.id, user.id);
    // an unknown or malformed challenge id, and another app's challenge, read as expired
    await expectError(await call('auth/challenge/AAAAAAAAAAAAAAAAAAAAAA/verify', { method: 'totp', code: '123456' }), 400, 'login.expired');
    const app = await cliJson<{ app_id: string; app_secret: string }>(server, ['app', 'create', '--tenant', slug, '--name', 'Other', '--slug', 'other-app']);
    const third = (await login(user)) as Envelope;
    await expectError(await call(`auth/challenge/${third.challenge.id}/verify`, { method: 'totp', code: '123456', client_id: app.app_id, client_secret: app.app_secret }), 400, 'login.expired');
  });

  it('OpenAPI 3.1 documents every path of the API, each with catalogue codes', async () => {
    const document = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as { paths: Record<string, Record<string, { tags?: string[]; description?: string }>>; components: { schemas: { Error: { properties: { error: { enum: string[] } } } } } };
    const known = new Set(document.components.schemas.Error.properties.error.enum);
    const documented = Object.keys(document.paths).filter((p) => p.startsWith('/v1/')).sort();
    const expected = [
      '/v1/auth/2fa/backup-codes', '/v1/auth/2fa/challenge', '/v1/auth/2fa/challenge/{id}/verify', '/v1/auth/2fa/compliance', '/v1/auth/2fa/method/{method}', '/v1/auth/2fa/policy',
      '/v1/auth/2fa/sms/setup', '/v1/auth/2fa/sms/verify', '/v1/auth/2fa/status', '/v1/auth/2fa/totp/setup', '/v1/auth/2fa/totp/verify', '/v1/auth/2fa/trusted-devices',
      '/v1/auth/2fa/trusted-devices/{id}', '/v1/auth/2fa/webauthn/register', '/v1/auth/2fa/webauthn/register/finish', '/v1/auth/challenge/{id}/send', '/v1/auth/challenge/{id}/verify',
      '/v1/auth/challenge/{id}/webauthn/options', '/v1/auth/login', '/v1/auth/logout', '/v1/auth/passkey/options', '/v1/auth/passkey/verify', '/v1/auth/refresh', '/v1/auth/switch', '/v1/environments', '/v1/permissions/effective', '/v1/whoami'
    ];
    // the accounts endpoints (headless-rest-accounts.test.ts) are documented beside these
    for (const p of expected) assert.ok(documented.includes(p), p);
    for (const p of documented) {
      for (const op of Object.values(document.paths[p]!).filter((o) => typeof o === 'object' && o && 'tags' in o)) {
        assert.deepEqual(op.tags, ['REST auth API']);
        const codes = /Error codes: (.+?)\. [A-Z]/.exec(op.description ?? '')?.[1]?.split(', ') ?? [];
        assert.ok(codes.length > 0, p);
        for (const code of codes) assert.ok(known.has(code), `${p} names ${code}, which the catalogue has`);
      }
    }
  });
});
