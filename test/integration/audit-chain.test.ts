// The tamper-evident audit log (issue #6): every entry of a tenant links to the previous one by hash; PostgreSQL
// refuses to update or delete entries; `tessera audit verify` walks the chain and names the first broken link when
// someone with the power to switch the trigger off edits or removes an entry; `tessera audit export` writes JSON
// lines; concurrent appends still make one unbroken chain.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Browser } from '../support/browser.js';
import { createClient, createTenant, createUser, redirectUri } from '../support/fixtures.js';
import { letTimePass } from '../support/test-clock.js';
import { loginPage } from '../support/hosted-pages.js';
import { codeFlow, discover, oidc, refusal, signInOffline } from '../support/relying-party.js';
import { waitFor } from '../support/phone-flows.js';
import { query } from '../support/email-flows.js';
import { useTessera } from '../support/use-tessera.js';

interface Report { ok: boolean; entries: number; unchained: number; firstBroken: { seq: number; reason: string } | null }

describe('tamper-evident audit log', () => {
  const server = useTessera();

  const sql = <T = unknown>(text: string, params: unknown[] = []) => query<T>(server.env.DATABASE_URL!, text, params);

  /** a tenant with `signIns` successful sign-ins and one failed one in its log */
  async function tenantWithHistory(signIns = 3) {
    const { slug } = await createTenant(server);
    const user = await createUser(server, slug);
    const client = await createClient(server, slug, ['--first-party']);
    const config = await discover(`${server.url}/t/${slug}`, client.client_id, client.client_secret!);
    for (let i = 0; i < signIns; i++) await codeFlow(config, redirectUri, user);
    const browser = new Browser();
    const { page } = await loginPage(browser, config);
    await browser.submit(page, '/login', { email: user.email, password: 'wrong-password-123' });
    const [{ id }] = await sql<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [slug]);
    return { slug, tenantId: id!, config, user };
  }

  async function verify(slug: string): Promise<{ code: number; report: Report }> {
    const result = await server.cli(['audit', 'verify', '--tenant', slug]);
    return { code: result.code, report: JSON.parse(result.stdout) as Report };
  }

  let history: Awaited<ReturnType<typeof tenantWithHistory>>;
  before(async () => {
    history = await tenantWithHistory();
  });

  it('chains every entry: verify walks them all and exits 0', async () => {
    const { code, report } = await verify(history.slug);
    assert.equal(code, 0);
    assert.deepEqual({ ...report, entries: report.entries > 3 }, { ok: true, entries: true, unchained: 0, anchor: null, firstBroken: null });
    const rows = await sql<{ seq: string; prev_hash: string; hash: string }>('SELECT seq, prev_hash, hash FROM audit_events WHERE tenant_id = $1 ORDER BY seq', [history.tenantId]);
    rows.forEach((row, i) => {
      assert.equal(Number(row.seq), i + 1);
      if (i > 0) assert.equal(row.prev_hash, rows[i - 1]!.hash);
      assert.match(row.hash, /^[0-9a-f]{64}$/);
    });
  });

  it('the database refuses to change or delete an entry', async () => {
    await assert.rejects(sql("UPDATE audit_events SET outcome = 'failure' WHERE tenant_id = $1", [history.tenantId]), /append-only: UPDATE refused/);
    await assert.rejects(sql('DELETE FROM audit_events WHERE tenant_id = $1', [history.tenantId]), /append-only: DELETE refused/);
    assert.equal((await verify(history.slug)).code, 0);
  });

  it('exports the entries as JSON lines, oldest first, with their links', async () => {
    const result = await server.cli(['audit', 'export', '--tenant', history.slug]);
    assert.equal(result.code, 0);
    const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as { seq: number; type: string; prevHash: string; hash: string; data: unknown });
    assert.deepEqual(lines.map((l) => l.seq), lines.map((_, i) => i + 1));
    assert.ok(lines.some((l) => l.type === 'login.failed'));
    for (let i = 1; i < lines.length; i++) assert.equal(lines[i]!.prevHash, lines[i - 1]!.hash);
    assert.ok(!result.stdout.includes('wrong-password-123'), 'no secret in the log');
  });

  /** what someone who can switch the trigger off (a database superuser) might do */
  async function behindTheTrigger(statement: string, params: unknown[]) {
    await sql('ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only');
    try {
      await sql(statement, params);
    } finally {
      await sql('ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only');
    }
  }

  it('an edited entry is the first broken link: verify says which, and exits 1', async () => {
    const target = await tenantWithHistory(2);
    await behindTheTrigger(`UPDATE audit_events SET data = '{"method":"password","forged":true}' WHERE tenant_id = $1 AND seq = 2`, [target.tenantId]);
    const { code, report } = await verify(target.slug);
    assert.equal(code, 1);
    assert.equal(report.ok, false);
    assert.deepEqual(report.firstBroken && { seq: report.firstBroken.seq, reason: report.firstBroken.reason }, { seq: 2, reason: 'its content does not match its hash' });
  });

  it('a removed entry, and a removed tail, are found too', async () => {
    const target = await tenantWithHistory(4);
    await behindTheTrigger('DELETE FROM audit_events WHERE tenant_id = $1 AND seq = 3', [target.tenantId]);
    const middle = await verify(target.slug);
    assert.equal(middle.code, 1);
    assert.equal(middle.report.firstBroken?.seq, 4, JSON.stringify(middle.report));
    assert.match(middle.report.firstBroken!.reason, /entries 3–3 are missing/);

    const tail = await tenantWithHistory(2);
    const [{ last }] = await sql<{ last: string }>('SELECT max(seq) AS last FROM audit_events WHERE tenant_id = $1', [tail.tenantId]);
    await behindTheTrigger('DELETE FROM audit_events WHERE tenant_id = $1 AND seq = $2', [tail.tenantId, last]);
    const cut = await verify(tail.slug);
    assert.equal(cut.code, 1);
    assert.match(cut.report.firstBroken!.reason, /the chain ends at entry \d+ but \d+ were written/);
  });

  it('records protocol events: tokens issued and refreshed, a refresh replay (and the revoked grant), machine tokens counted', async () => {
    const target = await tenantWithHistory(0);
    const tokens = await signInOffline(target.config, target.user);
    const refreshed = await oidc.refreshTokenGrant(target.config, tokens.refresh_token!);
    await letTimePass(server, 11_000); // past the default reuse window, a repeat is a replay
    await refusal(oidc.refreshTokenGrant(target.config, tokens.refresh_token!));
    assert.ok(refreshed.access_token);
    const machine = await createClient(server, target.slug, ['--grant', 'client_credentials']);
    const machineConfig = await discover(`${server.url}/t/${target.slug}`, machine.client_id, machine.client_secret!);
    await oidc.clientCredentialsGrant(machineConfig);
    await oidc.clientCredentialsGrant(machineConfig);
    const types = ['token.issued', 'token.refreshed', 'token.replay_detected', 'token.refused', 'grant.revoked'];
    const events = await waitFor('the protocol events', async () => {
      const rows = await sql<{ type: string; subject: string | null; client_id: string | null; data: Record<string, unknown> }>(
        'SELECT type, subject, client_id, data FROM audit_events WHERE tenant_id = $1 AND type = ANY($2) ORDER BY seq', [target.tenantId, types]);
      return rows.some((r) => r.client_id === machine.client_id) ? rows : undefined;
    }, 15_000); // machine tokens are recorded per client per 10-second window
    const summary = events.map((e) => [e.type, e.data.grantType ?? null]);
    assert.deepEqual(summary.filter(([type]) => type !== 'grant.revoked'), [
      ['token.issued', 'authorization_code'], ['token.refreshed', 'refresh_token'], ['token.replay_detected', 'refresh_token'], ['token.issued', 'client_credentials'],
    ]);
    assert.ok(summary.some(([type]) => type === 'grant.revoked'), 'the replay revoked the grant');
    assert.equal(events[0]!.subject, target.user.id);
    assert.equal(events.at(-1)!.subject, null, 'a machine token has no user');
    assert.equal(events.at(-1)!.data.count, 2, 'machine tokens are counted per client and window');
    const chain = await verify(target.slug);
    assert.equal(chain.code, 0);
    const all = JSON.stringify(await sql('SELECT data FROM audit_events WHERE tenant_id = $1', [target.tenantId]));
    for (const secret of [tokens.access_token, tokens.refresh_token!, refreshed.access_token]) assert.ok(!all.includes(secret), 'no token in the log');
  });

  it('concurrent events of one tenant still make one unbroken chain', async () => {
    const target = await tenantWithHistory(0);
    const attempts = Array.from({ length: 20 }, async () => {
      const browser = new Browser();
      const { page } = await loginPage(browser, target.config);
      await browser.submit(page, '/login', { email: target.user.email, password: 'not-the-password' });
    });
    await Promise.all(attempts);
    const { code, report } = await verify(target.slug);
    assert.equal(code, 0, JSON.stringify(report));
    assert.ok(report.entries >= 21);
  });
});
