// The embedded default, as a new user meets it: no DATABASE_URL or REDIS_URL, `npm start` in a fresh folder.
// First start seeds the demo and prints how to use it, once; the printed URL and credentials really sign in;
// restarts keep the data and the generated secrets; one server per data folder; the CLI goes through the
// running server, or opens ./data itself when none runs.
// test-group: lane (PGlite starts and migrates: about 10 s of one core, CPU-bound; one such file at a time)
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import * as jose from 'jose';
import { freePort, processBaseEnv, repoRoot, runCli, startTessera, type CliResult, type TesseraProcess } from '../support/tessera-process.js';
import { Browser, isPage, type Page } from '../support/browser.js';
import { uniqueSlug } from '../support/fixtures.js';
import { copyEmbeddedTemplate } from '../support/embedded-template.js';

const mainJs = fileURLToPath(new URL('../../src/main.js', import.meta.url));

/** what `npm start` in development needs: nothing but these (argon2id cost kept low for test speed) */
const embeddedEnv = { NODE_ENV: 'development', SEED_DEMO: 'true', ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1', LOG_LEVEL: 'warn' };

interface Banner {
  issuer: string;
  clientId: string;
  clientSecret: string;
  email: string;
  password: string;
  authorizationUrl: URL;
}

/** prisma/migrations/<timestamp>_<name>, in the order they apply */
const migrationNames = () =>
  readdirSync(join(repoRoot, 'prisma', 'migrations'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();

/** files under `dir`: a migration adds relation files to a PGlite cluster */
const fileCount = (dir: string) => readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;

const bannerCount = (output: string) => output.match(/Tessera demo/g)?.length ?? 0;

async function waitForBanner(server: TesseraProcess): Promise<Banner> {
  const deadline = Date.now() + 10_000;
  while (!/Open this in a browser[^\n]*\n[^\n]*http\S+/.test(server.output())) {
    if (Date.now() > deadline) assert.fail(`no demo banner printed:\n${server.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const output = server.output();
  const field = (pattern: RegExp) => {
    const match = pattern.exec(output);
    assert.ok(match, `the banner has no ${pattern}:\n${output}`);
    return match.slice(1);
  };
  const [issuer] = field(/Issuer\s+(\S+)/);
  const [clientId] = field(/Client id\s+(\S+)/);
  const [clientSecret] = field(/Client secret\s+(\S+)/);
  const [email, password] = field(/User\s+(\S+@\S+) \/ (\S+)/);
  const [url] = field(/Open this in a browser[^\n]*\n[^\n]*?(http\S+)/);
  return { issuer: issuer!, clientId: clientId!, clientSecret: clientSecret!, email: email!, password: password!, authorizationUrl: new URL(url!) };
}

/** runs the server's entry point and waits for it to exit (for starts that must be refused) */
function runToExit(env: Record<string, string>, cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [mainJs], { env: { ...processBaseEnv(), ...env }, cwd });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** the printed authorization URL, the printed credentials, the hosted login, then /demo/callback itself */
async function signInWithBanner(banner: Banner, authorizationUrl = banner.authorizationUrl) {
  const browser = new Browser();
  const login = await browser.navigate(authorizationUrl);
  assert.ok(isPage(login) && login.status === 200 && login.html.includes('/login"'), 'the printed URL leads to the login page');
  const landed = await browser.submit(login, '/login', { email: banner.email, password: banner.password });
  assert.ok(isPage(landed), 'the demo client is first-party: no consent, straight to its callback');
  const callback: Page = landed;
  assert.equal(callback.status, 200);
  assert.equal(callback.url.origin + callback.url.pathname, `${new URL(banner.issuer).origin}/demo/callback`);
  const code = callback.url.searchParams.get('code');
  assert.ok(code, `the callback has a code: ${callback.url.href}`);
  assert.equal(callback.url.searchParams.get('state'), authorizationUrl.searchParams.get('state'));
  assert.ok(callback.html.includes(code), 'the callback page shows the code');

  const response = await fetch(`${banner.issuer}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(banner.clientId)}:${encodeURIComponent(banner.clientSecret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: authorizationUrl.searchParams.get('redirect_uri')! }),
  });
  const tokens = (await response.json()) as Record<string, string>;
  assert.equal(response.status, 200, JSON.stringify(tokens));
  const { payload } = await jose.jwtVerify(tokens.id_token!, jose.createRemoteJWKSet(new URL(`${banner.issuer}/jwks`)), { issuer: banner.issuer, audience: banner.clientId });
  assert.equal(payload.nonce, authorizationUrl.searchParams.get('nonce'));
  assert.ok(tokens.access_token);
  return payload;
}

describe('embedded default (PGlite + in-process store)', () => {
  let dir: string;
  let server: TesseraProcess | undefined;
  let banner: Banner;
  let firstOutput: string;
  let firstSecrets: string;
  let userId: unknown;
  const dataDir = () => join(dir, 'data');
  const secretsFile = () => join(dataDir(), 'secrets.json');
  const cli = (argv: string[]): Promise<CliResult> => runCli(argv, { ...embeddedEnv, PUBLIC_URL: server?.env.PUBLIC_URL ?? 'http://127.0.0.1:9' }, dir);

  let busyPortStart: { code: number | null; output: string };

  before(async () => {
    // a fresh folder as the working directory: ./data is where the user's data goes
    dir = mkdtempSync(join(tmpdir(), 'tessera-embedded-'));
    // the user's very first `npm start` meets a port already taken
    const busy = createNetServer();
    const busyPort = await freePort();
    await new Promise<void>((resolve) => busy.listen(busyPort, '127.0.0.1', resolve));
    try {
      busyPortStart = await runToExit({ ...embeddedEnv, PORT: String(busyPort), HOST: '127.0.0.1', PUBLIC_URL: `http://127.0.0.1:${busyPort}` }, dir);
    } finally {
      busy.close();
    }
    server = await startTessera(embeddedEnv, { cwd: dir });
    banner = await waitForBanner(server);
  });
  after(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe('first start', () => {
    it('a start that cannot have its port says so plainly, and does not use up the one-time banner', () => {
      assert.notEqual(busyPortStart.code, 0);
      assert.match(busyPortStart.output, /port \d+ is already in use/);
      assert.doesNotMatch(busyPortStart.output, /^\s+at /m, 'no stack trace');
      assert.equal(bannerCount(busyPortStart.output), 0);
      assert.equal(bannerCount(server!.output()), 1, 'the next start shows the demo credentials');
    });

    it('prints the demo banner once: issuer, client, user and a ready authorization URL', async () => {
      assert.equal(bannerCount(server!.output()), 1);
      assert.equal(banner.issuer, server!.issuer('demo'));
      assert.ok(banner.clientSecret.length >= 32);
      assert.equal(banner.email, 'demo@example.com');
      assert.equal(banner.authorizationUrl.origin + banner.authorizationUrl.pathname, `${banner.issuer}/auth`);
      assert.equal(banner.authorizationUrl.searchParams.get('client_id'), banner.clientId);
      assert.equal(banner.authorizationUrl.searchParams.get('redirect_uri'), `${server!.url}/demo/callback`);
      const discovery = await fetch(`${banner.issuer}/.well-known/openid-configuration`);
      assert.equal(discovery.status, 200);
    });

    it('the printed URL and credentials sign in, and the code exchanges with the printed secret', async () => {
      userId = (await signInWithBanner(banner)).sub;
      assert.equal(typeof userId, 'string');
    });

    it('keeps generated secrets in ./data/secrets.json (0600) and the lock (with its CLI token) at 0600', () => {
      assert.ok(existsSync(secretsFile()), 'secrets.json in ./data of the working directory');
      assert.equal(statSync(secretsFile()).mode & 0o777, 0o600);
      const secrets = JSON.parse(readFileSync(secretsFile(), 'utf8')) as Record<string, string>;
      assert.ok(secrets.KEY_ENCRYPTION_KEY!.length >= 32 && secrets.COOKIE_SECRETS!.length >= 32);
      assert.ok(!server!.output().includes(secrets.KEY_ENCRYPTION_KEY!), 'never printed');
      assert.equal(statSync(join(dataDir(), 'tessera.lock')).mode & 0o777, 0o600);
    });

    it('refuses a second server on the same data folder, with a clear message', async () => {
      const port = await freePort();
      const second = await runToExit({ ...embeddedEnv, PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: `http://127.0.0.1:${port}` }, dir);
      assert.notEqual(second.code, 0);
      assert.match(second.output, /in use by (another )?Tessera process/);
      assert.match(second.output, /DATABASE_URL|[Ss]top it/);
      assert.doesNotMatch(second.output, /^\s+at /m, 'no stack trace');
      assert.equal(bannerCount(second.output), 0);
      assert.equal((await fetch(`${server!.url}/healthz`)).status, 200, 'the first server keeps running');
    });

    it('the CLI works through the running server: what it creates is served at once', async () => {
      const slug = uniqueSlug('emb');
      const tenant = await cli(['tenant', 'create', slug, '--name', 'Embedded Co']);
      assert.equal(tenant.code, 0, tenant.stderr);
      assert.deepEqual({ slug: (tenant.json as { slug: string }).slug, issuer: (tenant.json as { issuer: string }).issuer }, { slug, issuer: server!.issuer(slug) });
      assert.equal((await fetch(`${server!.issuer(slug)}/.well-known/openid-configuration`)).status, 200);

      // commands that do not depend on each other run side by side (each is a process that spends about a second
      // starting); the key rotation stays alone, so that nothing else could have refreshed the server's cache
      const [user, client] = await Promise.all([
        cli(['user', 'create', '--tenant', slug, '--email', 'ops@example.com', '--password', 'Embedded-pass-42']),
        cli(['client', 'create', '--tenant', slug, '--name', 'Machine', '--grant', 'client_credentials']),
      ]);
      assert.equal(user.code, 0, user.stderr);
      assert.equal((user.json as { email: string }).email, 'ops@example.com');
      assert.equal(client.code, 0, client.stderr);
      const { client_id: clientId, client_secret: clientSecret } = client.json as { client_id: string; client_secret: string };
      const token = await fetch(`${server!.issuer(slug)}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
      });
      assert.equal(token.status, 200);

      // a key rotation reaches the server's provider cache at once
      const rotated = await cli(['keys', 'rotate', '--tenant', slug, '--alg', 'EdDSA']);
      assert.equal(rotated.code, 0, rotated.stderr);
      const jwks = (await (await fetch(`${server!.issuer(slug)}/jwks`)).json()) as { keys: { kid: string }[] };
      assert.ok(jwks.keys.some((k) => k.kid === (rotated.json as { kid: string }).kid));

      const [migrate, duplicate, usage] = await Promise.all([
        cli(['db', 'migrate']),
        cli(['tenant', 'create', slug]),
        cli(['tenant', 'create', slug, '--bogus']),
      ]);
      assert.equal(migrate.code, 0, migrate.stderr);
      assert.deepEqual(migrate.json, { applied: [] }, 'the server applied everything when it started');
      assert.equal(duplicate.code, 1);
      assert.equal(duplicate.stdout, '');
      assert.match(duplicate.stderr, /already exists/);
      assert.equal(usage.code, 2);
      assert.equal(usage.stdout, '');
    });

    it('the CLI endpoint answers only the local CLI with its token', async () => {
      const post = (authorization?: string) => fetch(`${server!.url}/internal/cli`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ argv: ['tenant', 'list'] }),
      });
      assert.equal((await post()).status, 401);
      assert.equal((await post('Bearer guessed-token')).status, 401);
    });
  });

  describe('after a restart, with a CLI run in between', () => {
    let offline: CliResult;
    const offlineSlug = uniqueSlug('off');

    before(async () => {
      firstOutput = server!.output();
      firstSecrets = readFileSync(secretsFile(), 'utf8');
      await server!.stop();
      const publicUrl = server!.env.PUBLIC_URL!;
      const port = server!.port;
      server = undefined;
      // no server holds ./data now: the CLI opens it itself
      offline = await runCli(['tenant', 'create', offlineSlug], { ...embeddedEnv, PUBLIC_URL: publicUrl }, dir);
      server = await startTessera(embeddedEnv, { cwd: dir, port, publicUrl });
    });

    it('released the lock when it stopped, and the CLI then worked on ./data directly', () => {
      assert.match(firstOutput, /Tessera demo/);
      assert.equal(offline.code, 0, offline.stderr);
      assert.equal((offline.json as { slug: string }).slug, offlineSlug);
    });

    it('prints no banner and keeps the secrets file', async () => {
      // a few round trips: anything printed at start-up has reached us by then
      for (let i = 0; i < 3; i++) await fetch(`${server!.url}/healthz`);
      assert.equal(bannerCount(server!.output()), 0, server!.output());
      assert.equal(readFileSync(secretsFile(), 'utf8'), firstSecrets, 'secrets.json reused, not regenerated');
      assert.equal(statSync(secretsFile()).mode & 0o777, 0o600);
    });

    it('kept the data: the demo user signs in again with the printed credentials', async () => {
      const url = new URL(banner.authorizationUrl);
      url.searchParams.set('state', 'after-restart');
      url.searchParams.set('nonce', 'after-restart-nonce');
      const claims = await signInWithBanner(banner, url);
      assert.equal(claims.sub, userId);
    });

    it('serves the tenant the CLI created while no server ran', async () => {
      assert.equal((await fetch(`${server!.issuer(offlineSlug)}/.well-known/openid-configuration`)).status, 200);
    });
  });

  // DATA_DIR gets a copy of a new, empty cluster (embedded-template.ts), laid out as a new folder gets it: what is
  // tested is migrating from the CLI; the first start from nothing, cluster creation included, is tested above
  describe('tessera db migrate without a server', () => {
    it('creates the schema in a new data folder and says which migrations it applied', async () => {
      const fresh = mkdtempSync(join(tmpdir(), 'tessera-migrate-'));
      try {
        const cluster = join(fresh, 'db', 'pglite');
        await copyEmbeddedTemplate(join(fresh, 'db'), 'empty');
        const emptyFiles = fileCount(cluster);
        const env = { ...embeddedEnv, DATA_DIR: join(fresh, 'db') };
        const first = await runCli(['db', 'migrate'], env, fresh);
        assert.equal(first.code, 0, first.stderr);
        const applied = (first.json as { applied: string[] }).applied;
        assert.ok(applied.length >= 1 && applied.every((name) => /^\d{14}_\w+$/.test(name)), JSON.stringify(applied));
        assert.deepEqual(applied, migrationNames(), 'every migration, in order');
        assert.ok(fileCount(cluster) > emptyFiles, 'the tables were created in the cluster DATA_DIR names');
        assert.ok(!existsSync(join(fresh, 'db', 'tessera.lock')), 'the CLI released its lock');
        assert.ok(!existsSync(join(fresh, 'data')), 'DATA_DIR was honoured');
      } finally {
        rmSync(fresh, { recursive: true, force: true });
      }
    });
  });
});
