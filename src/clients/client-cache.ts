// Clients are read on every token request; a PostgreSQL round trip through Prisma was most of that request's
// cost (npm run bench). Each process keeps what it loaded for `ttlMs` at most; a change to a client is announced
// on the store's pub/sub and drops the entry in every process at once, so the TTL only bounds a lost announcement.
// A hit is always the same metadata object: oidc/remembered-clients.ts relies on that object standing for the client
// until it changes.
import type { KvStore } from '../store/kv-store.js';
import { createTenantCache } from '../store/tenant-cache.js';

type Metadata = Record<string, unknown>;

const channel = 'client-changed';
/** a client has one entry: no sub-key */
const whole = '';

export function createClientCache(options: { store: KvStore; ttlMs?: number; maxEntries?: number }) {
  const cache = createTenantCache<Metadata>({ ttlMs: options.ttlMs ?? 60_000, maxEntries: options.maxEntries ?? 10_000 });

  // the pub/sub message names the client as `tenantId\nclientId`
  const announced = (message: string) => {
    const cut = message.indexOf('\n');
    if (cut > 0) cache.drop(message.slice(0, cut), message.slice(cut + 1));
  };

  return {
    /** the cached metadata, or what `load` returns (only found clients are kept) */
    get: (tenantId: string, clientId: string, load: () => Promise<Metadata | undefined>): Promise<Metadata | undefined> => cache.get(tenantId, clientId, whole, load),
    /** the cached metadata if it is at hand and fresh, without a promise (remembered-clients.ts); else undefined */
    peek: (tenantId: string, clientId: string): Metadata | undefined => cache.peek(tenantId, clientId, whole),
    /** drops the client here and tells every other process to */
    async changed(tenantId: string, clientId: string): Promise<void> {
      cache.drop(tenantId, clientId);
      await options.store.publish(channel, `${tenantId}\n${clientId}`);
    },
    async listen(): Promise<void> {
      await options.store.subscribe(channel, announced);
    },
  };
}

export type ClientCache = ReturnType<typeof createClientCache>;
