// The conformance harness's own logic: its command line, its report and tally, the ID Token hash it compares,
// and that it stays out of the server's import graph (it loads playwright-core, a development dependency).
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseOptions, parseRuns, UsageError } from '../../src/conformance/conformance-options.js';
import { Report, skip } from '../../src/conformance/check-report.js';
import { leftHalfHash } from '../../src/conformance/id-token-checks.js';
import { certificateJwk, certificateThumbprint, opensslSubject, subjectDn } from '../../src/conformance/client-certificates.js';
import { repoRoot } from '../support/tessera-cli.js';
import { selfSignedCertificate } from '../support/test-certificates.js';

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

  it('parses the fapi2 variant, message signing and a client certificate; refuses an unknown variant or half a certificate', () => {
    const dpop = parseOptions(['--issuer', 'https://id.example.com', '--plan', 'fapi2']);
    assert.equal(dpop.fapi2Variant, 'dpop');
    assert.equal(dpop.messageSigning, false);
    assert.equal(dpop.clientCertificate, undefined);
    const certificate = selfSignedCertificate('/O=Acme/CN=client-a');
    const mtls = parseOptions(['--issuer', 'https://id.example.com', '--plan', 'fapi2', '--fapi2-variant', 'mtls', '--message-signing', '--client-cert', certificate.certFile, '--client-key', certificate.keyFile]);
    assert.equal(mtls.fapi2Variant, 'mtls');
    assert.equal(mtls.messageSigning, true);
    assert.deepEqual(mtls.clientCertificate, { cert: certificate.cert, key: certificate.key });
    assert.throws(() => parseOptions(['--issuer', 'https://id.example.com', '--fapi2-variant', 'tls']), (error: Error) => error instanceof UsageError && /--fapi2-variant is one of dpop, mtls/.test(error.message));
    assert.throws(() => parseOptions(['--issuer', 'https://id.example.com', '--client-cert', certificate.certFile]), /--client-cert and --client-key go together/);
    assert.throws(() => parseOptions(['--issuer', 'https://id.example.com', '--client-cert', '/nonexistent/cert.pem', '--client-key', certificate.keyFile]),
      (error: Error) => error instanceof UsageError && /--client-cert \/nonexistent\/cert.pem: ENOENT/.test(error.message));
  });

  it('parses several --issuer as runs: the options after each are its own, those before the first are every run\'s; one --issuer as before', () => {
    const { runs, parallel } = parseRuns(['--user', 'u@example.com', '--plan', 'config', '--timeout', '5', '--parallel', '2',
      '--issuer', 'https://id.example.com/t/acme', '--plan', 'basic', '--client-id', 'live-client',
      '--issuer', 'https://id.example.com/t/acme~sandbox', '--plan', 'fapi2', '--fapi2-variant', 'mtls', '--timeout', '9',
      '--issuer=https://id.example.com/t/acme', '--plan', 'formpost']);
    assert.equal(parallel, 2);
    assert.deepEqual(runs.map((run) => [run.issuer, run.plans, run.user, run.timeoutMs, run.clientId, run.fapi2Variant]), [
      ['https://id.example.com/t/acme', ['config', 'basic'], 'u@example.com', 5000, 'live-client', 'dpop'],
      ['https://id.example.com/t/acme~sandbox', ['config', 'fapi2'], 'u@example.com', 9000, undefined, 'mtls'],
      ['https://id.example.com/t/acme', ['config', 'formpost'], 'u@example.com', 5000, undefined, 'dpop'],
    ]);
    const alone = parseRuns(['--plan', 'basic', '--issuer', 'https://id.example.com/t/acme', '--user', 'u@example.com']);
    assert.deepEqual([alone.parallel, alone.runs.length, alone.runs[0]!.plans, alone.runs[0]!.user], [1, 1, ['basic'], 'u@example.com']);
    assert.throws(() => parseRuns(['--issuer', 'https://a.example', '--issuer', 'https://b.example', '--parallel', '0']), /--parallel takes a whole number/);
    assert.throws(() => parseRuns(['--issuer', 'https://a.example', '--parallel', '2', '--parallel', '3']), /--parallel is given once/);
    assert.throws(() => parseRuns(['--issuer', 'https://a.example', '--issuer', 'not a url']), /is not a URL/);
  });

  it('registers a certificate as RFC 8705 asks: subject DN (RFC 4514), x5t#S256, x5c; openssl gets the subject back', () => {
    const certificate = selfSignedCertificate('/O=Acme, Inc./CN=client-a');
    assert.equal(subjectDn(certificate.cert), 'CN=client-a,O=Acme\\, Inc.');
    assert.equal(opensslSubject(certificate.cert), '/O=Acme, Inc./CN=client-a');
    const der = new X509Certificate(certificate.cert).raw;
    assert.equal(certificateThumbprint(certificate.cert), createHash('sha256').update(der).digest('base64url'));
    const jwk = certificateJwk(certificate.cert);
    assert.deepEqual(jwk.x5c, [der.toString('base64')]);
    assert.equal(jwk.kty, 'EC');
    assert.equal(jwk.d, undefined, 'no private part');
  });

  it('takes tokens and passwords that start with a dash as values', () => {
    const options = parseOptions(['--issuer', 'https://id.example.com', '--registration-token', '-Xa_b', '--password', '-p', '--user', 'u@example.com']);
    assert.equal(options.registrationToken, '-Xa_b');
    assert.equal(options.password, '-p');
    assert.equal(options.user, 'u@example.com');
    // a base64url secret may start with two dashes (1 in 4,096: it failed a run); a known option is still an option
    const dashed = parseOptions(['--issuer', 'https://id.example.com', '--client-id', 'c', '--client-secret', '--Xa_b', '--user', 'u@example.com']);
    assert.deepEqual([dashed.clientSecret, dashed.user], ['--Xa_b', 'u@example.com']);
    assert.throws(() => parseOptions(['--issuer', 'https://id.example.com', '--client-secret', '--user', 'u@example.com']), /client-secret|user/);
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
