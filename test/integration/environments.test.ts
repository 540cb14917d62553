// Environments (issue #19 §1) over HTTP: `tessera env create` gives a tenant a sandbox with its own issuer
// ({PUBLIC_URL}/t/{slug}~sandbox), discovery, JWKS, clients and roles; users are the tenant's. A sandbox token
// carries `environment: sandbox` and is refused by live's introspection, permissions check and verifier.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { createVerifier } from '../../src/verify/index.js';
import { cliJson, createTenant, createUser } from '../support/fixtures.js';
import { client as managementClient, operator } from '../support/management.js';
import { asConsolePage, createOperator, csrfOf, post, signInToConsole } from '../support/admin-console.js';
import { discover, oidc } from '../support/relying-party.js';
import { useTessera } from '../support/use-tessera.js';

interface Tokens { access_token: string; refresh_token: string }

describe('environments', () => {
  const server = useTessera();
  let slug: string;
  let live: string;
  let sandbox: string;
  let liveMachine: { client_id: string; client_secret: string };
  let sandboxMachine: { client_id: string; client_secret: string };

  const machineToken = async (issuer: string, machine: { client_id: string; client_secret: string }) =>
    (await oidc.clientCredentialsGrant(await discover(issuer, machine.client_id, machine.client_secret))).access_token;

  // the environment named: without it, a user signs in to the one they used last (environment-switching.test.ts)
  const restLogin = async (issuer: string, user: { email: string; password: string }, environment: string) => {
    const response = await fetch(`${issuer}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: user.email, password: user.password, environment }) });
    assert.equal(response.status, 200, await response.clone().text());
    return (await response.json()) as Tokens;
  };

  before(async () => {
    ({ slug, issuer: live } = await createTenant(server));
    const created = await cliJson<{ environment: string; issuer: string }>(server, ['env', 'create', '--tenant', slug, '--name', 'sandbox']);
    assert.deepEqual(created, { environment: 'sandbox', issuer: `${server.url}/t/${slug}~sandbox` });
    sandbox = created.issuer;
    const machine = (env: string) => cliJson<{ client_id: string; client_secret: string }>(server, ['client', 'create', '--tenant', slug, '--env', env, '--name', 'Worker', '--grant', 'client_credentials']);
    [liveMachine, sandboxMachine] = [await machine('live'), await machine('sandbox')];
  });

  it('lists live first; names are checked; the system tenant has none', async () => {
    const listed = await cliJson<{ items: Array<{ environment: string; slug: string; issuer: string }> }>(server, ['env', 'list', '--tenant', slug]);
    assert.deepEqual(listed.items, [
      { environment: 'live', slug, issuer: live },
      { environment: 'sandbox', slug: `${slug}~sandbox`, issuer: sandbox },
    ]);
    for (const [name, message] of [['sandbox', /already has an environment/], ['live', /environment name is/], ['Bad Name', /environment name is/]] as const) {
      const refused = await server.cli(['env', 'create', '--tenant', slug, '--name', name]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, message);
    }
    const system = await server.cli(['env', 'create', '--tenant', 'system', '--name', 'sandbox']);
    assert.match(system.stderr, /no environments/);
    const badFlag = await server.cli(['client', 'list', '--tenant', slug, '--env', 'Nope']);
    assert.equal(badFlag.code, 2);
  });

  it('publishes its own discovery and JWKS: another issuer, other keys', async () => {
    const [liveMeta, sandboxMeta] = await Promise.all([live, sandbox].map(async (issuer) => (await fetch(`${issuer}/.well-known/openid-configuration`)).json() as Promise<{ issuer: string; jwks_uri: string; token_endpoint: string }>));
    assert.equal(sandboxMeta!.issuer, sandbox);
    assert.equal(sandboxMeta!.token_endpoint, `${sandbox}/token`);
    const kids = async (uri: string) => ((await (await fetch(uri)).json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
    const [liveKids, sandboxKids] = [await kids(liveMeta!.jwks_uri), await kids(sandboxMeta!.jwks_uri)];
    assert.ok(sandboxKids.length > 0);
    assert.deepEqual(sandboxKids.filter((kid) => liveKids.includes(kid)), []);
  });

  it('has its own clients: a sandbox client is unknown to live', async () => {
    const liveClients = await cliJson<{ items: Array<{ client_id: string }> }>(server, ['client', 'list', '--tenant', slug]);
    const sandboxClients = await cliJson<{ items: Array<{ client_id: string }> }>(server, ['client', 'list', '--tenant', slug, '--env', 'sandbox']);
    assert.ok(sandboxClients.items.some((c) => c.client_id === sandboxMachine.client_id));
    assert.ok(!liveClients.items.some((c) => c.client_id === sandboxMachine.client_id));
    await assert.rejects(machineToken(live, sandboxMachine), (error: { error?: string; cause?: { error?: string } }) => (error.error ?? error.cause?.error) === 'invalid_client' || /WWW-Authenticate/.test(String(error)));
  });

  it('issues tokens that name the environment and are refused by live: introspection, permissions check, verifier', async () => {
    const token = await machineToken(sandbox, sandboxMachine);
    const claims = decodeJwt(token);
    assert.equal(claims.iss, sandbox);
    assert.equal(claims.environment, 'sandbox');
    assert.equal(decodeJwt(await machineToken(live, liveMachine)).environment, 'live');

    const liveConfig = await discover(live, liveMachine.client_id, liveMachine.client_secret);
    assert.deepEqual({ ...(await oidc.tokenIntrospection(liveConfig, token)) }, { active: false });
    const sandboxConfig = await discover(sandbox, sandboxMachine.client_id, sandboxMachine.client_secret);
    assert.equal((await oidc.tokenIntrospection(sandboxConfig, token)).active, true, 'active where it was issued');

    const check = async (issuer: string, audience: string) => {
      const response = await fetch(`${issuer}/permissions/check`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, audience }) });
      assert.equal(response.status, 200);
      return ((await response.json()) as { active: boolean }).active;
    };
    assert.equal(await check(live, `${sandbox}/api`), false);
    assert.equal(await check(live, `${live}/api`), false);
    assert.equal(await check(sandbox, `${sandbox}/api`), true);

    await assert.rejects(createVerifier({ issuer: live, audience: `${sandbox}/api` }).verify(token), /refused|signature/);
    assert.equal((await createVerifier({ issuer: sandbox, audience: `${sandbox}/api` }).verify(token)).environment, 'sandbox');
  });

  it('shares the tenant\'s users; roles differ per environment', async () => {
    const user = await createUser(server, slug);
    for (const env of ['live', 'sandbox']) {
      await cliJson(server, ['tenant', 'settings', '--tenant', slug, '--env', env, '--set', JSON.stringify({ headless: { restApi: true } })]);
    }
    await cliJson(server, ['role', 'create', '--tenant', slug, '--env', 'sandbox', '--name', 'tester']);
    await cliJson(server, ['role', 'assign', '--tenant', slug, '--env', 'sandbox', '--user', user.id, '--role', 'tester']);
    const whoami = async (issuer: string) => {
      const tokens = await restLogin(issuer, user, issuer === sandbox ? 'sandbox' : 'live');
      const response = await fetch(`${issuer}/v1/whoami`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      assert.equal(response.status, 200);
      return { body: (await response.json()) as { user: { id: string }; roles: string[] }, tokens };
    };
    const inSandbox = await whoami(sandbox);
    const inLive = await whoami(live);
    assert.equal(inSandbox.body.user.id, user.id);
    assert.equal(inLive.body.user.id, user.id);
    assert.ok(inSandbox.body.roles.includes('tester'), JSON.stringify(inSandbox.body));
    assert.ok(!inLive.body.roles.includes('tester'));
    const crossed = await fetch(`${live}/v1/whoami`, { headers: { authorization: `Bearer ${inSandbox.tokens.access_token}` } });
    assert.equal(crossed.status, 401);
    const users = await cliJson<{ items: Array<{ id: string }> }>(server, ['user', 'list', '--tenant', slug, '--env', 'sandbox', '--email', user.email]);
    assert.deepEqual(users.items.map((u) => u.id), [user.id]);
  });

  it('is managed through the Management API, by operators of the tenant', async () => {
    const limited = await operator(server, ['tenants:read', 'tenants:write', 'clients:read'], ['--operator-tenant', slug]);
    const api = managementClient(server, limited.token);
    const listed = await api.get(`/tenants/${slug}/environments`);
    assert.equal(listed.status, 200, listed.text);
    assert.deepEqual(listed.body.items.map((e: { environment: string }) => e.environment), ['live', 'sandbox']);
    const created = await api.post(`/tenants/${slug}/environments`, { name: 'staging' });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(created.body, { environment: 'staging', issuer: `${server.url}/t/${slug}~staging` });
    const clients = await api.get(`/tenants/${slug}~sandbox/clients`);
    assert.equal(clients.status, 200, clients.text);
    assert.ok(clients.body.items.some((c: { client_id: string }) => c.client_id === sandboxMachine.client_id));
    const other = await createTenant(server);
    assert.equal((await api.get(`/tenants/${other.slug}~sandbox/clients`)).status, 403);
    const tenants = await api.get('/tenants');
    assert.deepEqual(tenants.body.items.map((t: { slug: string }) => t.slug), [slug], 'environments are not tenants of their own');
    assert.equal((await api.post(`/tenants/${slug}~sandbox/environments`, { name: 'nested' })).status, 404);
  });

  it('is in the console: list, create, and promotion with the diff shown before it is applied', async () => {
    const owner = await createOperator(server, 'owner');
    const { browser } = await signInToConsole(server, owner);
    const listing = asConsolePage(await browser.navigate(`${server.url}/admin/tenants/${slug}/environments`), 'the environments page');
    assert.match(listing.html, new RegExp(`href="/admin/tenants/${slug}~sandbox">sandbox</a>`));
    const created = asConsolePage(await post(browser, server, `/admin/tenants/${slug}/environments`, { _csrf: csrfOf(listing), name: 'qa' }), 'the page after creating');
    assert.match(created.html, new RegExp(`Environment qa created: its issuer is ${server.url}/t/${slug}~qa`));
    await cliJson(server, ['role', 'create', '--tenant', slug, '--env', 'qa', '--name', 'qa-only']);
    const shown = asConsolePage(await post(browser, server, `/admin/tenants/${slug}/environments/promote`, { _csrf: csrfOf(created), from: 'qa', to: 'sandbox' }), 'the diff');
    assert.match(shown.html, /role <code>qa-only<\/code>/);
    const before = await cliJson<{ items: Array<{ name: string }> }>(server, ['role', 'list', '--tenant', slug, '--env', 'sandbox']);
    assert.ok(!before.items.some((r) => r.name === 'qa-only'), 'showing the diff changes nothing');
    const applied = asConsolePage(await post(browser, server, `/admin/tenants/${slug}/environments/promote`, { _csrf: csrfOf(shown), from: 'qa', to: 'sandbox', apply: 'yes' }), 'the page after applying');
    assert.match(applied.html, /Promoted qa to sandbox/);
    const after = await cliJson<{ items: Array<{ name: string }> }>(server, ['role', 'list', '--tenant', slug, '--env', 'sandbox']);
    assert.ok(after.items.some((r) => r.name === 'qa-only'));
  });

  it('keys and outbox commands with --env act on that environment, not on live', async () => {
    // a tenant of this test's own, so rotating its sandbox's keys touches nothing the other tests use
    const own = await createTenant(server);
    const { issuer: ownSandbox } = await cliJson<{ issuer: string }>(server, ['env', 'create', '--tenant', own.slug, '--name', 'sandbox']);
    type Key = { kid: string; alg: string; state: string };
    const keys = (env: string) => cliJson<Key[]>(server, ['keys', 'list', '--tenant', own.slug, '--env', env]);
    const published = async (issuer: string) => {
      const meta = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as { jwks_uri: string };
      return ((await (await fetch(meta.jwks_uri)).json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid).sort();
    };
    const [liveKeys, sandboxKeys] = [await keys('live'), await keys('sandbox')];
    assert.deepEqual(sandboxKeys.map((k) => k.kid).sort(), await published(ownSandbox), 'the sandbox\'s keys, as its JWKS publishes them');
    assert.deepEqual(liveKeys.map((k) => k.kid).sort(), await published(own.issuer));
    assert.deepEqual(sandboxKeys.filter((k) => liveKeys.some((l) => l.kid === k.kid)), []);

    const rotated = await cliJson<{ kid: string; alg: string; tenant: string }>(server, ['keys', 'rotate', '--tenant', own.slug, '--env', 'sandbox', '--alg', 'ES256']);
    assert.equal(rotated.tenant, `${own.slug}~sandbox`);
    assert.ok((await keys('sandbox')).some((k) => k.kid === rotated.kid && k.state === 'pending'), 'the new key is the sandbox\'s');
    assert.deepEqual(await keys('live'), liveKeys, 'live\'s keys are untouched');

    // a code sent through each environment's backend OTP API lands in that environment's outbox only
    const sendCode = async (env: string, email: string) => {
      await cliJson(server, ['tenant', 'settings', '--tenant', own.slug, '--env', env, '--set', JSON.stringify({ signIn: { methods: { emailOtp: true } } })]);
      const app = await cliJson<{ app_id: string; app_secret: string }>(server, ['app', 'create', '--tenant', own.slug, '--env', env, '--name', 'Test', '--slug', `otp-${env}`]);
      const sent = await fetch(`${server.url}/auth/send-otp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ app_id: app.app_id, app_secret: app.app_secret, email }) });
      assert.equal(sent.status, 200, await sent.clone().text());
    };
    const [toSandbox, toLive] = [`sandbox-${Date.now()}@example.com`, `live-${Date.now()}@example.com`];
    await sendCode('sandbox', toSandbox);
    await sendCode('live', toLive);
    const outboxOf = (env: string) => cliJson<Array<{ to: string; code: string | null }>>(server, ['outbox', 'list', '--tenant', own.slug, '--env', env]);
    let sandboxOutbox = await outboxOf('sandbox');
    let liveOutbox = await outboxOf('live');
    // delivery runs in the background
    for (let i = 0; i < 50 && !(sandboxOutbox.some((m) => m.to === toSandbox) && liveOutbox.some((m) => m.to === toLive)); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      [sandboxOutbox, liveOutbox] = [await outboxOf('sandbox'), await outboxOf('live')];
    }
    assert.deepEqual(sandboxOutbox.map((m) => m.to), [toSandbox]);
    assert.match(sandboxOutbox[0]!.code ?? '', /^\d{4,8}$/);
    assert.deepEqual(liveOutbox.map((m) => m.to), [toLive]);
  });

  it('goes with its tenant: deleting the tenant deletes its environments, whose issuers stop answering at once', async () => {
    const doomed = await createTenant(server);
    const { issuer } = await cliJson<{ issuer: string }>(server, ['env', 'create', '--tenant', doomed.slug, '--name', 'sandbox']);
    assert.equal((await fetch(`${issuer}/.well-known/openid-configuration`)).status, 200);
    await cliJson(server, ['tenant', 'delete', '--tenant', doomed.slug]);
    assert.equal((await fetch(`${issuer}/.well-known/openid-configuration`)).status, 404);
  });
});
