// Clients are read on every token request; a PostgreSQL round trip through Prisma was most of that request's
// cost (npm run bench). Each process keeps what it loaded for `ttlMs` at most; a change to a client is announced
// on the store's pub/sub and drops the entry in every process at once, so the TTL only bounds a lost announcement.
import type { KvStore } from '../store/kv-store.js';

type Metadata = Record<string, unknown>;

const channel = 'client-changed';

export function createClientCache(options: { store: KvStore; ttlMs?: number; maxEntries?: number }) {
  const ttlMs = options.ttlMs ?? 60_000;
  const maxEntries = options.maxEntries ?? 10_000;
  // a hit hands back the same settled promise (no allocation per lookup), and always the same metadata object:
  // oidc/remembered-clients.ts relies on that object standing for the client until it changes
  const entries = new Map<string, { value: Promise<Metadata>; expires: number }>();
  const keyOf = (tenantId: string, clientId: string) => `${tenantId}\n${clientId}`;

  async function fill(key: string, load: () => Promise<Metadata | undefined>): Promise<Metadata | undefined> {
    const value = await load();
    entries.delete(key);
    if (value) {
      entries.set(key, { value: Promise.resolve(value), expires: Date.now() + ttlMs });
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    }
    return value;
  }

  return {
    /** the cached metadata, or what `load` returns (only found clients are kept) */
    get(tenantId: string, clientId: string, load: () => Promise<Metadata | undefined>): Promise<Metadata | undefined> {
      const key = keyOf(tenantId, clientId);
      const hit = entries.get(key);
      return hit && hit.expires > Date.now() ? hit.value : fill(key, load);
    },
    /** drops the client here and tells every other process to */
    async changed(tenantId: string, clientId: string): Promise<void> {
      entries.delete(keyOf(tenantId, clientId));
      await options.store.publish(channel, keyOf(tenantId, clientId));
    },
    async listen(): Promise<void> {
      await options.store.subscribe(channel, (key) => entries.delete(key));
    },
  };
}

export type ClientCache = ReturnType<typeof createClientCache>;
