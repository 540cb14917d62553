// Roles and permissions of machine clients, kept per process. client_credentials tokens can come by the thousand a
// second, and reading the client's roles for each one halved the token endpoint (npm run bench). Any RBAC change
// of a tenant drops its entries here at once and, over the store's pub/sub, in every other process; `ttlMs`
// bounds how long a lost announcement can leave a process with the old claims. Users' claims are not cached.
import type { KvStore } from '../store/kv-store.js';
import { createTenantCache } from '../store/tenant-cache.js';

type Claims = { roles: string[]; permissions: string[] };

const channel = 'rbac-changed';

export function createMachineClaimsCache(options: { store: KvStore; ttlMs?: number; maxEntries?: number }) {
  // tenant → client → audience
  const cache = createTenantCache<Claims>({ ttlMs: options.ttlMs ?? 10_000, maxEntries: options.maxEntries ?? 10_000 });

  return {
    /** the cached claims of the client for the audience, or what `load` returns (always kept) */
    get: (tenantId: string, clientId: string, audience: string, load: () => Promise<Claims>): Promise<Claims> =>
      cache.get(tenantId, clientId, audience, load) as Promise<Claims>,
    /** the tenant's roles, permissions or assignments changed: drop its entries here and everywhere */
    async changed(tenantId: string): Promise<void> {
      cache.dropTenant(tenantId);
      await options.store.publish(channel, tenantId);
    },
    async listen(): Promise<void> {
      await options.store.subscribe(channel, (tenantId) => cache.dropTenant(tenantId));
    },
  };
}

export type MachineClaimsCache = ReturnType<typeof createMachineClaimsCache>;
