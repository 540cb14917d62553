// `npm start`'s first step (scripts/prestart.mjs), run in a stand-in project whose build only counts itself:
// no rebuild when dist/ is a build of the current sources, a rebuild when a source changes, and a busy port
// reported before any build, with a non-zero exit.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot } from '../support/tessera-process.js';

const prestart = join(repoRoot, 'scripts', 'prestart.mjs');

function run(cwd: string, env: Record<string, string> = {}): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [prestart], { cwd, env: { PATH: process.env.PATH ?? '', PORT: '0', ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr });
    });
  });
}

describe('npm start: the prestart step', () => {
  let dir: string;
  const builds = () => (existsSync(join(dir, 'builds.txt')) ? readFileSync(join(dir, 'builds.txt'), 'utf8').split('\n').filter(Boolean).length : 0);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-prestart-'));
    for (const folder of ['src/db/generated', 'test', 'prisma']) mkdirSync(join(dir, folder), { recursive: true });
    writeFileSync(join(dir, 'src', 'main.ts'), 'export {};\n');
    writeFileSync(join(dir, 'tsconfig.json'), '{}\n');
    writeFileSync(join(dir, 'build.mjs'), [
      "import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';",
      "mkdirSync('dist/src', { recursive: true });",
      "writeFileSync('dist/src/main.js', '');",
      "appendFileSync('builds.txt', 'built\\n');",
    ].join('\n'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'stand-in', private: true, scripts: { build: 'node build.mjs' } }));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('builds when dist/ is missing', async () => {
    const result = await run(dir);
    assert.equal(result.code, 0, result.output);
    assert.equal(builds(), 1);
  });

  it('does not rebuild when dist/ is current', async () => {
    const result = await run(dir);
    assert.equal(result.code, 0, result.output);
    assert.equal(builds(), 1, result.output);
  });

  it('rebuilds when a source changes or appears', async () => {
    const later = new Date(Date.now() + 5_000);
    utimesSync(join(dir, 'src', 'main.ts'), later, later);
    assert.equal((await run(dir)).code, 0);
    assert.equal(builds(), 2);
    writeFileSync(join(dir, 'src', 'extra.ts'), 'export {};\n');
    assert.equal((await run(dir)).code, 0);
    assert.equal(builds(), 3);
    assert.equal((await run(dir)).code, 0);
    assert.equal(builds(), 3);
  });

  it('reports a busy port before building, with a non-zero exit', async () => {
    writeFileSync(join(dir, 'src', 'main.ts'), 'export const changed = true;\n');
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      const result = await run(dir, { PORT: String(port), HOST: '127.0.0.1' });
      assert.equal(result.code, 1);
      assert.match(result.output, new RegExp(`port ${port} is already in use`));
      assert.equal(builds(), 3, 'no build was started');
    } finally {
      busy.close();
    }
  });
});
