// The path of issue #13, finding 7, closed: anyone on the network could ask for an operator's password reset on the
// console's login page and read the code at /t/system/outbox. Now a development server listens on loopback unless
// HOST says otherwise; an outbox answers only a loopback caller with no proxy in between, or an operator in the
// console; the system tenant's outbox is never served; and start-up names every development-only behaviour.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { Browser } from '../support/browser.js';
import { createUser } from '../support/fixtures.js';
import { asConsolePage, createOperator, signInToConsole } from '../support/admin-console.js';
import { emailRealm, outbox, startByEmail, type EmailRealm } from '../support/email-flows.js';
import { createTestServices, type TestServices } from '../support/test-env.js';
import { startTessera, type TesseraProcess } from '../support/tessera-process.js';

/** an address of this machine that is not loopback (CI runs on this machine, which has one) */
function networkAddress(): string {
  const found = Object.values(networkInterfaces()).flat().find((a) => a && !a.internal && a.family === 'IPv4');
  assert.ok(found, 'this test needs a non-loopback IPv4 address on this machine');
  return found.address;
}

/** GET over a connection to `address`, with the Host PUBLIC_URL names (so only the peer address differs) */
function getFrom(address: string, server: TesseraProcess, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: address, port: server.port, path, headers: { host: new URL(server.url).host, accept: 'application/json', ...headers } }, (res) => {
      let body = '';
      res.on('data', (chunk) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const reachable = (address: string, port: number) => new Promise<boolean>((resolve) => {
  const socket = connect({ host: address, port }, () => { socket.destroy(); resolve(true); });
  socket.on('error', () => resolve(false));
});

describe('development exposure', () => {
  const lan = networkAddress();
  let services: TestServices;
  let exposed: TesseraProcess;
  let realm: EmailRealm;
  let code: string;

  before(async () => {
    services = await createTestServices();
    // bound to every interface on purpose: what someone else on the network reaches
    exposed = await startTessera({ ...services.env, HOST: '0.0.0.0' });
    realm = await emailRealm(exposed, { methods: { emailOtp: true } });
    const user = await createUser(exposed, realm.slug);
    await startByEmail(new Browser(), realm.config, user.email, 'email-code');
    for (let i = 0; i < 80 && !code; i++) {
      code = (await outbox(realm.issuer)).find((e) => e.to === user.email)?.code ?? '';
      if (!code) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.match(code, /^\d{6}$/, 'the code is in the outbox, read from this machine');
  });
  after(async () => {
    await exposed?.stop();
    await services?.drop();
  });

  it('from another address: the system outbox is not there (404), a tenant\'s outbox is refused', async () => {
    assert.ok(await reachable(lan, exposed.port), `the server answers on ${lan}`);
    const system = await getFrom(lan, exposed, '/t/system/outbox');
    assert.equal(system.status, 404, system.body);
    const tenant = await getFrom(lan, exposed, `/t/${realm.slug}/outbox`);
    assert.equal(tenant.status, 403, tenant.body);
    assert.equal(JSON.parse(tenant.body).error, 'auth.forbidden');
    assert.doesNotMatch(tenant.body, new RegExp(code));
  });

  it('from this machine: a tenant\'s outbox, but not through a proxy, and never the system tenant\'s', async () => {
    const direct = await getFrom('127.0.0.1', exposed, `/t/${realm.slug}/outbox`);
    assert.equal(direct.status, 200, direct.body);
    assert.match(direct.body, new RegExp(code));
    const proxied = await getFrom('127.0.0.1', exposed, `/t/${realm.slug}/outbox`, { 'x-forwarded-for': '203.0.113.7' });
    assert.equal(proxied.status, 403, 'a proxy on this machine relays the network');
    const forwarded = await getFrom('127.0.0.1', exposed, `/t/${realm.slug}/outbox`, { forwarded: 'for=203.0.113.7' });
    assert.equal(forwarded.status, 403);
    assert.equal((await getFrom('127.0.0.1', exposed, '/t/system/outbox')).status, 404);
  });

  it('operators read a tenant\'s outbox in the console, if they may manage its users; the system tenant\'s nowhere', async () => {
    const { browser } = await signInToConsole(exposed, await createOperator(exposed, 'admin'));
    const page = asConsolePage(await browser.navigate(`${exposed.url}/admin/tenants/${realm.slug}/outbox`), 'the outbox page');
    assert.equal(page.status, 200);
    assert.match(page.html, new RegExp(`<code>${code}</code>`));
    assert.equal(asConsolePage(await browser.navigate(`${exposed.url}/admin/tenants/system/outbox`), 'a console page').status, 404);

    const { browser: viewer } = await signInToConsole(exposed, await createOperator(exposed, 'viewer'));
    const refused = asConsolePage(await viewer.navigate(`${exposed.url}/admin/tenants/${realm.slug}/outbox`), 'a console page');
    assert.equal(refused.status, 403);
    assert.doesNotMatch(refused.html, new RegExp(code));
  });

  it('a development server without HOST listens on loopback only and names each development-only behaviour', async () => {
    const local = await startTessera({ ...services.env, NODE_ENV: 'development', SEED_DEMO: 'false', HOST: '' });
    try {
      assert.equal(await reachable('127.0.0.1', local.port), true);
      assert.equal(await reachable(lan, local.port), false, `not reachable on ${lan}`);
      const lines = local.output().split('\n').filter((line) => line.startsWith('[development only] '));
      for (const behaviour of ['outbox:', 'fixed test codes:', 'private networks:', 'http:', 'templates:', 'listening on 127.0.0.1']) {
        assert.ok(lines.some((line) => line.startsWith(`[development only] ${behaviour}`)), `${behaviour} in:\n${local.output()}`);
      }
      assert.ok(!lines.some((line) => line.includes('demo data')), 'only what is on');
      assert.ok(lines.includes('[development only] listening on 127.0.0.1 only: to reach it from another machine on purpose, restart with '
        + `HOST=0.0.0.0 and PUBLIC_URL set to the address the others use, e.g. HOST=0.0.0.0 PUBLIC_URL=http://<this machine's address>:${local.port} npm start; `
        + 'anyone on that network can then reach it, including the outbox with its live sign-in codes'), local.output());
    } finally {
      await local.stop();
    }
  });
});
