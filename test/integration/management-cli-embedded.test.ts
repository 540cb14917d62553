// On the embedded database the CLI's Management API commands run inside the server that holds ./data
// (the /internal/cli route), through the same registry, with the local operator as actor.
// test-group: lane (an embedded-database server: PGlite opens a copy of a migrated folder, embedded-template.ts)
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, startTessera, type CliResult, type TesseraProcess } from '../support/tessera-process.js';
import { copyEmbeddedTemplate } from '../support/embedded-template.js';

const embeddedEnv = { NODE_ENV: 'development', SEED_DEMO: 'false', ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1', LOG_LEVEL: 'warn' };

describe('CLI: Management API commands on the embedded database', () => {
  let dir: string;
  let server: TesseraProcess | undefined;
  const cli = (argv: string[]): Promise<CliResult> => runCli(argv, { ...embeddedEnv, PUBLIC_URL: server?.env.PUBLIC_URL ?? 'http://127.0.0.1:9' }, dir);
  const ok = async <T = any>(argv: string[]): Promise<T> => {
    const result = await cli(argv);
    assert.equal(result.code, 0, `tessera ${argv.join(' ')}: ${result.stderr}`);
    return result.json as T;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-mgmt-embedded-'));
    await copyEmbeddedTemplate(join(dir, 'data'), 'migrated');
    server = await startTessera(embeddedEnv, { cwd: dir });
  });
  after(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('creates a role, assigns it to a user and finds the user, through the running server', async () => {
    await ok(['tenant', 'create', 'acme']);
    // commands that do not depend on each other run side by side, as several operators' would: each is a process
    // of its own that spends about a second starting
    const [user] = await Promise.all([
      ok<{ id: string }>(['user', 'create', '--tenant', 'acme', '--email', 'ada@acme.test', '--password', 'Correct-Horse-Battery-9']),
      ok(['api', 'create', '--tenant', 'acme', '--identifier', 'https://orders.acme.test', '--name', 'Orders', '--permission', 'read:orders']),
    ]);
    await ok(['role', 'create', '--tenant', 'acme', '--name', 'support', '--api', 'https://orders.acme.test', '--permission', 'read:orders']);
    assert.deepEqual((await ok<{ roles: string[] }>(['role', 'assign', '--tenant', 'acme', '--user', user.id, '--role', 'support'])).roles, ['support']);
    const [found, audit, refused] = await Promise.all([
      ok<{ items: Array<{ id: string }> }>(['user', 'list', '--tenant', 'acme', '--email', 'ada@acme.test']),
      ok<{ items: Array<{ actor: string }> }>(['audit', 'list', '--tenant', 'acme', '--type', 'admin.role_assigned']),
      cli(['role', 'get', '--tenant', 'acme', '--name', 'nobody']),
    ]);
    assert.deepEqual(found.items.map((u) => u.id), [user.id]);
    assert.deepEqual(audit.items.map((e) => e.actor), ['cli']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /No role "nobody"/);
  });
});
