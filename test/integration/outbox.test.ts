// The outbox (issue #3): outside production, GET {issuer}/outbox lists every message with its code or link (JSON
// and a page), so the email flows work with no SMTP server at all; a sandbox environment sends nothing over SMTP
// even when one is configured. In production the route does not exist and mail goes out over SMTP only (for a
// sandbox environment too: environment-sandbox-production.test.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BehindProxy, Browser } from '../support/browser.js';
import { cliJson, createClient, createTenant, createUser } from '../support/fixtures.js';
import { atCallback } from '../support/hosted-pages.js';
import { oidc } from '../support/relying-party.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';
import { createTestServices, type TestServices } from '../support/test-env.js';
import { freePort, type TesseraProcess } from '../support/tessera-process.js';
import { startServer } from '../support/use-tessera.js';
import {
  assertNoMailTo, emailRealm, exchange, mailTo, outbox, startByEmail, submitCode, useEmailTessera,
} from '../support/email-flows.js';
import { createSandboxEnvironment } from '../support/phone-flows.js';

type Entry = Awaited<ReturnType<typeof outbox>>[number];

/** the newest outbox entry for `to`, polled for: delivery runs in the background */
async function entryFor(issuer: string, to: string): Promise<Entry> {
  const deadline = Date.now() + 8_000;
  for (;;) {
    const found = (await outbox(issuer)).find((e) => e.to === to);
    if (found) return found;
    if (Date.now() > deadline) assert.fail(`no outbox entry for ${to}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('outbox without SMTP_URL', () => {
  const world = useEmailTessera({ smtp: false });

  it('lists code and link emails (JSON, newest first) and the flows work from it alone', async () => {
    const realm = await emailRealm(world.server, { methods: { emailOtp: true, magicLink: true } });
    const user = await createUser(world.server, realm.slug);
    const byCode = new Browser();
    const first = await startByEmail(byCode, realm.config, user.email, 'email-code');
    const codeEntry = await entryFor(realm.issuer, user.email);
    assert.deepEqual(
      { ...codeEntry, text: undefined },
      { id: codeEntry.id, at: codeEntry.at, channel: 'email', to: user.email, subject: `Your ${realm.name} sign-in code`, text: undefined, code: codeEntry.code, link: null, provider: null, delivered: false },
    );
    assert.match(codeEntry.code ?? '', /^\d{6}$/);
    assert.ok(codeEntry.text.includes(codeEntry.code!), 'the text of the email is there too');
    const { claims } = await exchange(realm.config, first.request, await submitCode(byCode, first.page, codeEntry.code!));
    assert.deepEqual([claims.sub, claims.amr], [user.id, ['otp']]);

    const byLink = new Browser();
    const second = await startByEmail(byLink, realm.config, user.email, 'magic-link');
    let entries = await outbox(realm.issuer);
    for (let i = 0; i < 80 && entries.length < 2; i++) entries = (await new Promise((r) => setTimeout(r, 100)), await outbox(realm.issuer));
    assert.equal(entries.length, 2);
    assert.equal(entries[1]!.code, codeEntry.code, 'newest first');
    assert.match(entries[0]!.link ?? '', new RegExp(`^${realm.issuer}/interaction/[^/]+/magic/[\\w-]{43}$`));
    const { claims: viaLink } = await exchange(realm.config, second.request, await byLink.navigate(entries[0]!.link!, atCallback));
    assert.equal(viaLink.sub, user.id);
  });

  it('shows the same messages as a page, never cached', async () => {
    const realm = await emailRealm(world.server, { methods: { magicLink: true } });
    const user = await createUser(world.server, realm.slug);
    await startByEmail(new Browser(), realm.config, user.email, 'magic-link');
    const entry = await entryFor(realm.issuer, user.email);
    const response = await fetch(`${realm.issuer}/outbox`, { headers: { accept: 'text/html' } });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(response.headers.get('cache-control') ?? '', /no-store/);
    const html = await response.text();
    assert.match(html, /<h1>Outbox<\/h1>/);
    assert.ok(html.includes(`<td data-label="To">${user.email}</td>`));
    assert.ok(html.includes(`<code class="ref">${entry.code}</code>`));
    assert.ok(html.includes(`<a href="${entry.link}">${entry.link}</a>`));

    const other = await emailRealm(world.server, {});
    assert.deepEqual(await outbox(other.issuer), [], 'each tenant sees only its own messages');
  });
});

describe('outbox with SMTP_URL', () => {
  const world = useEmailTessera();

  it('a sandbox environment sends nothing over SMTP: its messages are only in the outbox', async () => {
    const sandbox = await createSandboxEnvironment(world.server, { signIn: { methods: { emailOtp: true } } });
    const normal = await emailRealm(world.server, { methods: { emailOtp: true } });
    const [sandboxed, real] = await Promise.all([createUser(world.server, sandbox.tenant), createUser(world.server, normal.slug)]);
    const browser = new Browser();
    const { request, page } = await startByEmail(browser, sandbox.config, sandboxed.email, 'email-code');
    const entry = await entryFor(sandbox.issuer, sandboxed.email);
    assert.deepEqual([entry.provider, entry.delivered], [null, false]);

    await assertNoMailTo(world.smtp, sandboxed.email, startByEmail(new Browser(), normal.config, real.email, 'email-code').then(() => mailTo(world.smtp, real.email)));
    const delivered = await entryFor(normal.issuer, real.email);
    assert.deepEqual([delivered.provider, delivered.delivered], ['smtp', true], 'a normal tenant sends, and the outbox says so');
    const { claims } = await exchange(sandbox.config, request, await submitCode(browser, page, entry.code!));
    assert.equal(claims.sub, sandboxed.id);
  });
});

describe('outbox in production', () => {
  let services: TestServices;
  let smtp: TestSmtpServer;
  let server: TesseraProcess;
  let publicOrigin: string;

  before(async () => {
    [services, smtp] = await Promise.all([createTestServices(), startSmtpServer()]);
    const port = await freePort();
    publicOrigin = `https://127.0.0.1:${port}`;
    server = await startServer({ ...services.env, NODE_ENV: 'production', SMTP_URL: smtp.url }, { port, publicUrl: publicOrigin });
  });
  after(async () => {
    await server?.stop();
    await services?.drop();
    await smtp?.close();
  });

  async function realm(signIn: Record<string, unknown>) {
    const tenant = await createTenant(server);
    await cliJson(server, ['tenant', 'settings', '--tenant', tenant.slug, '--set', JSON.stringify({ signIn })]);
    const client = await createClient(server, tenant.slug, ['--first-party']);
    assert.equal(tenant.issuer, `${publicOrigin}/t/${tenant.slug}`);
    const viaHttp: oidc.CustomFetch = (url, options) => fetch(url.replace(publicOrigin, server.url), options as RequestInit);
    const config = await oidc.discovery(new URL(tenant.issuer), client.client_id, client.client_secret!, undefined, { [oidc.customFetch]: viaHttp });
    return { ...tenant, config };
  }

  it('has no outbox route; mail goes out over SMTP only, and no outbox is kept', async () => {
    const normal = await realm({ methods: { emailOtp: true } });
    const discovery = await fetch(`${server.url}/t/${normal.slug}/.well-known/openid-configuration`);
    assert.equal(discovery.status, 200, 'the tenant is served');
    for (const accept of ['application/json', 'text/html']) {
      const response = await fetch(`${server.url}/t/${normal.slug}/outbox`, { headers: { accept } });
      assert.equal(response.status, 404, accept);
      assert.doesNotMatch(await response.text(), /"entries"|<h1>Outbox/);
    }

    const user = await createUser(server, normal.slug);
    const browser = new BehindProxy(publicOrigin, server.url);
    const { request, page } = await startByEmail(browser, normal.config, user.email, 'email-code');
    const mail = await mailTo(smtp, user.email);
    const { claims } = await exchange(normal.config, request, await submitCode(browser, page, mail.code!));
    assert.deepEqual([claims.sub, claims.amr], [user.id, ['otp']]);
    assert.deepEqual(await cliJson(server, ['outbox', 'list', '--tenant', normal.slug]), [], 'a production tenant keeps no outbox');
  });
});
