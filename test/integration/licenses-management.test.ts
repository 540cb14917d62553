// Licenses through the Management API and the CLI (issue #20), as a vendor's operator runs them: the two commands of
// the issue print exactly what it says, keys are shown once and stored only hashed, search, activations with their last
// heartbeat, revoking one activation, extending, transferring, the errors of each operation, every write in the
// tenant's hash-chained audit log, and the OpenAPI document listing the backend license API.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { cliJson, createTenant, createUser } from '../support/fixtures.js';
import { query } from '../support/email-flows.js';
import { auditEntries, call, client, operator, type ApiClient } from '../support/management.js';
import { useTessera } from '../support/use-tessera.js';
import { runCliInProcess } from '../support/tessera-cli.js';
import { checkLicenseKey } from '../../src/verify/index.js';
import { asConsolePage, createOperator, csrfOf, post, signInToConsole } from '../support/admin-console.js';
import { visibleText } from '../support/hosted-pages.js';

describe('licenses: Management API and CLI', () => {
  const server = useTessera();
  let slug: string;
  let api: ApiClient;
  let app: { app_id: string; app_secret: string };

  const activate = (key: string, fingerprint: string, name?: string) => fetch(`${server.url}/licenses/activate`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ app_id: app.app_id, app_secret: app.app_secret, key, device_fingerprint: fingerprint, device_name: name }),
  });

  before(async () => {
    ({ slug } = await createTenant(server));
    api = client(server, (await operator(server, ['licenses:read', 'licenses:write', 'audit:read'])).token);
    app = await cliJson(server, ['app', 'create', '--tenant', slug, '--name', 'Vendor backend', '--slug', 'vendor-backend']);
  });

  it('`license product create` prints {product_id, policy_id}; `license issue` prints {key, license_id}, or a list with --count', async () => {
    const created = await cliJson<Record<string, string>>(server, ['license', 'product', 'create', '--tenant', slug, '--name', 'Desktop', '--max-devices', '5', '--days', '365']);
    assert.deepEqual(Object.keys(created).sort(), ['policy_id', 'product_id']);
    const one = await cliJson<Record<string, string>>(server, ['license', 'issue', '--tenant', slug, '--product', created.product_id!]);
    assert.deepEqual(Object.keys(one).sort(), ['key', 'license_id']);
    assert.match(one.key!, /^([2-9A-HJ-NP-Z]{5}-){4}[2-9A-HJ-NP-Z]{5}$/);
    assert.equal(checkLicenseKey(one.key!).ok, true);
    const many = await cliJson<Array<Record<string, string>>>(server, ['license', 'issue', '--tenant', slug, '--product', created.product_id!, '--count', '3']);
    assert.equal(many.length, 3);
    assert.equal(new Set(many.map((l) => l.key)).size, 3);
    // stored only as a keyed hash: no column holds the key
    const rows = await query<{ key_hash: string; key_hint: string }>(server.env.DATABASE_URL!, 'SELECT key_hash, key_hint FROM licenses WHERE id = $1', [one.license_id]);
    assert.equal(rows.length, 1);
    assert.notEqual(rows[0]!.key_hash, one.key);
    assert.ok(!rows[0]!.key_hash.includes(one.key!.replace(/-/g, '')));
    assert.equal(rows[0]!.key_hint, one.key!.slice(-5));
    const license = await api.get(`/tenants/${slug}/licenses/${one.license_id}`);
    assert.equal(license.status, 200, license.text);
    assert.ok(!license.text.includes(one.key!));
    assert.equal(license.body.policy.days, 365);
    assert.equal(license.body.status, 'active');
    assert.ok(Math.abs(new Date(license.body.expires_at).getTime() - Date.now() - 365 * 86_400_000) < 120_000);
  });

  it('runs the license commands through the Management API too (TESSERA_URL), the client named in the audit log', async () => {
    const ops = await operator(server, ['licenses:read', 'licenses:write']);
    const viaApi = async <T>(argv: string[]): Promise<T> => {
      const result = await runCliInProcess(argv, { TESSERA_URL: server.url, TESSERA_CLIENT_ID: ops.clientId, TESSERA_CLIENT_SECRET: ops.clientSecret });
      assert.equal(result.code, 0, result.stderr);
      return result.json as T;
    };
    const created = await viaApi<Record<string, string>>(['license', 'product', 'create', '--tenant', slug, '--name', 'Remote', '--max-devices', '2']);
    assert.deepEqual(Object.keys(created).sort(), ['policy_id', 'product_id']);
    const issued = await viaApi<Array<{ key: string; license_id: string }>>(['license', 'issue', '--tenant', slug, '--product', created.product_id!, '--count', '2']);
    assert.equal(issued.length, 2);
    const entries = await auditEntries(api, slug, 'admin.license_issued');
    assert.equal(entries.find((e) => e.subject === `license:${issued[0]!.license_id}`)?.actor, `client:${ops.clientId}`);
  });

  it('creates products and policies, issues for a user, searches, and shows activations with their last heartbeat', async () => {
    const user = await createUser(server, slug);
    const product = await api.post(`/tenants/${slug}/license-products`, { name: 'Studio', policy: { max_devices: 2, entitlements: ['render'], heartbeat_seconds: 3600 } });
    assert.equal(product.status, 201, product.text);
    const floating = await api.post(`/tenants/${slug}/license-products/${product.body.product_id}/policies`, { name: 'lab', max_devices: 10, floating: true, lease_seconds: 900 });
    assert.equal(floating.status, 201, floating.text);
    assert.equal(floating.body.floating, true);
    const listed = await api.get(`/tenants/${slug}/license-products/${product.body.product_id}`);
    assert.deepEqual(listed.body.policies.map((p: { name: string }) => p.name), ['default', 'lab']);
    const issued = await api.post(`/tenants/${slug}/licenses`, { product_id: product.body.product_id, policy_id: floating.body.id, user_id: user.id, count: 2 });
    assert.equal(issued.status, 201, issued.text);
    const [first, second] = issued.body.licenses as Array<{ key: string; license_id: string; expires_at: string | null }>;
    assert.equal(first!.expires_at, null);
    const byUser = await api.get(`/tenants/${slug}/licenses?user_id=${user.id}`);
    assert.deepEqual(byUser.body.items.map((l: { id: string }) => l.id).sort(), [first!.license_id, second!.license_id].sort());
    const byHint = await api.get(`/tenants/${slug}/licenses?key_hint=${first!.key.slice(-5).toLowerCase()}`);
    assert.deepEqual(byHint.body.items.map((l: { id: string }) => l.id), [first!.license_id]);
    const paged = await api.get(`/tenants/${slug}/licenses?product_id=${product.body.product_id}&limit=1`);
    const next = await api.get(`/tenants/${slug}/licenses?product_id=${product.body.product_id}&limit=1&cursor=${paged.body.next_cursor}`);
    assert.deepEqual([...paged.body.items, ...next.body.items].map((l: { id: string }) => l.id).sort(), [first!.license_id, second!.license_id].sort());
    assert.equal((await activate(first!.key, 'fp-1', 'Workstation')).status, 200);
    const detail = await api.get(`/tenants/${slug}/licenses/${first!.license_id}`);
    assert.equal(detail.body.seats_used, 1);
    assert.equal(detail.body.activations[0].device_name, 'Workstation');
    assert.ok(Date.parse(detail.body.activations[0].last_heartbeat_at) > 0);
    const cli = await cliJson<{ activations: unknown[] }>(server, ['license', 'get', '--tenant', slug, '--id', first!.license_id]);
    assert.equal(cli.activations.length, 1);
  });

  it('revokes one activation, extends, transfers (the devices lose their seats) and revokes the key, each in the audit chain', async () => {
    const { product_id: productId } = await cliJson<{ product_id: string }>(server, ['license', 'product', 'create', '--tenant', slug, '--name', 'Mobile', '--max-devices', '2', '--days', '30']);
    const { key, license_id: id } = await cliJson<{ key: string; license_id: string }>(server, ['license', 'issue', '--tenant', slug, '--product', productId]);
    const a = await (await activate(key, 'phone-a')).json() as { activation: { id: string } };
    await activate(key, 'phone-b');
    const revokedOne = await cliJson<{ active: boolean; release_reason: string }>(server, ['license', 'revoke', '--tenant', slug, '--id', id, '--activation', a.activation.id]);
    assert.deepEqual([revokedOne.active, revokedOne.release_reason], [false, 'revoked']);
    const before = (await api.get(`/tenants/${slug}/licenses/${id}`)).body;
    const extended = await cliJson<{ expires_at: string }>(server, ['license', 'extend', '--tenant', slug, '--id', id, '--days', '10']);
    assert.equal(Date.parse(extended.expires_at) - Date.parse(before.expires_at), 10 * 86_400_000);
    const perpetual = await api.post(`/tenants/${slug}/licenses/${id}/extend`, { perpetual: true });
    assert.equal(perpetual.body.expires_at, null);
    const user = await createUser(server, slug);
    const moved = await cliJson<{ license: { user_id: string }; released: number }>(server, ['license', 'transfer', '--tenant', slug, '--id', id, '--user', user.id]);
    assert.equal(moved.license.user_id, user.id);
    assert.equal(moved.released, 1);
    assert.equal((await api.get(`/tenants/${slug}/licenses/${id}`)).body.seats_used, 0);
    const revoked = await api.post(`/tenants/${slug}/licenses/${id}/revoke`);
    assert.equal(revoked.body.license.status, 'revoked');
    assert.deepEqual((await api.get(`/tenants/${slug}/licenses?status=revoked`)).body.items.map((l: { id: string }) => l.id), [id]);
    for (const type of ['admin.license_product_created', 'admin.license_policy_created', 'admin.license_issued', 'admin.license_activation_revoked', 'admin.license_extended', 'admin.license_transferred', 'admin.license_revoked', 'license.activated']) {
      const entries = await auditEntries(api, slug, type);
      assert.ok(entries.length > 0, `no ${type} entry`);
    }
    const [transferred] = await auditEntries(api, slug, 'admin.license_transferred');
    assert.equal(transferred?.subject, `license:${id}`);
    assert.equal(transferred?.data.to_user_id, user.id);
    // a deleted user's license stays, unassigned
    await cliJson(server, ['user', 'delete', '--tenant', slug, '--id', user.id]);
    assert.equal((await api.get(`/tenants/${slug}/licenses/${id}`)).body.user_id, null);
    const chain = await api.get(`/tenants/${slug}/audit/verify`);
    assert.equal(chain.body.ok, true, chain.text);
  });

  it('answers every operation\'s errors from the catalogue', async () => {
    const missing = randomUUID();
    const expect = async (answer: Promise<{ status: number; body: any; text: string }>, status: number, error: string) => {
      const got = await answer;
      assert.equal(got.status, status, got.text);
      assert.equal(got.body.error, error);
    };
    await expect(api.get(`/tenants/${slug}/license-products/${missing}`), 404, 'license.product_not_found');
    await expect(api.get(`/tenants/${slug}/license-products/not-a-uuid`), 404, 'license.product_not_found');
    await expect(api.post(`/tenants/${slug}/licenses`, { product_id: missing }), 404, 'license.product_not_found');
    const { product_id: productId } = await cliJson<{ product_id: string }>(server, ['license', 'product', 'create', '--tenant', slug, '--name', 'E', '--max-devices', '1']);
    await expect(api.post(`/tenants/${slug}/licenses`, { product_id: productId, policy_id: missing }), 404, 'license.policy_not_found');
    await expect(api.post(`/tenants/${slug}/licenses`, { product_id: productId, user_id: missing }), 404, 'user.not_found');
    await expect(api.get(`/tenants/${slug}/licenses/${missing}`), 404, 'license.license_not_found');
    await expect(api.post(`/tenants/${slug}/licenses/${missing}/revoke`), 404, 'license.license_not_found');
    const { license_id: id } = await cliJson<{ license_id: string }>(server, ['license', 'issue', '--tenant', slug, '--product', productId]);
    await expect(api.post(`/tenants/${slug}/licenses/${id}/activations/${missing}/revoke`), 404, 'license.activation_not_found');
    await expect(api.post(`/tenants/${slug}/licenses/${id}/extend`, { days: 1, perpetual: true }), 400, 'request.invalid');
    await expect(api.post(`/tenants/${slug}/licenses/${id}/transfer`, { user_id: missing }), 404, 'user.not_found');
    await expect(api.post(`/tenants/${slug}/license-products`, { name: 'F', policy: { max_devices: 1, floating: true } }), 400, 'request.invalid');
    await expect(api.post(`/tenants/${slug}/license-products`, { name: 'F', policy: { max_devices: 0 } }), 400, 'request.invalid');
    await expect(api.post(`/tenants/${slug}/licenses`, { product_id: productId, count: 1001 }), 400, 'request.invalid');
    await expect(api.get(`/tenants/${slug}/licenses?status=lost`), 400, 'request.invalid');
    await expect(api.get(`/tenants/${slug}/licenses?cursor=nonsense`), 400, 'request.invalid');
    const reader = client(server, (await operator(server, ['licenses:read'])).token);
    await expect(reader.post(`/tenants/${slug}/licenses`, { product_id: productId }), 403, 'auth.insufficient_scope');
    const usage = await server.cli(['license', 'product', 'create', '--tenant', slug, '--name', 'X']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--max-devices is required/);
  });

  it('the console lists products, licenses and a license\'s activations; an owner releases a seat and revokes the key there', async () => {
    const { product_id: productId } = await cliJson<{ product_id: string }>(server, ['license', 'product', 'create', '--tenant', slug, '--name', 'Console Product', '--max-devices', '3', '--entitlement', 'pro']);
    const { key, license_id: id } = await cliJson<{ key: string; license_id: string }>(server, ['license', 'issue', '--tenant', slug, '--product', productId]);
    const activated = await (await activate(key, 'console-device', 'Reception PC')).json() as { activation: { id: string } };
    const owner = await createOperator(server, 'owner');
    const base = `/admin/tenants/${slug}/licenses`;
    const { browser } = await signInToConsole(server, owner, base);
    const list = asConsolePage(await browser.navigate(`${server.url}${base}?product=${productId}`), 'the licenses page');
    assert.match(visibleText(list.html), /Console Product/);
    assert.ok(list.html.includes(key.slice(-5)));
    assert.ok(!list.html.includes(key), 'the key itself is never shown again');
    const detail = asConsolePage(await browser.navigate(`${server.url}${base}?license=${id}`), 'the license');
    assert.match(visibleText(detail.html), /Reception PC/);
    assert.match(visibleText(detail.html), /1 of 3 seats used/);
    const released = asConsolePage(await post(browser, server, `${base}/${id}/activations/${activated.activation.id}/revoke`, { _csrf: csrfOf(detail) }), 'the license again');
    assert.match(visibleText(released.html), /The device lost its seat/);
    const unconfirmed = asConsolePage(await post(browser, server, `${base}/${id}/revoke`, { _csrf: csrfOf(detail) }), 'the license again');
    assert.match(visibleText(unconfirmed.html), /Tick the box/);
    const revoked = asConsolePage(await post(browser, server, `${base}/${id}/revoke`, { _csrf: csrfOf(detail), confirm: 'yes' }), 'the license again');
    assert.match(visibleText(revoked.html), /is revoked/);
    const [entry] = await auditEntries(api, slug, 'admin.license_revoked');
    assert.deepEqual([entry?.actor, entry?.subject], [`operator:${owner.id}`, `license:${id}`]);
  });

  it('publishes the backend license API in the OpenAPI document', async () => {
    const document = await call(server, 'GET', '/openapi.json');
    for (const path of ['/licenses/activate', '/licenses/validate', '/licenses/heartbeat', '/licenses/deactivate']) {
      assert.ok(document.body.paths[path]?.post, `${path} missing`);
    }
    assert.ok(document.body.paths['/tenants/{slug}/licenses'].post);
    assert.match(document.body.paths['/licenses/activate'].post.description, /license\.seat_limit/);
  });
});
