// A start that cannot fail on a request: requests while the server starts (a newcomer's browser, a health probe)
// never make it exit; the port answers 503 with Retry-After until the server is ready; a tenant created after a
// lookup missed it is served at once; a busy port is reported before any other work.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { createTestServices, type TestServices } from '../support/test-env.js';
import { freePort, startTessera, type TesseraProcess } from '../support/tessera-process.js';
import { useTessera } from '../support/use-tessera.js';
import { uniqueSlug } from '../support/fixtures.js';
import { client, operator } from '../support/management.js';
import { eventually } from '../support/rbac-setup.js';

const mainJs = fileURLToPath(new URL('../../src/main.js', import.meta.url));

describe('requests during start-up', () => {
  let services: TestServices | undefined;
  let server: TesseraProcess | undefined;
  after(async () => {
    await server?.stop();
    await services?.drop();
  });

  it('never make the first start (which seeds the demo) exit; the port answers 503 with Retry-After until ready', async () => {
    services = await createTestServices();
    const port = await freePort();
    const statuses = new Map<number, number>();
    let retryAfterMissing = 0;
    let hammering = true;
    // a browser tab and a probe asking for the demo tenant from the moment the port opens
    const hammer = (async () => {
      while (hammering) {
        try {
          const response = await fetch(`http://127.0.0.1:${port}/t/demo/.well-known/openid-configuration`);
          await response.arrayBuffer();
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          if (response.status === 503 && !response.headers.get('retry-after')) retryAfterMissing++;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }
    })();
    try {
      server = await startTessera({ ...services.env, NODE_ENV: 'development', SEED_DEMO: 'true', LOG_LEVEL: 'info' }, { port });
    } finally {
      hammering = false;
      await hammer;
    }
    const ready = await fetch(`${server.issuer('demo')}/.well-known/openid-configuration`);
    assert.equal(ready.status, 200);
    assert.deepEqual([...statuses.keys()].filter((status) => status !== 200 && status !== 503), [], `only "starting" (503) or the document (200): ${JSON.stringify([...statuses])}`);
    assert.equal(retryAfterMissing, 0, 'every 503 says when to retry');
    assert.match(server.output(), /Tessera demo/);
  });

  it('logs for a person in development (pino-pretty), not JSON lines', async () => {
    // the port answers as the line is logged: the line may reach this process's pipe a moment after the answer
    await eventually(async () => /INFO.*Tessera is listening/.test(server!.output()), 'the "Tessera is listening" line');
    assert.doesNotMatch(server!.output(), /^\{"level"/m);
  });
});

describe('a tenant created after a lookup missed it', () => {
  // a real process: the 'Tessera is listening' line is main.ts's
  const server = useTessera({ LOG_LEVEL: 'info' }, { process: true });

  it('logs JSON lines outside development', async () => {
    // whole lines only: the last one may still be on its way through the pipe
    const listening = () => server.output().split('\n').slice(0, -1).filter((line) => line.startsWith('{'))
      .some((line) => (JSON.parse(line) as { msg?: string }).msg === 'Tessera is listening');
    await eventually(async () => listening(), `a JSON "Tessera is listening" line in:\n${server.output()}`);
  });

  it('is served at once (no negative cache outlives its creation)', async () => {
    const api = client(server, (await operator(server, ['tenants:write'])).token);
    const slug = uniqueSlug('late');
    const discovery = `${server.issuer(slug)}/.well-known/openid-configuration`;
    assert.equal((await fetch(discovery)).status, 404);
    const created = await api.post('/tenants', { slug });
    assert.equal(created.status, 201, created.text);
    const response = await fetch(discovery);
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { issuer: string }).issuer, server.issuer(slug));
  });
});

describe('a busy port', () => {
  it('is reported before any other work, with a non-zero exit', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      // a database nobody can reach: had it been opened first, the start would fail on it instead
      const env = {
        PATH: process.env.PATH ?? '', NODE_ENV: 'test', PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: `http://127.0.0.1:${port}`,
        DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/nothing', KEY_ENCRYPTION_KEY: 'k'.repeat(32), COOKIE_SECRETS: 'c'.repeat(32),
      };
      const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
        const child = spawn(process.execPath, [mainJs], { env });
        let text = '';
        child.stdout.on('data', (d) => { text += d; });
        child.stderr.on('data', (d) => { text += d; });
        const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
        child.on('error', reject);
        child.on('exit', (exitCode) => { clearTimeout(timer); resolve({ code: exitCode, output: text }); });
      });
      assert.notEqual(code, 0);
      assert.match(output, new RegExp(`port ${port} is already in use`));
      assert.doesNotMatch(output, /database|ECONNREFUSED|^\s+at /im, 'nothing but the port: no database work was tried');
    } finally {
      busy.close();
    }
  });
});
