// TRUST_PROXY behind a real appending proxy (issue #13, finding 6): the client address is read from the right of
// X-Forwarded-For, so what a client writes into that header changes neither a per-IP limit nor a recorded IP.
// Formerly `TRUST_PROXY=true` took the leftmost, client-written entry: every request below counted as another IP.
// The server runs in this process behind the proxy (the address logic is the app's; TESSERA_TEST_PROCESS=1 spawns it).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { Browser } from '../support/browser.js';
import { createUser } from '../support/fixtures.js';
import { emailRealm, startByEmail, waitForAudit } from '../support/email-flows.js';
import { asPage, atCallback, loginPage } from '../support/hosted-pages.js';
import { startForwardingProxy, type ForwardingProxy } from '../support/forwarding-proxy.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';
import { createTestServices, type TestServices } from '../support/test-env.js';
import { freePort, type TesseraProcess } from '../support/tessera-process.js';
import { startServer } from '../support/use-tessera.js';

async function recordedIps(databaseUrl: string, slug: string): Promise<Array<{ type: string; ip: string | null }>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ type: string; ip: string | null }>(
      `SELECT e.type, e.ip FROM audit_events e JOIN tenants t ON t.id = e.tenant_id WHERE t.slug = $1 AND e.type LIKE 'otp.%' ORDER BY e.id`, [slug]);
    return rows;
  } finally {
    await client.end();
  }
}

describe('TRUST_PROXY=true behind an appending proxy', () => {
  let services: TestServices;
  let proxy: ForwardingProxy;
  let server: TesseraProcess;
  let smtp: TestSmtpServer;

  before(async () => {
    smtp = await startSmtpServer();
    services = await createTestServices();
    const port = await freePort();
    proxy = await startForwardingProxy(() => `http://127.0.0.1:${port}`);
    server = await startServer({ ...services.env, SMTP_URL: smtp.url, TRUST_PROXY: 'true' }, { port, publicUrl: proxy.url });
  });
  after(async () => {
    await server?.stop();
    await proxy?.close();
    await services?.drop();
    await smtp?.close();
  });

  it('a client-written X-Forwarded-For changes neither the per-IP send limit nor the recorded IP', async () => {
    const realm = await emailRealm(server, { methods: { emailOtp: true }, limits: { perIp: { limit: 3, windowSeconds: 3600 } } });
    const spoofed = (n: number) => new Browser({ 'x-forwarded-for': `198.51.100.${n}` });
    for (let n = 1; n <= 3; n++) {
      const { page } = await startByEmail(spoofed(n), realm.config, (await createUser(server, realm.slug)).email, 'email-code');
      assert.equal(page.status, 200, `send ${n}`);
    }
    const browser = spoofed(4);
    const { page: login } = await loginPage(browser, realm.config);
    const refused = asPage(await browser.submit(login, '/email-code', { email: (await createUser(server, realm.slug)).email }, atCallback), 'the login page');
    assert.equal(refused.status, 429, 'the fourth send from the same client is over its per-IP limit, whatever it claims');

    await waitForAudit(services.env.DATABASE_URL!, realm.slug, 'otp.sent', 3); // deliveries record theirs in the background
    const rows = await recordedIps(services.env.DATABASE_URL!, realm.slug);
    assert.deepEqual(rows.map((r) => r.type).sort(), ['otp.rate_limited', 'otp.sent', 'otp.sent', 'otp.sent']);
    for (const row of rows) assert.equal(row.ip, '127.0.0.1', `${row.type}: the address the proxy saw, not the one the client wrote`);
  });
});
