// Where a newcomer lands: `/` in development links to the demo sign-in, the console, the outbox and the docs and
// says how to reach the server from another machine; production shows a minimal page or the operator's redirect;
// /favicon.ico is served with caching; the 421 page for a wrong host name links to the right origin. The servers run in
// this process (the app of `npm start`; TESSERA_TEST_PROCESS=1 spawns them): what `/` shows is the app's, not main.ts's.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createTestServices, type TestServices } from '../support/test-env.js';
import type { TesseraProcess } from '../support/tessera-process.js';
import { startServer } from '../support/use-tessera.js';
import { Browser, isPage } from '../support/browser.js';

/** a request with a Host header of our choosing (fetch does not allow one) */
function get(server: TesseraProcess, path: string, host: string, accept = 'text/html', headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, headers: { ...headers, host, accept } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

const hrefs = (html: string) => [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));

describe('home page and favicon in development', () => {
  let services: TestServices;
  let server: TesseraProcess;
  before(async () => {
    services = await createTestServices();
    server = await startServer({ ...services.env, NODE_ENV: 'development', SEED_DEMO: 'true' });
  });
  after(async () => {
    await server?.stop();
    await services?.drop();
  });

  it('links to the demo sign-in, the console, the outbox and the docs, and says how to reach it from elsewhere', async () => {
    const response = await fetch(`${server.url}/`, { headers: { accept: 'text/html' } });
    assert.equal(response.status, 200);
    const html = await response.text();
    const links = hrefs(html);
    for (const path of ['/admin', '/t/demo/outbox', '/docs']) assert.ok(links.includes(path), `links to ${path}: ${links.join(' ')}`);
    const signIn = links.find((href) => href.startsWith(`${server.issuer('demo')}/auth?`));
    assert.ok(signIn, `links to the demo sign-in: ${links.join(' ')}`);
    assert.match(html, /HOST=0\.0\.0\.0/);
    assert.match(html, /anyone on that network can then reach it/);

    const login = await new Browser().navigate(signIn);
    assert.ok(isPage(login) && login.status === 200 && login.html.includes('/login"'), 'the demo link opens the login page');
    const docs = await fetch(`${server.url}/docs`);
    assert.equal(docs.status, 200);
    assert.match(await docs.text(), /^# Tessera/);
  });

  it('serves /favicon.ico, cached', async () => {
    const response = await fetch(`${server.url}/favicon.ico`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'image/x-icon');
    assert.match(response.headers.get('cache-control') ?? '', /max-age=\d{4,}/);
    const bytes = Buffer.from(await response.arrayBuffer());
    assert.deepEqual([...bytes.subarray(0, 4)], [0, 0, 1, 0], 'an ICO file');
  });

  it('answers a wrong host name with a 421 page that links to the right origin', async () => {
    const answer = await get(server, '/', `localhost:${server.port}`);
    assert.equal(answer.status, 421);
    assert.ok(hrefs(answer.body.toString()).includes(`${server.url}/`), answer.body.toString());
    assert.match(answer.body.toString(), new RegExp(`This server answers at ${server.url}\\.[\\s\\S]*>Go to ${server.url}</a>`));
  });

  it('shows the 421 page in the visitor\'s language (Accept-Language)', async () => {
    const answer = await get(server, '/', `localhost:${server.port}`, 'text/html', { 'accept-language': 'de' });
    assert.equal(answer.status, 421);
    const html = answer.body.toString();
    assert.match(html, /<html lang="de">/);
    assert.match(html, new RegExp(`Dieser Server antwortet unter ${server.url}\\.`));
    assert.match(html, new RegExp(`<a class="button button-primary" href="${server.url}/">Weiter zu ${server.url}</a>`));
    assert.doesNotMatch(html, /This server answers at|Go to http/);
    const json = await get(server, '/', `localhost:${server.port}`, 'application/json');
    assert.equal(JSON.parse(json.body.toString()).message, `This server answers at ${server.url}.`, 'a program still gets the English message');
  });
});

describe('home page in production', () => {
  const publicUrl = 'https://id.example.test';
  let services: TestServices;
  let plain: TesseraProcess | undefined;
  let redirecting: TesseraProcess | undefined;
  before(async () => {
    services = await createTestServices();
    plain = await startServer({ ...services.env, NODE_ENV: 'production' }, { publicUrl });
    redirecting = await startServer({ ...services.env, NODE_ENV: 'production', HOME_REDIRECT_URL: 'https://www.example.test/welcome' }, { publicUrl });
  });
  after(async () => {
    await plain?.stop();
    await redirecting?.stop();
    await services?.drop();
  });

  it('is a minimal page without development links', async () => {
    const answer = await get(plain!, '/', 'id.example.test');
    assert.equal(answer.status, 200);
    const html = answer.body.toString();
    assert.deepEqual(hrefs(html).filter((href) => !href.startsWith('/assets/')), [], 'no links but the stylesheets');
    assert.doesNotMatch(html, /demo|outbox|HOST=/i);
    assert.equal((await get(plain!, '/docs', 'id.example.test')).status, 404);
  });

  it('redirects to HOME_REDIRECT_URL when the operator sets one', async () => {
    const answer = await get(redirecting!, '/', 'id.example.test');
    assert.equal(answer.status, 302);
    assert.equal(answer.headers.location, 'https://www.example.test/welcome');
  });
});
