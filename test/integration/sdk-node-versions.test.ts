// The app SDK (tessera/client) promises Node ≥ 20 besides browsers (issue #18 §1), while the server needs Node 22. Its
// compiled code runs here in a child process under every Node ≥ 20 on this machine — the one running the suite, and
// the system's and PATH's when they are other versions (on this project's machines, Debian's Node 20 at
// /usr/bin/node) — through sign-in, the user, a refresh and sign-out against a running Tessera.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { before, describe, it } from 'node:test';
import { cliJson, createTenant, createUser } from '../support/fixtures.js';
import { useTessera } from '../support/use-tessera.js';

const run = promisify(execFile);
const child = fileURLToPath(new URL('../support/sdk-node-child.js', import.meta.url));

/** the Node binaries here, one per version, the running one first */
async function nodes(): Promise<Array<{ path: string; version: string }>> {
  const found = [{ path: process.execPath, version: process.version }];
  const candidates = ['/usr/bin/node', '/usr/local/bin/node', ...(process.env.PATH ?? '').split(':').map((dir) => `${dir}/node`)];
  for (const path of candidates) {
    if (!existsSync(path) || found.some((n) => realpathSync(n.path) === realpathSync(path))) continue;
    const version = (await run(path, ['--version'])).stdout.trim();
    const major = Number(/^v(\d+)\./.exec(version)?.[1]);
    if (major >= 20 && !found.some((n) => n.version === version)) found.push({ path, version });
  }
  return found;
}

describe('app SDK on every Node ≥ 20 of this machine', () => {
  const server = useTessera();
  let slug: string;
  let issuer: string;

  before(async () => {
    ({ slug, issuer } = await createTenant(server));
    await cliJson(server, ['tenant', 'settings', '--tenant', slug, '--set', JSON.stringify({ headless: { restApi: true } })]);
  });

  it('signs in, reads the user, refreshes and signs out under each', async (t) => {
    const found = await nodes();
    t.diagnostic(`Node versions: ${found.map((n) => `${n.version} (${n.path})`).join(', ')}`);
    for (const node of found) {
      const user = await createUser(server, slug);
      const { stdout } = await run(node.path, [child, issuer, user.email, user.password]);
      const seen = JSON.parse(stdout) as Record<string, unknown>;
      assert.deepEqual(seen, {
        node: node.version, wrongCode: 'login.invalid_credentials', status: 'signed_in', email: user.email, refreshed: true, afterSignOut: null,
      }, `under Node ${node.version}`);
    }
  });
});
