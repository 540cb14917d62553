// Clients are read on every token request; a PostgreSQL round trip through Prisma was most of that request's
// cost (npm run bench). Each process keeps what it loaded for `ttlMs` at most; a change to a client is announced
// on the store's pub/sub and drops the entry in every process at once, so the TTL only bounds a lost announcement.
import type { KvStore } from '../store/kv-store.js';

type Metadata = Record<string, unknown>;

interface Entry { metadata: Metadata; value: Promise<Metadata>; expires: number; tenantId: string; clientId: string }

const channel = 'client-changed';

export function createClientCache(options: { store: KvStore; ttlMs?: number; maxEntries?: number }) {
  const ttlMs = options.ttlMs ?? 60_000;
  const maxEntries = options.maxEntries ?? 10_000;
  // tenant → client (a lookup builds no joined key string to hash per request). A hit hands back the same settled
  // promise (no allocation per lookup), and always the same metadata object: oidc/remembered-clients.ts relies on
  // that object standing for the client until it changes
  const tenants = new Map<string, Map<string, Entry>>();
  // every entry, oldest first: the bound drops the oldest
  const order = new Set<Entry>();

  function drop(tenantId: string, clientId: string): void {
    const clients = tenants.get(tenantId);
    const entry = clients?.get(clientId);
    if (!entry) return;
    order.delete(entry);
    clients!.delete(clientId);
    if (!clients!.size) tenants.delete(tenantId);
  }

  async function fill(tenantId: string, clientId: string, load: () => Promise<Metadata | undefined>): Promise<Metadata | undefined> {
    const value = await load();
    drop(tenantId, clientId);
    if (value) {
      const entry: Entry = { metadata: value, value: Promise.resolve(value), expires: Date.now() + ttlMs, tenantId, clientId };
      let clients = tenants.get(tenantId);
      if (!clients) tenants.set(tenantId, (clients = new Map()));
      clients.set(clientId, entry);
      order.add(entry);
      if (order.size > maxEntries) {
        const oldest = order.values().next().value!;
        drop(oldest.tenantId, oldest.clientId);
      }
    }
    return value;
  }

  // the pub/sub message names the client as `tenantId\nclientId`
  const announced = (message: string) => {
    const cut = message.indexOf('\n');
    if (cut > 0) drop(message.slice(0, cut), message.slice(cut + 1));
  };

  return {
    /** the cached metadata, or what `load` returns (only found clients are kept) */
    get(tenantId: string, clientId: string, load: () => Promise<Metadata | undefined>): Promise<Metadata | undefined> {
      const hit = tenants.get(tenantId)?.get(clientId);
      return hit && hit.expires > Date.now() ? hit.value : fill(tenantId, clientId, load);
    },
    /** the cached metadata if it is at hand and fresh, without a promise (remembered-clients.ts); else undefined */
    peek(tenantId: string, clientId: string): Metadata | undefined {
      const hit = tenants.get(tenantId)?.get(clientId);
      return hit && hit.expires > Date.now() ? hit.metadata : undefined;
    },
    /** drops the client here and tells every other process to */
    async changed(tenantId: string, clientId: string): Promise<void> {
      drop(tenantId, clientId);
      await options.store.publish(channel, `${tenantId}\n${clientId}`);
    },
    async listen(): Promise<void> {
      await options.store.subscribe(channel, announced);
    },
  };
}

export type ClientCache = ReturnType<typeof createClientCache>;
