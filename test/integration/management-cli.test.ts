// The CLI performs the Management API's operations: in-process as the local operator (`cli` in the audit log),
// and with TESSERA_URL through the API itself, with a system-tenant client's token and that client as actor.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { useTessera } from '../support/use-tessera.js';
import { cliJson, createTenant, createUser } from '../support/fixtures.js';
import { runCliInProcess, type CliResult } from '../support/tessera-process.js';
import { operator, type Operator } from '../support/management.js';

describe('CLI: Management API commands', () => {
  const server = useTessera();
  let tenant: string;

  before(async () => {
    tenant = (await createTenant(server)).slug;
  });

  describe('in-process, as the local operator', () => {
    it('creates an API and a role from its permissions, assigns it, and audits the actor as "cli"', async () => {
      const api = await cliJson<{ id: string; identifier: string }>(server, ['api', 'create', '--tenant', tenant, '--identifier', 'https://orders.example.com', '--name', 'Orders', '--permission', 'read:orders', '--permission', 'write:orders']);
      assert.equal(api.identifier, 'https://orders.example.com');
      const role = await cliJson<{ permissions: unknown[] }>(server, ['role', 'create', '--tenant', tenant, '--name', 'support', '--permission', 'https://orders.example.com#read:orders', '--permission', 'https://orders.example.com:write:orders']);
      assert.deepEqual(role.permissions, [{ api: 'https://orders.example.com', name: 'read:orders' }, { api: 'https://orders.example.com', name: 'write:orders' }]);
      const user = await createUser(server, tenant, { email: 'cli-user@example.com' });
      assert.deepEqual((await cliJson<{ roles: string[] }>(server, ['role', 'assign', '--tenant', tenant, '--user', user.id, '--role', 'support'])).roles, ['support']);
      const found = await cliJson<{ items: Array<{ id: string }> }>(server, ['user', 'list', '--tenant', tenant, '--email', 'cli-user@example.com']);
      assert.deepEqual(found.items.map((u) => u.id), [user.id]);
      assert.equal((await cliJson<{ disabled: boolean }>(server, ['user', 'disable', '--tenant', tenant, '--id', user.id])).disabled, true);
      const audit = await cliJson<{ items: Array<{ actor: string; subject: string }> }>(server, ['audit', 'list', '--tenant', tenant, '--type', 'admin.role_assigned']);
      assert.deepEqual(audit.items.map((e) => [e.actor, e.subject]), [['cli', user.id]]);
    });

    it('refuses bad flags with exit 2 and refused operations with exit 1 and the error\'s message', async () => {
      const usage = await server.cli(['role', 'assign', '--tenant', tenant, '--role', 'support']);
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /either --user <id> or --client/);
      const missing = await server.cli(['role', 'get', '--tenant', tenant, '--name', 'nobody']);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /No role "nobody"/);
    });
  });

  describe('through the Management API (TESSERA_URL)', () => {
    let ops: Operator;
    const viaApi = (argv: string[], credentials: Partial<Operator> = ops): Promise<CliResult> =>
      // no DATABASE_URL: the command cannot but go through HTTP
      runCliInProcess(argv, { TESSERA_URL: server.url, TESSERA_CLIENT_ID: credentials.clientId ?? '', TESSERA_CLIENT_SECRET: credentials.clientSecret ?? '' });
    const ok = async <T = any>(argv: string[]): Promise<T> => {
      const result = await viaApi(argv);
      assert.equal(result.code, 0, `tessera ${argv.join(' ')}: ${result.stderr}`);
      return result.json as T;
    };

    before(async () => {
      ops = await operator(server, ['tenants:read', 'tenants:write', 'users:read', 'users:write', 'roles:read', 'roles:write', 'clients:write', 'sessions:read', 'audit:read', 'keys:write']);
    });

    it('runs the commands of #2 with the same output', async () => {
      const slug = `api-${Date.now().toString(36)}`;
      const created = await ok(['tenant', 'create', slug, '--name', 'Over the API']);
      assert.deepEqual(created, { slug, name: 'Over the API', issuer: server.issuer(slug), id_token_alg: 'RS256', access_token_alg: 'RS256' });
      assert.ok((await ok<Array<{ slug: string }>>(['tenant', 'list'])).some((t) => t.slug === slug));
      const user = await ok(['user', 'create', '--tenant', slug, '--email', 'remote@example.com', '--password', 'Correct-Horse-Battery-9']);
      assert.deepEqual(Object.keys(user).sort(), ['email', 'id']);
      const client = await ok(['client', 'create', '--tenant', slug, '--name', 'Worker', '--grant', 'client_credentials']);
      assert.deepEqual(Object.keys(client).sort(), ['client_id', 'client_name', 'client_secret', 'grant_types', 'redirect_uris', 'token_endpoint_auth_method']);
      assert.equal((await ok(['keys', 'rotate', '--tenant', slug, '--alg', 'ES256'])).tenant, slug);
      const verify = await viaApi(['audit', 'verify', '--tenant', slug]);
      assert.equal(verify.code, 0, verify.stderr);
      assert.equal((verify.json as { ok: boolean }).ok, true);
      const exported = await viaApi(['audit', 'export', '--tenant', slug]);
      assert.ok(exported.stdout.trim().split('\n').some((line) => (JSON.parse(line) as { type: string }).type === 'admin.key_rotated'));
    });

    it('runs the new commands, and the audit log names the API client as actor', async () => {
      await ok(['api', 'create', '--tenant', tenant, '--identifier', 'https://billing.example.com', '--name', 'Billing', '--permission', 'read:invoices']);
      const role = await ok(['role', 'create', '--tenant', tenant, '--name', 'accountant', '--permission', 'https://billing.example.com:read:invoices']);
      assert.deepEqual(role.permissions, [{ api: 'https://billing.example.com', name: 'read:invoices' }]);
      const user = await createUser(server, tenant, { email: 'remote-accountant@example.com' });
      assert.deepEqual((await ok(['role', 'assign', '--tenant', tenant, '--user', user.id, '--role', 'accountant'])).roles, ['accountant']);
      assert.deepEqual((await ok(['user', 'roles', '--tenant', tenant, '--id', user.id])).roles, ['accountant']);
      assert.deepEqual((await ok(['role', 'unassign', '--tenant', tenant, '--user', user.id, '--role', 'accountant'])).roles, []);
      assert.deepEqual((await ok(['session', 'list', '--tenant', tenant, '--user', user.id])).items, []);
      const page = await ok(['user', 'list', '--tenant', tenant, '--q', 'remote-accountant', '--limit', '1']);
      assert.deepEqual(page.items.map((u: { id: string }) => u.id), [user.id]);
      const audit = await ok(['audit', 'list', '--tenant', tenant, '--type', 'admin.role_created', '--subject', 'role:accountant']);
      assert.deepEqual(audit.items.map((e: { actor: string }) => e.actor), [`client:${ops.clientId}`]);
    });

    it('reports refusals: a missing scope, bad credentials, a local-only command, bad input', async () => {
      const noScope = await viaApi(['client', 'list', '--tenant', tenant]);
      assert.equal(noScope.code, 1);
      assert.match(noScope.stderr, /clients:read/);
      const badSecret = await viaApi(['tenant', 'list'], { clientId: ops.clientId, clientSecret: 'wrong' });
      assert.equal(badSecret.code, 1);
      assert.match(badSecret.stderr, /refused TESSERA_CLIENT_ID/);
      const local = await viaApi(['db', 'migrate']);
      assert.equal(local.code, 2);
      assert.match(local.stderr, /not available through the Management API/);
      const invalid = await viaApi(['role', 'create', '--tenant', tenant, '--name', 'has space']);
      assert.equal(invalid.code, 1);
      assert.match(invalid.stderr, /name/);
      const missing = await runCliInProcess(['tenant', 'list'], { TESSERA_URL: server.url });
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /TESSERA_CLIENT_ID/);
    });
  });
});
