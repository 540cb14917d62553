// Development tokens (issue #19) fail closed: with TESSERA_DEV_TENANT + TESSERA_DEV_SECRET and development declared,
// start-up prints one tessera_dev_... token that the tenant's Management API and /v1 API accept with full rights;
// every platform marker, PRODUCTION=true or a missing declaration blocks it (not printed, not accepted, one log
// line naming why). tessera/verify and the RLS helpers refuse it unless opted in.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { platformMarkers } from '../../src/config/production-signals.js';
import { mintDevelopmentToken } from '../../src/config/development-token.js';
import { withAuth } from '../../src/rls/index.js';
import { authorize, createVerifier, TokenVerificationError } from '../../src/verify/index.js';
import { cliJson, createTenant, createUser, uniqueSlug } from '../support/fixtures.js';
import { call } from '../support/management.js';
import type { TesseraProcess } from '../support/tessera-process.js';
import { startServer, useTessera } from '../support/use-tessera.js';

const devTenant = uniqueSlug('dev');
const secret = randomBytes(32).toString('base64url');
const token = mintDevelopmentToken(devTenant, secret);
const devEnv = { TESSERA_ENV: 'development', TESSERA_DEV_TENANT: devTenant, TESSERA_DEV_SECRET: secret };

async function restLogin(issuer: string, user: { email: string; password: string }, bearer: string) {
  return fetch(`${issuer}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` }, body: JSON.stringify({ email: user.email, password: user.password }) });
}

describe('development tokens', () => {
  const server = useTessera(devEnv);
  let user: { email: string; password: string };

  before(async () => {
    await createTenant(server, devTenant);
    await cliJson(server, ['tenant', 'settings', '--tenant', devTenant, '--set', JSON.stringify({ headless: { restApi: true } })]);
    user = await createUser(server, devTenant);
  });

  it('is printed once at start-up where development is declared', () => {
    const lines = server.output().split('\n').filter((line) => line.includes('tessera_dev_'));
    assert.equal(lines.length, 1, server.output());
    assert.ok(lines[0]!.endsWith(token), lines[0]);
  });

  it('has full rights on its tenant in the Management API, and none on any other tenant', async () => {
    const own = await call(server, 'GET', `/tenants/${devTenant}/clients`, { token });
    assert.equal(own.status, 200, own.text);
    const created = await call(server, 'POST', `/tenants/${devTenant}/roles`, { token, body: { name: 'dev-made', description: 'by the dev token' } });
    assert.equal(created.status, 201, created.text);
    const other = await createTenant(server);
    const refused = await call(server, 'GET', `/tenants/${other.slug}/clients`, { token });
    assert.equal(refused.status, 403, refused.text);
    assert.equal(refused.body.error, 'tenant.forbidden');
    const newTenant = await call(server, 'POST', '/tenants', { token, body: { slug: uniqueSlug(), name: 'x' } });
    assert.equal(newTenant.status, 403, newTenant.text);
  });

  it('stands for the tenant\'s apps in its /v1 API, and only there', async () => {
    const answer = await restLogin(server.issuer(devTenant), user, token);
    assert.equal(answer.status, 200, await answer.clone().text());
    assert.ok(((await answer.json()) as { access_token?: string }).access_token);
    const forged = await restLogin(server.issuer(devTenant), user, mintDevelopmentToken(devTenant, randomBytes(32).toString('base64url')));
    assert.equal(forged.status, 401);
    assert.equal(((await forged.json()) as { error: string }).error, 'app.invalid_credentials');
    const wrongTenant = await call(server, 'GET', `/tenants/${devTenant}/clients`, { token: mintDevelopmentToken('another', secret) });
    assert.equal(wrongTenant.status, 401);
    assert.equal(wrongTenant.body.error, 'auth.invalid_token');
  });

  it('is refused by tessera/verify unless the verifier opts in, and then only outside production', async () => {
    const base = { issuer: server.issuer(devTenant), audience: 'https://api.example.com' };
    await assert.rejects(createVerifier(base).verify(token), (error: TokenVerificationError) => error.code === 'invalid_token' && /opt in/.test(error.message));
    const declared = createVerifier({ ...base, developmentTokens: { tenant: devTenant, secret, env: { TESSERA_ENV: 'development' } } });
    const claims = await declared.verify(token);
    assert.equal(claims.development, true);
    assert.equal((await authorize(declared, `Bearer ${token}`, { permissions: ['notes:write'], roles: ['admin'] })).ok, true);
    const onFly = createVerifier({ ...base, developmentTokens: { tenant: devTenant, secret, env: { TESSERA_ENV: 'development', FLY_APP_NAME: 'app' } } });
    await assert.rejects(onFly.verify(token), (error: TokenVerificationError) => error.code === 'invalid_token' && /FLY_APP_NAME/.test(error.message));
    const undeclared = createVerifier({ ...base, developmentTokens: { tenant: devTenant, secret, env: {} } });
    await assert.rejects(undeclared.verify(token), /not declared/);
    assert.equal((await authorize(onFly, `Bearer ${token}`)).ok, false);
  });

  it('is refused by the RLS helpers unless they opt in too', async () => {
    const verifier = createVerifier({ issuer: server.issuer(devTenant), audience: 'https://api.example.com', developmentTokens: { tenant: devTenant, secret, env: { NODE_ENV: 'development' } } });
    const db = new pg.Client({ connectionString: server.env.DATABASE_URL });
    await db.connect();
    try {
      let ran = false;
      await assert.rejects(withAuth(db, token, async () => { ran = true; }, { verifier }), /row-level security/);
      assert.equal(ran, false);
      const sub = await withAuth(db, token, async (tx) => ((await tx.query(`select current_setting('tessera.auth', true)::jsonb -> 'claims' ->> 'sub' as sub`)) as { rows: Array<{ sub: string }> }).rows[0]!.sub, { verifier, allowDevelopmentTokens: true });
      assert.equal(sub, `dev:${devTenant}`);
    } finally {
      await db.end();
    }
  });

  describe('blocked wherever production is signalled', () => {
    const blockers: Array<{ name: string; env: Record<string, string>; named: RegExp }> = [
      ...platformMarkers.map(({ variable, platform }) => ({ name: `${variable} (${platform})`, env: { ...devEnv, [variable]: 'x' }, named: new RegExp(variable) })),
      { name: 'PRODUCTION=true', env: { ...devEnv, PRODUCTION: 'true' }, named: /PRODUCTION is set/ },
      { name: 'no declaration', env: { TESSERA_DEV_TENANT: devTenant, TESSERA_DEV_SECRET: secret }, named: /not declared/ },
      { name: 'TESSERA_ENV=production', env: { ...devEnv, TESSERA_ENV: 'production' }, named: /TESSERA_ENV=production/ },
    ];
    const started: TesseraProcess[] = [];
    after(() => Promise.all(started.map((s) => s.stop())));

    for (const blocker of blockers) {
      it(`${blocker.name}: neither printed nor accepted, one line names why`, async () => {
        const { PORT: _port, PUBLIC_URL: _url, TESSERA_ENV: _env, TESSERA_DEV_TENANT: _t, TESSERA_DEV_SECRET: _s, ...shared } = server.env;
        const blocked = await startServer({ ...shared, ...blocker.env });
        started.push(blocked);
        assert.doesNotMatch(blocked.output(), /tessera_dev_/);
        const refusals = blocked.output().split('\n').filter((line) => line.includes('development token refused'));
        assert.equal(refusals.length, 1, blocked.output());
        assert.match(refusals[0]!, blocker.named);
        const management = await call(blocked, 'GET', `/tenants/${devTenant}/clients`, { token });
        assert.equal(management.status, 401, management.text);
        assert.equal(management.body.error, 'auth.invalid_token');
        const rest = await restLogin(blocked.issuer(devTenant), user, token);
        assert.equal(rest.status, 401);
        await blocked.stop();
      });
    }
  });
});
