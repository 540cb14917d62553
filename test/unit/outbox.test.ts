import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { pino } from 'pino';
import { createPageRenderer, viewsDir } from '../../src/http/page-renderer.js';
import { createPages } from '../../src/http/pages.js';
import { errorHandler } from '../../src/http/error-handler.js';
import type { ResolvedTenant } from '../../src/http/tenant-routes.js';
import { outboxRoutes } from '../../src/notifications/outbox.routes.js';
import { clientAddressMiddleware } from '../../src/http/client-address.js';
import { trustNoProxy } from '../../src/config/trust-proxy.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import type { KvStore } from '../../src/store/kv-store.js';
import { createOutbox, type OutboxEntry } from '../../src/notifications/outbox.js';

const stores: KvStore[] = [];
after(() => Promise.all(stores.map((s) => s.close())));

function newStore(): KvStore {
  const store = createMemoryStore({ prefix: 'outbox-test:' });
  stores.push(store);
  return store;
}

const email = (to: string, code: string): Omit<OutboxEntry, 'id' | 'at'> => ({
  channel: 'email', to, subject: 'Your sign-in code', text: `Your code is ${code}`, code,
  link: `https://id.example.com/t/acme/magic?token=${code}`, provider: null, delivered: false,
});

test('record returns the saved entry with an id and a time, and list shows entries newest first', async () => {
  const outbox = createOutbox(newStore());
  const before = Date.now();
  const first = await outbox.record('tenant-a', email('ann@example.com', '111111'));
  const second = await outbox.record('tenant-a', { ...email('+15005550006', '222222'), channel: 'sms', subject: null, link: null, provider: 'twilio', delivered: true });
  assert.match(first.id, /^[0-9a-f-]{36}$/);
  assert.notEqual(first.id, second.id);
  const at = Date.parse(first.at);
  assert.ok(at >= before - 1 && at <= Date.now(), first.at);
  assert.equal(first.at, new Date(at).toISOString(), 'ISO 8601');
  assert.deepEqual(await outbox.list('tenant-a'), [second, first]);
  assert.equal(second.provider, 'twilio');
  assert.equal(second.delivered, true);
});

test('keeps only the newest maxPerTenant entries', async () => {
  const outbox = createOutbox(newStore(), { maxPerTenant: 3 });
  for (let i = 1; i <= 5; i++) await outbox.record('t', email('ann@example.com', String(i)));
  assert.deepEqual((await outbox.list('t')).map((e) => e.code), ['5', '4', '3']);
});

test('tenants never see each other’s messages', async () => {
  const outbox = createOutbox(newStore());
  await outbox.record('tenant-a', email('ann@example.com', '111111'));
  await outbox.record('tenant-b', email('bob@example.com', '222222'));
  assert.deepEqual((await outbox.list('tenant-a')).map((e) => e.to), ['ann@example.com']);
  assert.deepEqual((await outbox.list('tenant-b')).map((e) => e.to), ['bob@example.com']);
  assert.deepEqual(await outbox.list('tenant-c'), []);
});

test('stores only the entry’s own fields', async () => {
  const store = newStore();
  const outbox = createOutbox(store);
  const saved = await outbox.record('t', { ...email('ann@example.com', '1'), html: '<p>big</p>', secret: 'x' } as Omit<OutboxEntry, 'id' | 'at'>);
  assert.deepEqual(Object.keys(saved).sort(), ['at', 'channel', 'code', 'delivered', 'id', 'link', 'provider', 'subject', 'text', 'to']);
  assert.deepEqual(await outbox.list('t'), [saved]);
});

test('entries expire with the list’s TTL, refreshed by each new message', async () => {
  const store = newStore();
  const outbox = createOutbox(store, { ttlSeconds: 120 });
  await outbox.record('t', email('ann@example.com', '1'));
  const ttl = await store.ttl('outbox:t');
  assert.ok(ttl > 110 && ttl <= 120, String(ttl));
});

test('an entry that does not parse is skipped, not fatal', async () => {
  const store = newStore();
  const outbox = createOutbox(store);
  const good = await outbox.record('t', email('ann@example.com', '1'));
  await store.listPush('outbox:t', '{not json', 200, 60);
  await store.listPush('outbox:t', JSON.stringify({ ...good, channel: 'pigeon' }), 200, 60);
  assert.deepEqual(await outbox.list('t'), [good]);
});

/** the outbox router behind a stand-in for tenantRoutes, on a free port */
async function serveOutbox(options: { enabled?: (tenant: ResolvedTenant) => boolean } = {}) {
  const outbox = createOutbox(newStore());
  const pages = createPages(createPageRenderer({ viewsDir, cache: false }), false);
  const tenants: Record<string, ResolvedTenant> = {
    acme: { id: 'tenant-acme', slug: 'acme', name: 'Acme <Books>', branding: { logoUrl: null, primaryColor: '#0f766e' } } as ResolvedTenant,
    beta: { id: 'tenant-beta', slug: 'beta', name: 'Beta', branding: { logoUrl: null, primaryColor: '#0f766e' } } as ResolvedTenant,
  };
  const app = new Koa();
  // as in app.ts: the outbox answers only this machine (a loopback peer, no proxy headers)
  app.use(clientAddressMiddleware(trustNoProxy));
  app.use(errorHandler({ logger: pino({ level: 'silent' }), pages }));
  app.use(async (ctx, next) => {
    ctx.state.tenant = tenants[/^\/t\/([^/]+)/.exec(ctx.path)?.[1] ?? ''];
    await next();
  });
  app.use(outboxRoutes({ outbox, pages, ...options }).routes());
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { outbox, get: (path: string, accept: string) => fetch(base + path, { headers: { accept } }) };
}

test('GET /t/{slug}/outbox answers JSON to programs, newest first, this tenant only, never cached', async () => {
  const { outbox, get } = await serveOutbox();
  const first = await outbox.record('tenant-acme', email('ann@example.com', '111111'));
  const second = await outbox.record('tenant-acme', email('bob@example.com', '222222'));
  await outbox.record('tenant-beta', email('eve@example.com', '333333'));
  const res = await get('/t/acme/outbox', 'application/json');
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.match(res.headers.get('vary') ?? '', /Accept/);
  assert.deepEqual(await res.json(), { entries: [second, first] });
});

test('GET /t/{slug}/outbox shows browsers a page with a row per message and the link as a link', async () => {
  const { outbox, get } = await serveOutbox();
  const entry = await outbox.record('tenant-acme', email('ann@example.com', '111111'));
  const res = await get('/t/acme/outbox', 'text/html,application/xhtml+xml');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  const html = await res.text();
  assert.match(html, /<title>Outbox · Acme &lt;Books&gt;<\/title>/);
  assert.match(html, /<link rel="stylesheet" href="\/t\/acme\/branding.css">/);
  assert.ok(html.includes(`<a href="${entry.link}">`));
  assert.match(html, /<code class="ref">111111<\/code>/);
  assert.doesNotMatch(html, /<script/);
});

test('a tenant the outbox is not enabled for gets the ordinary 404', async () => {
  const { outbox, get } = await serveOutbox({ enabled: (tenant) => tenant.slug !== 'acme' });
  await outbox.record('tenant-acme', email('ann@example.com', '111111'));
  const refused = await get('/t/acme/outbox', 'application/json');
  assert.equal(refused.status, 404);
  assert.deepEqual(await refused.json(), { error: 'route.not_found', message: 'There is nothing at this address.' });
  assert.equal((await get('/t/beta/outbox', 'application/json')).status, 200);
});

