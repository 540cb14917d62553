// The console's first-run page (issue #14): while no owner exists, /admin/setup makes one — from this machine as it
// is, from anywhere else with the one-time token printed at start — and then it is gone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Browser, formsOf } from '../support/browser.js';
import { visibleText } from '../support/hosted-pages.js';
import { query, waitForAudit } from '../support/email-flows.js';
import { asConsolePage, signInToConsole } from '../support/admin-console.js';
import { useTessera } from '../support/use-tessera.js';
import type { TesseraProcess } from '../support/tessera-process.js';

/** what a request from another machine through a proxy on this one looks like */
const remote = { 'x-forwarded-for': '203.0.113.9' };

async function open(browser: Browser, server: TesseraProcess, headers: Record<string, string> = {}) {
  const page = asConsolePage(await browser.navigate(`${server.url}/admin/setup`, undefined, { headers }), 'the setup page');
  return { page, csrf: formsOf(page.html).find((f) => f.action === '/admin/setup')?.fields._csrf ?? '' };
}

function submit(browser: Browser, server: TesseraProcess, fields: Record<string, string>, headers: Record<string, string> = {}) {
  return browser.navigate(`${server.url}/admin/setup`, undefined, {
    method: 'POST', body: new URLSearchParams(fields), headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url, ...headers },
  });
}

const owners = async (server: TesseraProcess) => (await query<{ n: string }>(server.env.DATABASE_URL!, `SELECT count(*)::text AS n FROM user_roles ur
  JOIN roles r ON r.id = ur.role_id JOIN tenants t ON t.id = r.tenant_id WHERE t.slug = 'system' AND r.name = 'owner'`))[0]!.n;

describe('admin console: first owner with the setup token', () => {
  const server = useTessera();

  it('makes the first owner from another machine with the printed token, once, and then the page is gone', async () => {
    const token = /setup token: (\S+)/.exec(server.output())?.[1];
    assert.ok(token, `the start-up output prints a setup token:\n${server.output()}`);
    const browser = new Browser();
    const { page, csrf } = await open(browser, server, remote);
    assert.match(page.html, /name="token"/, 'from elsewhere the page asks for the token');

    const noCsrf = asConsolePage(await submit(browser, server, { token, email: 'boss@example.com', password: 'A long enough passphrase 42' }, remote), 'the refusal');
    assert.equal(noCsrf.status, 403);
    const wrong = asConsolePage(await submit(browser, server, { _csrf: csrf, token: `${token}x`, email: 'boss@example.com', password: 'A long enough passphrase 42' }, remote), 'the refusal');
    assert.equal(wrong.status, 403);
    assert.match(visibleText(wrong.html), /setup token is not valid/);
    const weak = asConsolePage(await submit(browser, server, { _csrf: csrf, token, email: 'boss@example.com', password: 'short' }, remote), 'the form again');
    assert.equal(weak.status, 400);
    assert.equal(await owners(server), '0');

    const made = await submit(browser, server, { _csrf: csrf, token, email: 'boss@example.com', name: 'The Boss', password: 'A long enough passphrase 42' }, remote);
    assert.ok(made instanceof URL || made.url.pathname.startsWith('/t/system/'), 'on to the console sign-in');
    assert.equal(await owners(server), '1');
    const [entry] = await waitForAudit(server.env.DATABASE_URL!, 'system', 'admin.first_owner_created');
    assert.equal(entry!.actor, 'setup:token');
    assert.doesNotMatch(JSON.stringify(entry), new RegExp(token));
    assert.doesNotMatch(server.output().replace(`setup token: ${token}`, ''), new RegExp(token), 'the token appears nowhere else in the output');

    // gone: for this machine, for the token, for anyone
    assert.equal((await new Browser().fetch(`${server.url}/admin/setup`)).status, 404);
    const again = asConsolePage(await submit(browser, server, { _csrf: csrf, token, email: 'second@example.com', password: 'A long enough passphrase 42' }, remote), 'the refusal');
    assert.equal(again.status, 404);
    assert.equal(await owners(server), '1');

    const { page: console } = await signInToConsole(server, { id: entry!.subject!, email: 'boss@example.com', password: 'A long enough passphrase 42' }, '/admin/tenants');
    assert.equal(console.status, 200);
    assert.equal(console.url.pathname, '/admin/tenants');
  });
});

describe('admin console: first owner from this machine', () => {
  const server = useTessera();

  it('needs no token on loopback, and two people racing make one owner', async () => {
    const [a, b] = [new Browser(), new Browser()];
    const [pa, pb] = [await open(a, server), await open(b, server)];
    assert.doesNotMatch(pa.page.html, /name="token"/, 'on this machine no token is asked for');
    const results = await Promise.all([
      submit(a, server, { _csrf: pa.csrf, email: 'one@example.com', password: 'A long enough passphrase 42' }),
      submit(b, server, { _csrf: pb.csrf, email: 'two@example.com', password: 'A long enough passphrase 42' }),
    ]);
    assert.equal(await owners(server), '1');
    assert.equal(results.filter((r) => r instanceof URL || r.url.pathname.startsWith('/t/system/')).length, 1, 'one of them made the owner');
    const [entry] = await waitForAudit(server.env.DATABASE_URL!, 'system', 'admin.first_owner_created');
    assert.equal(entry!.actor, 'setup:local');
  });
});
