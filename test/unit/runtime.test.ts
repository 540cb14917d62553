// The suite runs on a supported Node LTS (issue #15): `npm test` and `npm start` take `node` from node_modules/.bin,
// where the exact-pinned `node` devDependency puts Node 22, whatever Node ran `npm` itself (CI's machine has 20,
// which reached end of life in April 2026). Run a single file the same way: `node_modules/.bin/node --test …`.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../support/tessera-process.js';

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  engines: { node: string }; devDependencies: Record<string, string>;
};
const major = (version: string) => Number(/^v?(\d+)\./.exec(version)?.[1]);

describe('runtime', () => {
  it('is Node 22 LTS or later, the version package.json pins and its engines ask for', () => {
    assert.ok(major(process.version) >= 22, `running on ${process.version} (${process.execPath}): run the suite with npm test or node_modules/.bin/node`);
    assert.ok(process.release.lts, `${process.version} is not an LTS release`);
    assert.match(pkg.devDependencies.node ?? '', /^22\.\d+\.\d+$/, 'node is an exact-pinned devDependency');
    assert.equal(pkg.engines.node, '>=22');
    console.log(`# node ${process.version} (${process.release.lts}) at ${process.execPath}`);
  });

  it('loads oidc-provider without its "unsupported runtime" warning', async () => {
    const stderr = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--input-type=module', '-e', "await import('oidc-provider')"], { cwd: repoRoot, timeout: 30_000 },
        (error, _stdout, err) => (error ? reject(error) : resolve(err)));
    });
    assert.doesNotMatch(stderr, /Unsupported runtime/);
  });
});
