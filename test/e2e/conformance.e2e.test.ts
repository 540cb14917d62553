// The conformance harness (src/conformance, `npm run conformance`) against a freshly started Tessera over https
// behind the local TLS proxy, as CI runs it: a tenant with a first-party client, a test user and dynamic
// registration for the basic, config, form_post, logout and dynamic plans; a FAPI 2.0 tenant for fapi2. The
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

describe('conformance harness over https', () => {
  let services: TestServices;
  let server: TesseraProcess;
  let proxy: Awaited<ReturnType<typeof startTlsProxy>>;
  let dir: string;
  let caFile: string;
  let oidcRuns: Promise<Run[]>;
  let fapiRun: Promise<Run>;

  before(async () => {
    const [certificates, created] = await Promise.all([makeCertificates(), createTestServices()]);
    services = created;
    dir = await mkdtemp(join(tmpdir(), 'tessera-conformance-'));
    caFile = join(dir, 'ca.pem');
    await writeFile(caFile, certificates.ca);
    const port = await freePort();
    proxy = await startTlsProxy(certificates, () => `http://127.0.0.1:${port}`);
    server = await startTessera(services.env, { port, publicUrl: proxy.origin });
    // the runs at once, each with its own browser (the OpenID plans in two processes on one tenant)
    [oidcRuns, fapiRun] = [startOidcRuns(), startFapiRun()];
    await Promise.allSettled([oidcRuns, fapiRun]);
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
      child.stdout.on('data', (d) => { output += d; });
      child.stderr.on('data', (d) => { output += d; });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, output }));
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

  /** a tenant with a first-party client, a user and a multi-use registration token; the harness's OpenID plans */
  async function startOidcRuns(): Promise<Run[]> {
    const tenant = await createTenant(server);
    const user = await createUser(server, tenant.slug);
    // pairwise subjects and the hybrid response type on, so that the checks of them run too
    await setProtocol(server, tenant.slug, { pairwise: { enabled: true }, responseTypes: { hybrid: true } }, { registration: { enabled: true } });
    const client = await cliJson<{ client_id: string; client_secret: string }>(server, ['client', 'create', '--tenant', tenant.slug, '--name', 'Conformance', '--first-party',
      '--redirect-uri', redirectUri, '--post-logout-redirect-uri', postLogoutRedirectUri, '--grant', 'authorization_code', '--grant', 'refresh_token', '--grant', 'implicit',
      '--metadata', JSON.stringify({ response_types: ['code', 'code id_token'] })]);
    const { initial_access_token: token } = await cliJson<{ initial_access_token: string }>(server, ['registration', 'token', '--tenant', tenant.slug, '--multi-use']);
    const common = ['--issuer', tenant.issuer, '--client-id', client.client_id, '--client-secret', client.client_secret, '--registration-token', token, '--user', user.email, '--password', user.password];
    return Promise.all([harness([...common, '--plan', 'config,basic']), harness([...common, '--plan', 'formpost', '--plan', 'logout', '--plan', 'dynamic'])]);
  }

  /** a FAPI 2.0 tenant (ES256) with registration; the fapi2 plan registers its own private_key_jwt client */
  async function startFapiRun(): Promise<Run> {
    const slug = uniqueSlug('fapi');
    const { issuer } = await cliJson<{ issuer: string }>(server, ['tenant', 'create', slug, '--id-token-alg', 'ES256', '--access-token-alg', 'ES256']);
    const user = await createUser(server, slug);
    await setProtocol(server, slug, { fapi2: { enabled: true } }, { registration: { enabled: true } });
    const { initial_access_token: token } = await cliJson<{ initial_access_token: string }>(server, ['registration', 'token', '--tenant', slug, '--multi-use']);
    return harness(['--issuer', issuer, '--plan', 'fapi2', '--registration-token', token, '--user', user.email, '--password', user.password]);
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

  it('fails, and says so, where a deployment breaks a check: a wrong issuer URL; the fapi2 plan against a tenant without FAPI 2.0', async () => {
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
  });
});
