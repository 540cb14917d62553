// The conformance harness (src/conformance, `npm run conformance`) against a freshly started Tessera over https
// behind the local TLS proxy, as CI runs it: a tenant with a first-party client, a test user and dynamic
// registration for the basic, config, form_post, logout and dynamic plans; a FAPI 2.0 tenant for fapi2 (DPoP); a
// FAPI 2.0 tenant with mTLS, required request objects and JARM for fapi2 --fapi2-variant mtls --message-signing (the
// proxy asks for an optional client certificate and passes it on as nginx does; Tessera trusts the header from the
// proxy's address only); a sandbox environment (issue #19: an issuer of its own) for config and basic. The
// harness runs as its own process (Node trusts the test CA through NODE_EXTRA_CA_CERTS) and must report 0 failed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createTestServices, type TestServices } from '../support/test-env.js';
import { freePort, repoRoot, startTessera, type TesseraProcess } from '../support/tessera-process.js';
import { cliJson, createTenant, createUser, uniqueSlug } from '../support/fixtures.js';
import { setProtocol } from '../support/protocol-profiles.js';
import { makeCertificates, startTlsProxy } from '../support/tls-proxy.js';

const harnessJs = fileURLToPath(new URL('../../src/conformance/conformance-cli.js', import.meta.url));
const redirectUri = 'https://rp.conformance.invalid/callback';
const postLogoutRedirectUri = 'https://rp.conformance.invalid/signed-out';

interface Run { code: number | null; output: string }

/** the proxy's client certificate headers, which Tessera is configured to read (MTLS_CERT_HEADER, MTLS_VERIFY_HEADER) */
const mtls = { certHeader: 'x-ssl-client-cert', verifyHeader: 'x-ssl-client-verify' };

/** starts the jobs in order, at most `slots` at a time (each harness process drives a browser); a promise per job */
function inSlots<T>(jobs: Array<() => Promise<T>>, slots: number): Array<Promise<T>> {
  let free = slots;
  const waiting: Array<() => void> = [];
  const acquire = () => (free > 0 ? (free -= 1, Promise.resolve()) : new Promise<void>((resolve) => waiting.push(resolve)));
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else free += 1;
  };
  return jobs.map(async (job) => {
    await acquire();
    try {
      return await job();
    } finally {
      release();
    }
  });
}

describe('conformance harness over https', () => {
  let services: TestServices;
  let server: TesseraProcess;
  let proxy: Awaited<ReturnType<typeof startTlsProxy>>;
  let dir: string;
  let caFile: string;
  let certFiles: string[];
  let oidcRuns: Promise<Run[]>;
  let fapiRun: Promise<Run>;
  let fapiMtlsRun: Promise<Run>;
  let sandboxRun: Promise<Run>;

  before(async () => {
    const [certificates, created] = await Promise.all([makeCertificates(), createTestServices()]);
    services = created;
    dir = await mkdtemp(join(tmpdir(), 'tessera-conformance-'));
    caFile = join(dir, 'ca.pem');
    certFiles = ['--client-cert', join(dir, 'client.crt'), '--client-key', join(dir, 'client.key')];
    await Promise.all([writeFile(caFile, certificates.ca), writeFile(certFiles[1]!, certificates.client.cert), writeFile(certFiles[3]!, certificates.client.key)]);
    const port = await freePort();
    proxy = await startTlsProxy(certificates, () => `http://127.0.0.1:${port}`, { mtls });
    server = await startTessera({ ...services.env, TRUST_PROXY: '127.0.0.1', MTLS_CERT_HEADER: mtls.certHeader, MTLS_VERIFY_HEADER: mtls.verifyHeader }, { port, publicUrl: proxy.origin });
    // each run a process with its own browser, three at once on this server; the OpenID plans in two processes on
    // one tenant. Seen at a load of 19: config+basic 69 s, formpost+logout+dynamic 61 s, fapi2 32 s, sandbox 44 s,
    // fapi2 mTLS 27 s — so the sandbox follows the DPoP fapi2 run and the mTLS run takes the next free slot.
    const oidcTenant = provisionOidcTenant();
    const runs = inSlots([
      async () => harness([...await oidcTenant, '--plan', 'config,basic']),
      async () => harness([...await oidcTenant, '--plan', 'formpost', '--plan', 'logout', '--plan', 'dynamic']),
      startFapiRun, startSandboxRun, startFapiMtlsRun,
    ], 3);
    oidcRuns = Promise.all([runs[0]!, runs[1]!]);
    [fapiRun, sandboxRun, fapiMtlsRun] = [runs[2]!, runs[3]!, runs[4]!];
    await Promise.allSettled(runs);
  });
  after(async () => {
    await server?.stop();
    await proxy?.close();
    await services?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** `node dist/src/conformance/conformance-cli.js <argv>`, as `npm run conformance --` runs it after building */
  function harness(argv: string[]): Promise<Run> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [harnessJs, ...argv, '--ignore-browser-tls-errors'], {
        cwd: repoRoot, env: { PATH: process.env.PATH ?? '', NODE_EXTRA_CA_CERTS: caFile, ...(process.env.CHROMIUM_PATH ? { CHROMIUM_PATH: process.env.CHROMIUM_PATH } : {}) },
      });
      let output = '';
      const started = Date.now();
      child.stdout.on('data', (d) => { output += d; });
      child.stderr.on('data', (d) => { output += d; });
      child.on('error', reject);
      // the time each run took, for arranging them (diagnostics only: never asserted)
      child.on('close', (code) => resolve({ code, output: `${output}(the harness process ran ${((Date.now() - started) / 1000).toFixed(0)} s)\n` }));
    });
  }

  /** the tally line's numbers; every PASS/FAIL/SKIP line is counted once */
  function tally(run: Run) {
    const match = /(\d+) passed, (\d+) failed, (\d+) skipped/.exec(run.output);
    assert.ok(match, `no tally in:\n${run.output}`);
    const lines = (outcome: string) => run.output.split('\n').filter((line) => line.startsWith(`${outcome} [`)).length;
    const [passed, failed, skipped] = [Number(match[1]), Number(match[2]), Number(match[3])];
    assert.deepEqual([passed, failed, skipped], [lines('PASS'), lines('FAIL'), lines('SKIP')], 'the tally counts the printed checks');
    return { passed, failed, skipped };
  }

  /** a tenant with a first-party client, a user and a multi-use registration token: the OpenID plans' arguments */
  async function provisionOidcTenant(): Promise<string[]> {
    const tenant = await createTenant(server);
    const user = await createUser(server, tenant.slug);
    // pairwise subjects and the hybrid response type on, so that the checks of them run too
    await setProtocol(server, tenant.slug, { pairwise: { enabled: true }, responseTypes: { hybrid: true } }, { registration: { enabled: true } });
    const client = await cliJson<{ client_id: string; client_secret: string }>(server, ['client', 'create', '--tenant', tenant.slug, '--name', 'Conformance', '--first-party',
      '--redirect-uri', redirectUri, '--post-logout-redirect-uri', postLogoutRedirectUri, '--grant', 'authorization_code', '--grant', 'refresh_token', '--grant', 'implicit',
      '--metadata', JSON.stringify({ response_types: ['code', 'code id_token'] })]);
    const { initial_access_token: token } = await cliJson<{ initial_access_token: string }>(server, ['registration', 'token', '--tenant', tenant.slug, '--multi-use']);
    return ['--issuer', tenant.issuer, '--client-id', client.client_id, '--client-secret', client.client_secret, '--registration-token', token, '--user', user.email, '--password', user.password];
  }

  /** a FAPI 2.0 tenant (ES256) with registration and these protocol settings besides: the fapi2 plan's arguments */
  async function provisionFapiTenant(protocol: Record<string, unknown>): Promise<string[]> {
    const slug = uniqueSlug('fapi');
    const { issuer } = await cliJson<{ issuer: string }>(server, ['tenant', 'create', slug, '--id-token-alg', 'ES256', '--access-token-alg', 'ES256']);
    const user = await createUser(server, slug);
    await setProtocol(server, slug, { fapi2: { enabled: true }, ...protocol }, { registration: { enabled: true } });
    const { initial_access_token: token } = await cliJson<{ initial_access_token: string }>(server, ['registration', 'token', '--tenant', slug, '--multi-use']);
    return ['--issuer', issuer, '--plan', 'fapi2', '--registration-token', token, '--user', user.email, '--password', user.password];
  }

  /** the fapi2 plan registers its own private_key_jwt client with DPoP-bound tokens */
  async function startFapiRun(): Promise<Run> {
    return harness(await provisionFapiTenant({}));
  }

  /**
   * FAPI 2.0 with mTLS and Message Signing: the plan registers a tls_client_auth client for the certificate the test
   * CA issued (and a self_signed_tls_client_auth one), signs its requests and verifies JARM responses
   */
  async function startFapiMtlsRun(): Promise<Run> {
    const args = await provisionFapiTenant({ mtls: { enabled: true }, jar: { enabled: true, requireSigned: true }, jarm: { enabled: true } });
    return harness([...args, '--fapi2-variant', 'mtls', '--message-signing', ...certFiles]);
  }

  /**
   * Issue #19: an environment is an issuer like any other. A tenant's sandbox (`/t/{slug}~sandbox`) with its own
   * first-party client, signing in the tenant's user (users are shared across environments).
   */
  async function startSandboxRun(): Promise<Run> {
    const tenant = await createTenant(server);
    const user = await createUser(server, tenant.slug);
    const { issuer } = await cliJson<{ issuer: string }>(server, ['env', 'create', '--tenant', tenant.slug, '--name', 'sandbox']);
    const client = await cliJson<{ client_id: string; client_secret: string }>(server, ['client', 'create', '--tenant', tenant.slug, '--env', 'sandbox', '--name', 'Conformance', '--first-party',
      '--redirect-uri', redirectUri, '--post-logout-redirect-uri', postLogoutRedirectUri, '--grant', 'authorization_code', '--grant', 'refresh_token']);
    return harness(['--issuer', issuer, '--client-id', client.client_id, '--client-secret', client.client_secret, '--user', user.email, '--password', user.password, '--plan', 'config,basic']);
  }

  it('passes the config, basic, form_post, logout and dynamic plans against a tenant with a client, a user and registration', async (t) => {
    const runs = await oidcRuns;
    for (const run of runs) {
      t.diagnostic(run.output);
      assert.equal(tally(run).failed, 0, run.output);
      assert.equal(run.code, 0, run.output);
    }
    const output = runs.map((run) => run.output).join('\n');
    const passed = runs.reduce((sum, run) => sum + tally(run).passed, 0);
    assert.ok(passed >= 60, `only ${passed} checks passed:\n${output}`);
    for (const plan of ['config', 'basic', 'formpost', 'logout', 'dynamic']) assert.match(output, new RegExp(`^PASS \\[${plan}\\]`, 'm'));
    for (const driven of ['logout\\] back-channel logout', 'formpost\\] hybrid response', 'dynamic\\] pairwise']) assert.match(output, new RegExp(`^PASS \\[${driven}`, 'm'), `${driven} is driven, not skipped`);
  });

  it('passes the fapi2 plan against a FAPI 2.0 tenant', async (t) => {
    const run = await fapiRun;
    t.diagnostic(run.output);
    const { passed, failed, skipped } = tally(run);
    assert.equal(failed, 0, run.output);
    assert.equal(skipped, 0, run.output);
    assert.equal(run.code, 0, run.output);
    assert.ok(passed >= 14, run.output);
  });

  it('passes the fapi2 plan with mTLS (tls_client_auth, self_signed_tls_client_auth, certificate-bound tokens) and Message Signing (JAR, JARM)', async (t) => {
    const run = await fapiMtlsRun;
    t.diagnostic(run.output);
    const { passed, failed, skipped } = tally(run);
    assert.equal(failed, 0, run.output);
    assert.equal(skipped, 0, run.output);
    assert.equal(run.code, 0, run.output);
    assert.ok(passed >= 28, run.output);
    for (const driven of ['PAR \\+ PKCE \\+ mTLS-bound tokens \\+ tls_client_auth \\+ JAR \\+ JARM', 'mTLS: the bound access token is refused at userinfo with another certificate',
      'tls_client_auth: a self-signed certificate with the registered subject is refused', 'self_signed_tls_client_auth: the registered certificate authenticates',
      'JARM: the response is a JWT', 'JAR: an expired request object is refused']) {
      assert.match(run.output, new RegExp(`^PASS \\[fapi2\\] ${driven}`, 'm'));
    }
  });

  it('passes the config and basic plans against a sandbox environment, an issuer of its own', async (t) => {
    const run = await sandboxRun;
    t.diagnostic(run.output);
    assert.equal(tally(run).failed, 0, run.output);
    assert.equal(run.code, 0, run.output);
    assert.match(run.output, /~sandbox/, 'the harness ran against the sandbox issuer');
    for (const plan of ['config', 'basic']) assert.match(run.output, new RegExp(`^PASS \\[${plan}\\]`, 'm'));
    assert.ok(tally(run).passed >= 20, run.output);
  });

  it('fails, and says so, where a deployment breaks a check: a wrong issuer URL; the fapi2 plan (and its mTLS and Message Signing checks) against a tenant without FAPI 2.0', async () => {
    const tenant = await createTenant(server);
    const wrongIssuer = await harness(['--issuer', `${tenant.issuer}/`, '--plan', 'config']);
    assert.equal(wrongIssuer.code, 1, wrongIssuer.output);
    assert.match(wrongIssuer.output, /^FAIL \[config\] issuer is exactly the URL/m);
    assert.ok(tally(wrongIssuer).failed >= 1);

    const notFapi = await harness(['--issuer', tenant.issuer, '--plan', 'fapi2']);
    assert.equal(notFapi.code, 1, notFapi.output);
    assert.match(notFapi.output, /^FAIL \[fapi2\] client authentication: .* — secrets offered: /m);
    assert.match(notFapi.output, /^FAIL \[fapi2\] signing algorithms: .* offers RS256/m);
    assert.match(notFapi.output, /^SKIP \[fapi2\] a private_key_jwt client .* — needs --registration-token/m);

    const notMtls = await harness(['--issuer', tenant.issuer, '--plan', 'fapi2', '--fapi2-variant', 'mtls', '--message-signing']);
    assert.equal(notMtls.code, 1, notMtls.output);
    assert.match(notMtls.output, /^FAIL \[fapi2\] mTLS: tls_client_auth or self_signed_tls_client_auth, and certificate-bound access tokens are offered .* — token_endpoint_auth_methods_supported: /m);
    assert.match(notMtls.output, /^FAIL \[fapi2\] Message Signing: signed request objects are offered .* — no FAPI algorithm for request objects/m);
    assert.match(notMtls.output, /^SKIP \[fapi2\] Message Signing: JARM is offered .* — JARM is not offered/m);
  });
});
