// The conformance harness's own logic: its command line, its report and tally, the ID Token hash it compares,
// and that it stays out of the server's import graph (it loads playwright-core, a development dependency).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseOptions, UsageError } from '../../src/conformance/conformance-options.js';
import { Report, skip } from '../../src/conformance/check-report.js';
import { leftHalfHash } from '../../src/conformance/id-token-checks.js';
import { repoRoot } from '../support/tessera-cli.js';

describe('conformance harness', () => {
  it('parses plans given repeated or comma-separated, in the plans\' own order, and refuses unknown ones', () => {
    const options = parseOptions(['--issuer', 'https://id.example.com/t/acme', '--plan', 'fapi2,basic', '--plan', 'config']);
    assert.deepEqual(options.plans, ['config', 'basic', 'fapi2']);
    assert.equal(options.redirectUri, 'https://rp.conformance.invalid/callback');
    assert.deepEqual(parseOptions(['--issuer', 'https://id.example.com']).plans, ['config', 'basic']);
    assert.throws(() => parseOptions(['--issuer', 'https://id.example.com', '--plan', 'implicit']), (error: Error) => error instanceof UsageError && /unknown plan implicit/.test(error.message));
    assert.throws(() => parseOptions(['--plan', 'basic']), /--issuer is required/);
    assert.throws(() => parseOptions(['--issuer', 'not a url']), /is not a URL/);
    assert.throws(() => parseOptions(['--issuer', 'https://id.example.com', '--nonsense']), UsageError);
  });

  it('takes tokens and passwords that start with a dash as values', () => {
    const options = parseOptions(['--issuer', 'https://id.example.com', '--registration-token', '-Xa_b', '--password', '-p', '--user', 'u@example.com']);
    assert.equal(options.registrationToken, '-Xa_b');
    assert.equal(options.password, '-p');
    assert.equal(options.user, 'u@example.com');
  });

  it('reports PASS, FAIL with the reason and SKIP with the reason, and tallies them', async () => {
    const lines: string[] = [];
    const report = new Report((line) => lines.push(line));
    assert.equal(await report.check('p', 'passes', () => 42), 42);
    assert.equal(await report.check('p', 'fails', () => { throw new Error('saw 500'); }), undefined);
    await report.check('p', 'skips', () => skip('not offered'));
    assert.deepEqual(lines, ['PASS [p] passes', 'FAIL [p] fails — saw 500', 'SKIP [p] skips — not offered']);
    assert.equal(report.tally(), '1 passed, 1 failed, 1 skipped');
  });

  it('hashes at_hash/c_hash with the hash of the signing algorithm (OIDC Core §3.1.3.6)', () => {
    const half = (hash: string, bytes: number) => createHash(hash).update('token').digest().subarray(0, bytes).toString('base64url');
    assert.equal(leftHalfHash('token', 'RS256'), half('sha256', 16));
    assert.equal(leftHalfHash('token', 'ES384'), half('sha384', 24));
    assert.equal(leftHalfHash('token', 'EdDSA'), half('sha512', 32));
  });

  it('is never imported by the server, and nothing else in src loads playwright-core', () => {
    const offenders: string[] = [];
    let read = 0;
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) {
          if (entry.name !== 'conformance') walk(path);
        } else if (entry.name.endsWith('.ts')) {
          const text = readFileSync(path, 'utf8');
          read += 1;
          if (/from '[^']*conformance\/|import\('[^']*conformance\/|playwright-core/.test(text)) offenders.push(path);
        }
      }
    };
    walk(join(repoRoot, 'src'));
    assert.ok(read > 100, `read only ${read} files of src`);
    assert.deepEqual(offenders, []);
  });
});
