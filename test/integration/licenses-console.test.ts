// Licenses in the admin console (issue #20), as an operator runs them in a browser: create a product with its first
// policy and add another, issue keys one at a time and in bulk (each shown once, on the page right after), search,
// extend and transfer — each read back through the Management API and the audit chain, with the operator as actor.
// Bad input re-renders the form with a refusal naming the field, in the operator's language, never a 500.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Browser, Page } from '../support/browser.js';
import { cliJson, createTenant, createUser } from '../support/fixtures.js';
import { auditEntries, client, operator, type ApiClient } from '../support/management.js';
import { useTessera } from '../support/use-tessera.js';
import { asConsolePage, createOperator, csrfOf, post, signInToConsole, type TestOperator } from '../support/admin-console.js';
import { visibleText } from '../support/hosted-pages.js';
import { checkLicenseKey } from '../../src/verify/index.js';

const keyShape = /\b(?:[2-9A-HJ-NP-Z]{5}-){4}[2-9A-HJ-NP-Z]{5}\b/g;
interface License { id: string; user_id: string | null; expires_at: string | null; seats_used: number; policy: { name: string } }

describe('licenses: the admin console', () => {
  const server = useTessera();
  let slug: string;
  let base: string;
  let api: ApiClient;
  let owner: TestOperator;
  let browser: Browser;
  let app: { app_id: string; app_secret: string };

  const open = async (query = '') => asConsolePage(await browser.navigate(`${server.url}${base}${query}`), 'the licenses page');
  /** posts a form of the licenses page with a fresh CSRF token */
  const send = async (path: string, fields: Record<string, string>) => asConsolePage(await post(browser, server, `${base}${path}`, { _csrf: csrfOf(await open()), ...fields }), `the answer to ${path}`);
  const license = async (id: string) => (await api.get(`/tenants/${slug}/licenses/${id}`)).body as License;
  const activate = (key: string, fingerprint: string) => fetch(`${server.url}/licenses/activate`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ app_id: app.app_id, app_secret: app.app_secret, key, device_fingerprint: fingerprint }),
  });
  const refusalOf = (page: Page) => visibleText(page.html.match(/<p class="error[^"]*" role="alert"[^>]*>[\s\S]*?<\/p>/)?.[0] ?? '');

  before(async () => {
    ({ slug } = await createTenant(server));
    base = `/admin/tenants/${slug}/licenses`;
    api = client(server, (await operator(server, ['licenses:read', 'audit:read'])).token);
    app = await cliJson(server, ['app', 'create', '--tenant', slug, '--name', 'Vendor backend', '--slug', 'vendor-backend']);
    owner = await createOperator(server, 'owner');
    ({ browser } = await signInToConsole(server, owner, base));
  });

  it('creates a product with its first policy and adds a policy, audited with the operator as actor', async () => {
    const created = await send('/products', { name: 'Console Desktop', policyName: 'standard', maxDevices: '3', days: '30', entitlements: 'pro, export', heartbeat: '3600', grace: '', churnLimit: '' });
    assert.match(visibleText(created.html), /Product Console Desktop was created with its first policy/);
    const [product] = ((await api.get(`/tenants/${slug}/license-products`)).body.items as Array<{ id: string; name: string; policies: Array<Record<string, unknown>> }>).filter((p) => p.name === 'Console Desktop');
    assert.ok(product);
    assert.deepEqual([product.policies[0]!.name, product.policies[0]!.max_devices, product.policies[0]!.days, product.policies[0]!.entitlements, product.policies[0]!.heartbeat_seconds, product.policies[0]!.offline_grace_seconds],
      ['standard', 3, 30, ['pro', 'export'], 3600, 604800]);
    const added = await send('/policies', { product: product.id, policyName: 'lab', maxDevices: '10', floating: 'on', lease: '900' });
    assert.match(visibleText(added.html), /Policy lab was added/);
    assert.match(visibleText(added.html), /10 floating, lease 900 s/);
    const policies = (await api.get(`/tenants/${slug}/license-products/${product.id}`)).body.policies as Array<{ name: string; floating: boolean }>;
    assert.deepEqual(policies.map((p) => [p.name, p.floating]), [['standard', false], ['lab', true]]);
    const [createdEntry] = await auditEntries(api, slug, 'admin.license_product_created');
    assert.deepEqual([createdEntry?.actor, createdEntry?.subject], [`operator:${owner.id}`, `license-product:${product.id}`]);
    const policyEntries = await auditEntries(api, slug, 'admin.license_policy_created');
    assert.equal(policyEntries.filter((e) => e.actor === `operator:${owner.id}`).length, 2);
  });

  it('refuses bad product and policy input on the form itself, naming the field, the typed values kept', async () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ name: 'Typo', maxDevices: 'lots' }, /Devices \(seats\): give a whole number/],
      [{ name: 'Zero', maxDevices: '0' }, /Devices \(seats\): give at least 1/],
      [{ name: 'Huge', maxDevices: '3', days: '99999999' }, /Valid for \(days; empty: perpetual\): give at most 36500/],
      [{ name: 'Float', maxDevices: '3', floating: 'on' }, /A floating policy needs a lease/],
      [{ name: '', maxDevices: '3' }, /Product name: this is needed/],
      [{ name: 'Bad entitlement', maxDevices: '3', entitlements: 'x'.repeat(101) }, /Entitlements \(separated by spaces\): this is too long/],
    ];
    for (const [fields, message] of cases) {
      const page = await send('/products', fields);
      assert.equal(page.status, 400, `${JSON.stringify(fields)}: ${visibleText(page.html).slice(0, 300)}`);
      assert.match(refusalOf(page), message);
      if (fields.name) assert.ok(page.html.includes(`value="${fields.name}"`), 'the typed name is kept');
    }
    // a character no field may hold: refused, not a 500
    assert.equal((await send('/products', { name: 'Null\u0000byte', maxDevices: '3' })).status, 400);
    const noProduct = await send('/policies', { product: 'not-a-product', maxDevices: '1' });
    assert.equal(noProduct.status, 400);
    assert.match(refusalOf(noProduct), /product/i);
    const products = (await api.get(`/tenants/${slug}/license-products`)).body.items as Array<{ name: string }>;
    assert.deepEqual(products.map((p) => p.name), ['Console Desktop'], 'nothing refused was created');
  });

  it('issues keys in bulk for a user and one unassigned: each key is shown once, right after, and only its hash is kept', async () => {
    const user = await createUser(server, slug);
    const [product] = (await api.get(`/tenants/${slug}/license-products`)).body.items as Array<{ id: string; policies: Array<{ id: string; name: string }> }>;
    const standard = product!.policies.find((p) => p.name === 'standard')!;
    const bulk = await send('/issue', { policy: `${product!.id}:${standard.id}`, user: user.email.toUpperCase(), count: '3' });
    assert.match(visibleText(bulk.html), /3 keys were issued/);
    const panel = bulk.html.match(/<section class="panel" id="issued-keys"[\s\S]*?<\/section>/)?.[0] ?? '';
    assert.match(visibleText(panel), /Copy these keys now: they are not shown again/);
    const keys = [...new Set(panel.match(keyShape))];
    assert.equal(keys.length, 3);
    assert.ok(keys.every((k) => checkLicenseKey(k).ok));
    const again = await open();
    assert.ok(!again.html.includes('id="issued-keys"'), 'a reload shows the keys no more');
    assert.ok(keys.every((k) => !again.html.includes(k)));
    const mine = (await api.get(`/tenants/${slug}/licenses?user_id=${user.id}`)).body.items as Array<{ id: string; key_hint: string }>;
    assert.deepEqual(mine.map((l) => l.key_hint).sort(), keys.map((k) => k.slice(-5)).sort());
    assert.equal((await activate(keys[0]!, 'console-device')).status, 200, 'a key from the console activates');
    const issuedEntries = (await auditEntries(api, slug, 'admin.license_issued')).filter((e) => e.actor === `operator:${owner.id}`);
    assert.deepEqual(issuedEntries.map((e) => e.subject).sort(), mine.map((l) => `license:${l.id}`).sort());
    assert.ok(issuedEntries.every((e) => e.data.user_id === user.id && !JSON.stringify(e).includes(keys[0]!)));
    const single = await send('/issue', { policy: `${product!.id}:${standard.id}`, user: '', count: '1' });
    assert.match(visibleText(single.html), /1 key was issued/);
    assert.equal(new Set(single.html.match(keyShape)).size, 1);
  });

  it('refuses bad issue input on the form: an unknown email, a count past 1,000, a policy that is not there', async () => {
    const [product] = (await api.get(`/tenants/${slug}/license-products`)).body.items as Array<{ id: string; policies: Array<{ id: string }> }>;
    const policy = `${product!.id}:${product!.policies[0]!.id}`;
    const before = (await api.get(`/tenants/${slug}/licenses?limit=100`)).body.items.length;
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ policy, user: 'nobody@example.com', count: '1' }, /No user of this tenant has the email address nobody@example\.com/],
      [{ policy, user: '', count: '5000' }, /How many keys \(up to 1,000\): give at most 1000/],
      [{ policy, user: '', count: 'ten' }, /How many keys \(up to 1,000\): give a whole number/],
      [{ policy, user: 'not-a-user-id', count: '1' }, /user/i],
      [{ policy: `${product!.id}:00000000-0000-4000-8000-000000000000`, user: '', count: '1' }, /polic/i],
      [{ policy: 'garbage', user: '', count: '1' }, /product/i],
    ];
    for (const [fields, message] of cases) {
      const page = await send('/issue', fields);
      assert.equal(page.status, 400, JSON.stringify(fields));
      assert.match(refusalOf(page), message);
    }
    assert.equal((await api.get(`/tenants/${slug}/licenses?limit=100`)).body.items.length, before, 'nothing refused was issued');
  });

  it('searches by user email and by the key\'s last characters; a malformed search says so', async () => {
    const user = await createUser(server, slug);
    const [product] = (await api.get(`/tenants/${slug}/license-products`)).body.items as Array<{ id: string; policies: Array<{ id: string }> }>;
    const issued = await send('/issue', { policy: `${product!.id}:${product!.policies[0]!.id}`, user: user.email, count: '2' });
    const [first, second] = [...new Set(issued.html.match(keyShape))] as [string, string];
    const byUser = await open(`?user=${encodeURIComponent(user.email)}`);
    for (const key of [first, second]) assert.ok(byUser.html.includes(key.slice(-5)));
    assert.equal((byUser.html.match(/<a href="\?license=/g) ?? []).length, 2);
    // the holder by email, linked to the user's page with the id on hover, in the list and on the license's own page
    const holderLink = `<a href="/admin/tenants/${slug}/users/${user.id}" title="${user.id}" class="identity">${user.email}</a>`;
    assert.equal(byUser.html.split(holderLink).length - 1, 2, 'each listed license names its holder by email');
    const licenseId = /<a href="\?license=([^"]+)"/.exec(byUser.html)![1]!;
    assert.ok((await open(`?user=${encodeURIComponent(user.email)}&license=${licenseId}`)).html.split(holderLink).length - 1 === 3, 'the detail names the holder too');
    const byHint = await open(`?hint=${first.slice(-5).toLowerCase()}`);
    assert.ok(byHint.html.includes(first.slice(-5)) && !byHint.html.includes(second.slice(-5)));
    const bad = await open('?hint=%21%21');
    assert.equal(bad.status, 400);
    assert.match(refusalOf(bad), /Key ends with \(5 characters\): this is not valid/);
    const unknown = await open('?user=nobody%40example.com');
    assert.equal(unknown.status, 400);
    assert.match(visibleText(unknown.html), /No licenses match/);
  });

  it('extends by days, to a date and to perpetual; transfers (the devices lose their seats) — each audited', async () => {
    const { product_id: productId } = await cliJson<{ product_id: string }>(server, ['license', 'product', 'create', '--tenant', slug, '--name', 'Transfers', '--max-devices', '2', '--days', '30']);
    const { key, license_id: id } = await cliJson<{ key: string; license_id: string }>(server, ['license', 'issue', '--tenant', slug, '--product', productId]);
    const act = async (path: string, fields: Record<string, string>) => {
      const detail = await open(`?license=${id}`);
      return asConsolePage(await post(browser, server, `${base}/${id}${path}`, { _csrf: csrfOf(detail), ...fields }), `the license after ${path}`);
    };
    const start = Date.parse((await license(id)).expires_at!);
    assert.match(visibleText((await act('/extend', { days: '10' })).html), new RegExp(`The license ending ${key.slice(-5)} now ends`));
    assert.equal(Date.parse((await license(id)).expires_at!) - start, 10 * 86_400_000);
    await act('/extend', { until: '2031-05-06' });
    assert.equal((await license(id)).expires_at, '2031-05-07T00:00:00.000Z', 'valid through the whole of that day (UTC)');
    assert.match(visibleText((await act('/extend', { perpetual: 'on' })).html), /is now perpetual/);
    assert.equal((await license(id)).expires_at, null);
    for (const fields of [{}, { days: '1', perpetual: 'on' }] as Array<Record<string, string>>) {
      const refused = await act('/extend', fields);
      assert.match(visibleText(refused.html), /Give exactly one: more days, the last valid day, or perpetual/);
    }
    assert.match(visibleText((await act('/extend', { until: '2031-02-30' })).html), /Valid through \(UTC date\): this is not valid/);
    assert.match(visibleText((await act('/extend', { days: '-3' })).html), /More days: give a whole number/);
    assert.equal((await license(id)).expires_at, null, 'no refused extension changed anything');

    assert.equal((await activate(key, 'transfer-device')).status, 200);
    const newOwner = await createUser(server, slug);
    assert.match(visibleText((await act('/transfer', { user: newOwner.email })).html), /Tick the box/);
    assert.equal((await license(id)).seats_used, 1);
    const moved = await act('/transfer', { user: newOwner.email, confirm: 'yes' });
    assert.ok(visibleText(moved.html).includes(`now belongs to ${newOwner.email}; 1 device lost its seat`), visibleText(moved.html).slice(0, 400));
    assert.deepEqual([(await license(id)).user_id, (await license(id)).seats_used], [newOwner.id, 0]);
    assert.match(visibleText((await act('/transfer', { user: 'nobody@example.com', confirm: 'yes' })).html), /No user of this tenant has the email address/);
    await act('/transfer', { user: '', confirm: 'yes' });
    assert.equal((await license(id)).user_id, null);

    for (const type of ['admin.license_extended', 'admin.license_transferred']) {
      const entries = (await auditEntries(api, slug, type)).filter((e) => e.subject === `license:${id}`);
      assert.ok(entries.length >= 2 && entries.every((e) => e.actor === `operator:${owner.id}`), type);
    }
    const [transferred] = (await auditEntries(api, slug, 'admin.license_transferred')).filter((e) => e.subject === `license:${id}` && e.data.to_user_id === newOwner.id);
    assert.equal(transferred?.data.released, 1);
    const chain = await api.get(`/tenants/${slug}/audit/verify`);
    assert.equal(chain.body.ok, true, chain.text);
  });

  it('speaks the operator\'s language in its refusals', async () => {
    const french = await signInToConsole(server, owner, base, { 'Accept-Language': 'fr' });
    const page = asConsolePage(await post(french.browser, server, `${base}/products`, { _csrf: csrfOf(french.page), name: 'Zéro', maxDevices: '0' }), 'the refusal');
    assert.equal(page.status, 400);
    assert.match(refusalOf(page), /Appareils \(postes\) : au moins 1/);
  });

  it('shows a viewer the licenses without the forms, and refuses the viewer\'s posts', async () => {
    const viewer = await createOperator(server, 'viewer');
    const seen = await signInToConsole(server, viewer, base);
    const page = asConsolePage(seen.page, 'the licenses page');
    assert.match(visibleText(page.html), /Console Desktop/);
    assert.doesNotMatch(page.html, /id="create-product"|id="issue-keys"|\/extend"/);
    const refused = asConsolePage(await post(seen.browser, server, `${base}/products`, { _csrf: csrfOf(page), name: 'Sneaky', maxDevices: '1' }), 'the refusal');
    assert.equal(refused.status, 403);
    assert.match(visibleText(refused.html), /licenses:write is needed/);
  });
});
