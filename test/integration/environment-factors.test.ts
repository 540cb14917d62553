// A tenant's environments share its users (issue #19, db/user-realm.ts), so a user's second factors and the limits on
// guessing them are the user's in every environment, over the REST auth API of each environment's issuer:
// - an SMS factor set up in the sandbox is asked for, and answered, at live (it had been kept under the sandbox's id);
// - wrong passwords and wrong second-factor codes sent to the sandbox count against the account at live (each
//   environment had a lock of its own: ten guesses per environment);
// - values stored before this change, sealed or hashed under an environment's own id, still open at every other, and
//   the migration moves an environment's SMS factor to its tenant (src/auth-methods/mfa/realm-secrets.ts).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import pg from 'pg';
import { createSealer } from '../../src/crypto/sealing.js';
import { cliJson, createTenant, createUser } from '../support/fixtures.js';
import { totpCode } from '../support/mfa-flows.js';
import { randomMobile } from '../support/phone-flows.js';
import { outboxCode, restApi, type RestEnvelope, type RestTokens } from '../support/rest-api.js';
import { repoRoot } from '../support/tessera-process.js';
import { useTessera } from '../support/use-tessera.js';

describe('second factors and account limits across a tenant\'s environments', () => {
  const server = useTessera();
  let slug: string;
  let live: ReturnType<typeof restApi>;
  let sandbox: ReturnType<typeof restApi>;
  let liveIssuer: string;
  let sandboxIssuer: string;

  before(async () => {
    ({ slug, issuer: liveIssuer } = await createTenant(server));
    ({ issuer: sandboxIssuer } = await cliJson<{ issuer: string }>(server, ['env', 'create', '--tenant', slug, '--name', 'sandbox']));
    for (const env of ['live', 'sandbox']) await cliJson(server, ['tenant', 'settings', '--tenant', slug, '--env', env, '--set', JSON.stringify({ headless: { restApi: true } })]);
    await cliJson(server, ['role', 'create', '--tenant', slug, '--env', 'sandbox', '--name', 'developer']);
    [live, sandbox] = [restApi(liveIssuer), restApi(sandboxIssuer)];
  });

  /** a user of the tenant who may enter the sandbox */
  async function developer() {
    const user = await createUser(server, slug);
    await cliJson(server, ['role', 'assign', '--tenant', slug, '--env', 'sandbox', '--user', user.id, '--role', 'developer']);
    return user;
  }

  /** a password sign-in into `environment` named (without it, a sign-in lands in the environment the user last used) */
  const login = (api: ReturnType<typeof restApi>, environment: 'live' | 'sandbox', user: { email: string; password: string }) =>
    api.call('POST', 'auth/login', null, { email: user.email, password: user.password, environment });
  const challengeOf = async (response: Promise<Response>) => (await live.json<RestEnvelope>(response)).challenge;

  it('an SMS factor set up in the sandbox is asked for at live, its code sent to the same number and accepted there', async () => {
    const user = await developer();
    const token = (await sandbox.json<RestTokens>(login(sandbox, 'sandbox', user))).access_token;
    const phone = randomMobile('GB');
    const setup = await sandbox.json<{ factor_id: string }>(sandbox.call('POST', 'auth/2fa/sms/setup', token, { phone }), 202);
    await sandbox.json(sandbox.call('POST', 'auth/2fa/sms/verify', token, { factor_id: setup.factor_id, code: await outboxCode(sandboxIssuer, phone) }));

    const challenge = await challengeOf(login(live, 'live', user));
    assert.deepEqual(challenge.methods, ['sms', 'recovery_code']);
    await live.json(live.call('POST', `auth/challenge/${challenge.id}/send`, null, { method: 'sms' }), 202);
    const tokens = await live.json<RestTokens>(live.call('POST', `auth/challenge/${challenge.id}/verify`, null, { method: 'sms', code: await outboxCode(liveIssuer, phone) }));
    assert.ok(tokens.access_token);
    // the operator's view of the user (the tenant's) lists it, and a reset there removes it for every environment
    assert.ok((await cliJson<{ sms: { id: string } | null }>(server, ['user', 'factors', '--tenant', slug, '--id', user.id])).sms?.id);
    await cliJson(server, ['user', 'reset-mfa', '--tenant', slug, '--id', user.id]);
    assert.ok((await sandbox.json<RestTokens>(login(sandbox, 'sandbox', user))).access_token, 'no second factor left in the sandbox');
  });

  it('wrong passwords sent to the sandbox count against the account at live: ten lock it everywhere', async () => {
    const user = await developer();
    for (let i = 0; i < 10; i++) await sandbox.expectError(login(sandbox, 'sandbox', { email: user.email, password: `wrong-${i}` }), 401, 'login.invalid_credentials');
    const refused = await login(live, 'live', user);
    assert.ok(Number(refused.headers.get('retry-after')) > 0, 'Retry-After');
    await live.expectError(refused, 429, 'auth.rate_limited');
  });

  it('wrong second-factor codes at the sandbox count at live: the authenticator\'s right code is refused there once ten were wrong', async () => {
    const user = await developer();
    const token = (await live.json<RestTokens>(login(live, 'live', user))).access_token;
    const enrolment = await live.json<{ factor_id: string; secret: string }>(live.call('POST', 'auth/2fa/totp/setup', token, {}));
    await live.json(live.call('POST', 'auth/2fa/totp/verify', token, { factor_id: enrolment.factor_id, code: await totpCode(enrolment.secret) }));
    const right = await totpCode(enrolment.secret, Date.now() + 30_000);
    const wrong = right === '000000' ? '111111' : '000000';
    for (let i = 0; i < 10; i++) {
      const challenge = await challengeOf(login(sandbox, 'sandbox', user));
      await sandbox.expectError(sandbox.call('POST', `auth/challenge/${challenge.id}/verify`, null, { method: 'totp', code: wrong }), 400, 'otp.invalid_code');
    }
    const challenge = await challengeOf(login(live, 'live', user));
    await live.expectError(live.call('POST', `auth/challenge/${challenge.id}/verify`, null, { method: 'totp', code: right }), 429, 'auth.rate_limited');
  });

  it('factors stored under an environment\'s own id before the change: the migration moves the SMS factor, and both still open at live', async () => {
    const user = await developer();
    const phone = randomMobile('GB');
    const db = new pg.Client({ connectionString: server.env.DATABASE_URL });
    await db.connect();
    try {
      const [{ id: sandboxId }] = (await db.query<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [`${slug}~sandbox`])).rows as [{ id: string }];
      const [{ id: liveId }] = (await db.query<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [slug])).rows as [{ id: string }];
      // as the sandbox stored them: the number under its id, an authenticator under the tenant's, both sealed under the sandbox's
      const sealer = createSealer([server.env.KEY_ENCRYPTION_KEY!]);
      const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
      await db.query(`INSERT INTO mfa_factors (id, tenant_id, user_id, type, name, sealed_secret, confirmed) VALUES
        (gen_random_uuid(), $1, $3, 'sms', 'Text message', $4, true), (gen_random_uuid(), $2, $3, 'totp', 'App', $5, true)`,
      [sandboxId, liveId, user.id, sealer.seal(phone, `sms-factor:${sandboxId}:${user.id}`), sealer.seal(secret, `totp-secret:${sandboxId}:${user.id}`)]);

      await db.query(readFileSync(join(repoRoot, 'prisma/migrations/20261207234500_sms_factors_in_user_realm/migration.sql'), 'utf8'));
      const moved = await db.query<{ tenant_id: string }>(`SELECT tenant_id FROM mfa_factors WHERE user_id = $1 AND type = 'sms'`, [user.id]);
      assert.deepEqual(moved.rows.map((r) => r.tenant_id), [liveId]);
    } finally {
      await db.end();
    }

    const challenge = await challengeOf(login(live, 'live', user));
    assert.deepEqual(challenge.methods, ['totp', 'sms', 'recovery_code']);
    await live.json(live.call('POST', `auth/challenge/${challenge.id}/send`, null, { method: 'sms' }), 202);
    assert.ok(await outboxCode(liveIssuer, phone), 'the code goes to the number sealed under the sandbox\'s id');
    const tokens = await live.json<RestTokens>(live.call('POST', `auth/challenge/${challenge.id}/verify`, null, { method: 'totp', code: await totpCode('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP') }));
    assert.ok(tokens.access_token);
  });
});
