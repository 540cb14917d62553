// Clients are read on every token request; a PostgreSQL round trip through Prisma was most of that request's
// cost (npm run bench). Each process keeps what it loaded for `ttlMs` at most; a change to a client is announced
// on the store's pub/sub and drops the entry in every process at once, so the TTL only bounds a lost announcement.
// A hit is always the same metadata object: oidc/remembered-clients.ts relies on that object standing for the client
// until it changes. It also keeps, per tenant, the browser origins its headless apps register (a CORS preflight
// names no app, so it is checked against all of them): without it, every preflight from an origin the tenant does
// not list — anyone can send one — read every client of the tenant. Any client change of the tenant drops that list.
import type { KvStore } from '../store/kv-store.js';
import { createTenantCache } from '../store/tenant-cache.js';

type Metadata = Record<string, unknown>;

const channel = 'client-changed';
/** a client has one entry: no sub-key */
const whole = '';

export function createClientCache(options: { store: KvStore; ttlMs?: number; maxEntries?: number }) {
  const ttlMs = options.ttlMs ?? 60_000;
  const cache = createTenantCache<Metadata>({ ttlMs, maxEntries: options.maxEntries ?? 10_000 });
  const origins = createTenantOrigins(ttlMs);

  // the pub/sub message names the client as `tenantId\nclientId`
  const announced = (message: string) => {
    const cut = message.indexOf('\n');
    if (cut <= 0) return;
    cache.drop(message.slice(0, cut), message.slice(cut + 1));
    origins.drop(message.slice(0, cut));
  };

  return {
    /** the cached metadata, or what `load` returns (only found clients are kept) */
    get: (tenantId: string, clientId: string, load: () => Promise<Metadata | undefined>): Promise<Metadata | undefined> => cache.get(tenantId, clientId, whole, load),
    /** the cached metadata if it is at hand and fresh, without a promise (remembered-clients.ts); else undefined */
    peek: (tenantId: string, clientId: string): Metadata | undefined => cache.peek(tenantId, clientId, whole),
    /** the origins the tenant's headless apps register, as `load` lists them; one load at a time per tenant */
    appOrigins: (tenantId: string, load: () => Promise<readonly string[]>): Promise<ReadonlySet<string>> => origins.get(tenantId, load),
    /** drops the client here and tells every other process to; call it for a new client too (its origins) */
    async changed(tenantId: string, clientId: string): Promise<void> {
      cache.drop(tenantId, clientId);
      origins.drop(tenantId);
      await options.store.publish(channel, `${tenantId}\n${clientId}`);
    },
    async listen(): Promise<void> {
      await options.store.subscribe(channel, announced);
    },
  };
}

/**
 * Per tenant, a set of origins kept for `ttlMs`. Concurrent misses share one load (a burst of preflights makes one
 * read); a drop during a load makes that load's answer go unkept, so a change is not hidden by an older read.
 */
function createTenantOrigins(ttlMs: number) {
  // one entry per tenant that was asked (tenants are resolved before a preflight reaches here)
  const kept = new Map<string, { set: Promise<ReadonlySet<string>>; expires: number }>();
  return {
    get(tenantId: string, load: () => Promise<readonly string[]>): Promise<ReadonlySet<string>> {
      const hit = kept.get(tenantId);
      if (hit && hit.expires > Date.now()) return hit.set;
      const set = load().then((list) => new Set(list) as ReadonlySet<string>);
      // while the load runs, later callers share it; once settled it is kept for ttlMs (a failed one not at all)
      const entry = { set, expires: Number.POSITIVE_INFINITY };
      kept.set(tenantId, entry);
      set.then(() => {
        if (kept.get(tenantId) === entry) entry.expires = Date.now() + ttlMs;
      }, () => {
        if (kept.get(tenantId) === entry) kept.delete(tenantId);
      });
      return set;
    },
    drop(tenantId: string): void {
      kept.delete(tenantId);
    },
  };
}

export type ClientCache = ReturnType<typeof createClientCache>;
