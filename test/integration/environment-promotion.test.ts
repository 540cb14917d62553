// Promotion (issue #19 §5) over the CLI and Management API: `tessera env promote --from sandbox --to live` shows
// the diff of settings (methods, branding, policies), APIs, roles and clients (by name) and changes nothing; with
// --yes it applies it in one transaction and audits it, never touching users, secrets, keys, redirect URIs or the
// sandbox-only settings. A failure inside the transaction (a database trigger refusing one row) leaves live as it was.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import pg from 'pg';
import { cliJson, createTenant } from '../support/fixtures.js';
import { discover, oidc } from '../support/relying-party.js';
import { client as managementClient, operator } from '../support/management.js';
import { useTessera } from '../support/use-tessera.js';

interface Diff {
  settings: Array<{ path: string; from: unknown; to: unknown }>;
  apis: Array<{ name: string; from: unknown; to: unknown }>;
  roles: Array<{ name: string; from: unknown; to: unknown }>;
  clients: Array<{ name: string; from: Record<string, unknown> | null; to: Record<string, unknown> | null }>;
  clientsNotPromoted: string[];
}
interface Result { from: string; to: string; diff: Diff; applied: boolean }

const orders = 'https://orders.example.com';

describe('promoting an environment', () => {
  const server = useTessera();
  let slug: string;
  let live: string;
  let liveWorker: { client_id: string; client_secret: string };

  const cli = (args: string[]) => cliJson(server, args);
  const settingsOf = (env: string) => cliJson<{ branding: { primaryColor: string }; signIn: { sandbox: boolean; debugCode: string | null; passwordMinLength: number; methods: { emailOtp: boolean } } }>(server, ['tenant', 'settings', '--tenant', slug, '--env', env]);
  const promote = (yes: boolean) => cliJson<Result>(server, ['env', 'promote', '--tenant', slug, '--from', 'sandbox', '--to', 'live', ...(yes ? ['--yes'] : [])]);
  const roleNames = async (env: string) => (await cliJson<{ items: Array<{ name: string }> }>(server, ['role', 'list', '--tenant', slug, '--env', env])).items.map((r) => r.name).sort();

  before(async () => {
    ({ slug, issuer: live } = await createTenant(server));
    await cli(['env', 'create', '--tenant', slug, '--name', 'sandbox']);
    await cli(['tenant', 'settings', '--tenant', slug, '--env', 'sandbox', '--set', JSON.stringify({ branding: { primaryColor: '#aa3300' }, signIn: { methods: { emailOtp: true }, debugCode: '1234', passwordMinLength: 12 } })]);
    await cli(['api', 'create', '--tenant', slug, '--env', 'sandbox', '--identifier', orders, '--name', 'Orders', '--permission', 'read:orders', '--permission', 'write:orders']);
    await cli(['role', 'create', '--tenant', slug, '--env', 'sandbox', '--name', 'support', '--description', 'Helps customers', '--permission', `${orders}#read:orders`]);
    await cli(['role', 'create', '--tenant', slug, '--name', 'legacy']);
    const worker = (env: string, scope: string) => cliJson<{ client_id: string; client_secret: string }>(server, ['client', 'create', '--tenant', slug, '--env', env, '--name', 'Worker', '--grant', 'client_credentials', '--scope', scope]);
    const sandboxWorker = await worker('sandbox', 'openid reports');
    liveWorker = await worker('live', 'openid');
    await cli(['role', 'assign', '--tenant', slug, '--env', 'sandbox', `--client=${sandboxWorker.client_id}`, '--role', 'support']);
    await cli(['client', 'create', '--tenant', slug, '--env', 'sandbox', '--name', 'Sandbox only', '--redirect-uri', 'http://localhost:5173/cb']);
  });

  it('shows the diff and changes nothing without --yes', async () => {
    const { diff, applied } = await promote(false);
    assert.equal(applied, false);
    const paths = diff.settings.map((s) => s.path);
    for (const path of ['branding.primaryColor', 'signIn.methods.emailOtp', 'signIn.passwordMinLength']) assert.ok(paths.includes(path), `${path} in ${paths.join(', ')}`);
    assert.ok(!paths.some((path) => /sandbox|debugCode|testRecipients|messaging|connections|protocol|defaultResource/.test(path)), paths.join(', '));
    assert.deepEqual(diff.settings.find((s) => s.path === 'branding.primaryColor')?.to, '#aa3300');
    assert.deepEqual(diff.apis.map((a) => [a.name, a.from === null, a.to === null]), [[orders, true, false]]);
    assert.deepEqual(diff.roles.map((r) => [r.name, r.from === null, r.to === null]).sort(), [['legacy', false, true], ['support', true, false]]);
    assert.deepEqual(diff.clients.map((c) => [c.name, c.to?.scope, c.to?.api_scope, c.to?.roles]), [['Worker', 'openid', 'reports', ['support']]]);
    assert.deepEqual(diff.clientsNotPromoted, ['Sandbox only']);
    assert.equal((await settingsOf('live')).branding.primaryColor !== '#aa3300', true);
    assert.ok((await roleNames('live')).includes('legacy'));
  });

  it('leaves live as it was when the transaction fails part-way', async () => {
    const db = new pg.Client({ connectionString: server.env.DATABASE_URL });
    await db.connect();
    try {
      await db.query(`create or replace function refuse_support() returns trigger language plpgsql as $$ begin if new.name = 'support' then raise exception 'refused by the test'; end if; return new; end $$`);
      await db.query('create trigger refuse_support before insert on roles for each row execute function refuse_support()');
      const failed = await server.cli(['env', 'promote', '--tenant', slug, '--from', 'sandbox', '--to', 'live', '--yes']);
      assert.notEqual(failed.code, 0);
      assert.notEqual((await settingsOf('live')).branding.primaryColor, '#aa3300', 'the settings written first were rolled back');
      assert.equal((await cliJson<{ items: unknown[] }>(server, ['api', 'list', '--tenant', slug])).items.some((a) => (a as { identifier: string }).identifier === orders), false);
      assert.ok((await roleNames('live')).includes('legacy'));
    } finally {
      await db.query('drop trigger if exists refuse_support on roles');
      await db.end();
    }
  });

  it('applies it with --yes in one go, audited; secrets, ids and sandbox-only settings stay', async () => {
    const result = await promote(true);
    assert.equal(result.applied, true);
    const settings = await settingsOf('live');
    assert.equal(settings.branding.primaryColor, '#aa3300');
    assert.equal(settings.signIn.methods.emailOtp, true);
    assert.equal(settings.signIn.passwordMinLength, 12);
    assert.equal(settings.signIn.sandbox, false);
    assert.equal(settings.signIn.debugCode, null);
    assert.deepEqual(await roleNames('live'), (await roleNames('sandbox')));
    const liveClients = await cliJson<{ items: Array<{ client_id: string; client_name: string; api_scope: string }> }>(server, ['client', 'list', '--tenant', slug]);
    const worker = liveClients.items.find((c) => c.client_name === 'Worker')!;
    assert.equal(worker.client_id, liveWorker.client_id, 'same client, same id');
    assert.equal(worker.api_scope, 'reports');
    assert.ok(!liveClients.items.some((c) => c.client_name === 'Sandbox only'));
    // the secret was not touched: the live client still gets tokens, now carrying the promoted role's permission
    const token = await oidc.clientCredentialsGrant(await discover(live, liveWorker.client_id, liveWorker.client_secret), { resource: orders });
    const claims = JSON.parse(Buffer.from(token.access_token.split('.')[1]!, 'base64url').toString()) as { permissions?: string[]; environment?: string };
    assert.deepEqual(claims.permissions, ['read:orders']);
    assert.equal(claims.environment, 'live');
    const audit = await cliJson<{ items: Array<{ data: Record<string, unknown> }> }>(server, ['audit', 'list', '--tenant', slug, '--type', 'admin.environment_promoted']);
    assert.equal(audit.items.length, 1);
    assert.equal(audit.items[0]!.data.from, 'sandbox');
    assert.deepEqual((await promote(false)).diff.settings, [], 'nothing left to promote');
  });

  it('is in the Management API for operators of the tenant', async () => {
    const ops = await operator(server, ['tenants:write'], ['--operator-tenant', slug]);
    const api = managementClient(server, ops.token);
    const answer = await api.post(`/tenants/${slug}/environments/promote`, { from: 'live', to: 'sandbox' });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.body.applied, false);
    assert.equal((await api.post(`/tenants/${slug}/environments/promote`, { from: 'live', to: 'nowhere' })).body.error, 'environment.not_found');
    assert.equal((await api.post(`/tenants/${slug}/environments/promote`, { from: 'live', to: 'live' })).status, 400);
  });
});
