// Switching environments without signing in again (issue #19 §3) over HTTP: POST {issuer}/v1/auth/switch with a
// refresh token, refused (and audited) until the user holds a role in the target; GET /v1/environments; and
// /v1/auth/login's `environment`, whose default is the environment the user last entered.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { cliJson, createTenant, createUser } from '../support/fixtures.js';
import { useTessera } from '../support/use-tessera.js';

interface Tokens { access_token: string; refresh_token: string }

describe('switching environments', () => {
  const server = useTessera();
  let slug: string;
  let live: string;
  let sandbox: string;
  let user: Awaited<ReturnType<typeof createUser>>;

  const post = async (issuer: string, path: string, body: unknown) => {
    const response = await fetch(`${issuer}/v1/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json().catch(() => null)) as Record<string, unknown> & Partial<Tokens> & { error?: string } };
  };
  const login = async (issuer: string, extra: Record<string, unknown> = {}) => {
    const answer = await post(issuer, 'auth/login', { email: user.email, password: user.password, ...extra });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body as unknown as Tokens;
  };
  const environments = async (issuer: string, token: string) => {
    const response = await fetch(`${issuer}/v1/environments`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(response.status, 200);
    return ((await response.json()) as { items: Array<{ environment: string; issuer: string; current: boolean }> }).items;
  };
  const audit = (type: string, env: string) => cliJson<{ items: Array<{ type: string; data: Record<string, unknown> }> }>(server, ['audit', 'list', '--tenant', slug, '--env', env, '--type', type]);

  before(async () => {
    ({ slug, issuer: live } = await createTenant(server));
    ({ issuer: sandbox } = await cliJson<{ issuer: string }>(server, ['env', 'create', '--tenant', slug, '--name', 'sandbox']));
    for (const env of ['live', 'sandbox']) await cliJson(server, ['tenant', 'settings', '--tenant', slug, '--env', env, '--set', JSON.stringify({ headless: { restApi: true } })]);
    user = await createUser(server, slug);
  });

  it('refuses a switch to an environment where the user holds no role, and audits it', async () => {
    const tokens = await login(live);
    assert.equal(decodeJwt(tokens.access_token).iss, live);
    assert.deepEqual((await environments(live, tokens.access_token)).map((e) => [e.environment, e.current]), [['live', true]]);
    const refused = await post(live, 'auth/switch', { refresh_token: tokens.refresh_token, environment: 'sandbox' });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error, 'environment.forbidden');
    const entries = await audit('environment.switch_refused', 'live');
    assert.equal(entries.items.length, 1);
    assert.deepEqual(entries.items[0]!.data, { from: 'live', to: 'sandbox' });
    const named = await post(live, 'auth/login', { email: user.email, password: user.password, environment: 'sandbox' });
    assert.equal(named.status, 403);
  });

  it('switches with a refresh token once the user holds a role there: tokens of the other issuer, no new sign-in', async () => {
    await cliJson(server, ['role', 'create', '--tenant', slug, '--env', 'sandbox', '--name', 'developer']);
    await cliJson(server, ['role', 'assign', '--tenant', slug, '--env', 'sandbox', '--user', user.id, '--role', 'developer']);
    const tokens = await login(live);
    assert.deepEqual((await environments(live, tokens.access_token)).map((e) => e.environment), ['live', 'sandbox']);
    const switched = await post(live, 'auth/switch', { refresh_token: tokens.refresh_token, environment: 'sandbox' });
    assert.equal(switched.status, 200, JSON.stringify(switched.body));
    const claims = decodeJwt(switched.body.access_token!);
    assert.equal(claims.iss, sandbox);
    assert.equal(claims.environment, 'sandbox');
    assert.equal(claims.sub, user.id);
    const whoami = await fetch(`${sandbox}/v1/whoami`, { headers: { authorization: `Bearer ${switched.body.access_token}` } });
    assert.deepEqual(((await whoami.json()) as { roles: string[] }).roles, ['developer']);
    const current = await environments(sandbox, switched.body.access_token!);
    assert.deepEqual(current.map((e) => [e.environment, e.current]), [['live', false], ['sandbox', true]]);
    // the new refresh token is the sandbox's: it rotates there, and the live one still works in live
    const refreshed = await post(sandbox, 'auth/refresh', { refresh_token: switched.body.refresh_token });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.equal((await post(live, 'auth/refresh', { refresh_token: tokens.refresh_token })).status, 200);
    assert.equal((await audit('environment.switched', 'sandbox')).items.length, 1);
  });

  it('signs in to the last environment used unless told otherwise', async () => {
    assert.equal(decodeJwt((await login(live)).access_token).iss, sandbox, 'last used: sandbox');
    assert.equal(decodeJwt((await login(live, { environment: 'live' })).access_token).iss, live);
    assert.equal(decodeJwt((await login(live)).access_token).iss, live, 'last used: live again');
  });

  it('switches through RFC 8693 token exchange at the target\'s token endpoint, only for a user who may enter', async () => {
    await cliJson(server, ['tenant', 'settings', '--tenant', slug, '--env', 'sandbox', '--set', JSON.stringify({ grants: { tokenExchange: { enabled: true } } })]);
    const service = await cliJson<{ client_id: string; client_secret: string }>(server, ['client', 'create', '--tenant', slug, '--env', 'sandbox', '--name', 'Service', '--grant', 'urn:ietf:params:oauth:grant-type:token-exchange', '--grant', 'client_credentials']);
    const exchange = async (subjectToken: string) => {
      const response = await fetch(`${sandbox}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${service.client_id}:${service.client_secret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: subjectToken, subject_token_type: 'urn:ietf:params:oauth:token-type:access_token' }),
      });
      return { status: response.status, body: (await response.json()) as { access_token?: string; error?: string } };
    };
    const liveToken = (await login(live, { environment: 'live' })).access_token;
    const exchanged = await exchange(liveToken);
    assert.equal(exchanged.status, 200, JSON.stringify(exchanged.body));
    const claims = decodeJwt(exchanged.body.access_token!);
    assert.deepEqual([claims.iss, claims.sub, claims.environment], [sandbox, user.id, 'sandbox']);
    const audited = await cliJson<{ items: Array<{ data: Record<string, unknown> }> }>(server, ['audit', 'list', '--tenant', slug, '--env', 'sandbox', '--type', 'token.exchanged']);
    assert.ok(audited.items.some((entry) => entry.data.fromEnvironment === 'live'), JSON.stringify(audited.items));

    const outsider = await createUser(server, slug);
    const outsiderLogin = await post(live, 'auth/login', { email: outsider.email, password: outsider.password });
    const refused = await exchange((outsiderLogin.body as unknown as Tokens).access_token);
    assert.deepEqual([refused.status, refused.body.error], [400, 'invalid_grant']);
    const other = await createTenant(server);
    await cliJson(server, ['tenant', 'settings', '--tenant', other.slug, '--set', JSON.stringify({ headless: { restApi: true } })]);
    const stranger = await createUser(server, other.slug);
    const strangerLogin = await post(other.issuer, 'auth/login', { email: stranger.email, password: stranger.password });
    assert.equal((await exchange((strangerLogin.body as unknown as Tokens).access_token)).body.error, 'invalid_grant', 'another tenant\'s token is no sibling');
  });

  it('refuses a bad refresh token, an unknown or malformed environment', async () => {
    const tokens = await login(live);
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ refresh_token: 'nope', environment: 'sandbox' }, 400, 'token.invalid_refresh'],
      [{ refresh_token: tokens.refresh_token, environment: 'staging' }, 404, 'environment.not_found'],
      [{ refresh_token: tokens.refresh_token, environment: 'Bad Env' }, 400, 'request.invalid'],
      [{ refresh_token: tokens.refresh_token }, 400, 'request.invalid'],
    ];
    for (const [body, status, error] of cases) {
      const answer = await post(live, 'auth/switch', body);
      assert.equal(answer.body.error, error, JSON.stringify(answer.body));
      assert.equal(answer.status, status);
    }
    // a refresh token of another environment is unknown here
    const sandboxTokens = await post(live, 'auth/switch', { refresh_token: tokens.refresh_token, environment: 'sandbox' });
    assert.equal((await post(live, 'auth/switch', { refresh_token: sandboxTokens.body.refresh_token, environment: 'live' })).body.error, 'token.invalid_refresh');
  });
});
