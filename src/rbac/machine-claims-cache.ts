// Roles and permissions of machine clients, kept per process. client_credentials tokens can come by the thousand a
// second, and reading the client's roles for each one halved the token endpoint (npm run bench). Any RBAC change
// of a tenant drops its entries here at once and, over the store's pub/sub, in every other process; `ttlMs`
// bounds how long a lost announcement can leave a process with the old claims. Users' claims are not cached.
import type { KvStore } from '../store/kv-store.js';

type Claims = { roles: string[]; permissions: string[] };

const channel = 'rbac-changed';

export function createMachineClaimsCache(options: { store: KvStore; ttlMs?: number; maxEntries?: number }) {
  const ttlMs = options.ttlMs ?? 10_000;
  const maxEntries = options.maxEntries ?? 10_000;
  // a hit hands back the same settled promise: no allocation per token
  const entries = new Map<string, { value: Promise<Claims>; expires: number }>();
  const dropTenant = (tenantId: string) => {
    for (const key of entries.keys()) if (key.startsWith(`${tenantId}\n`)) entries.delete(key);
  };

  async function fill(key: string, load: () => Promise<Claims>): Promise<Claims> {
    const value = await load();
    entries.delete(key);
    entries.set(key, { value: Promise.resolve(value), expires: Date.now() + ttlMs });
    if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    return value;
  }

  return {
    get(tenantId: string, clientId: string, audience: string, load: () => Promise<Claims>): Promise<Claims> {
      const key = `${tenantId}\n${clientId}\n${audience}`;
      const hit = entries.get(key);
      return hit && hit.expires > Date.now() ? hit.value : fill(key, load);
    },
    /** the tenant's roles, permissions or assignments changed: drop its entries here and everywhere */
    async changed(tenantId: string): Promise<void> {
      dropTenant(tenantId);
      await options.store.publish(channel, tenantId);
    },
    async listen(): Promise<void> {
      await options.store.subscribe(channel, dropTenant);
    },
  };
}

export type MachineClaimsCache = ReturnType<typeof createMachineClaimsCache>;
