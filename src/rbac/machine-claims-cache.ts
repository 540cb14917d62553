// Roles and permissions of machine clients, kept per process. client_credentials tokens can come by the thousand a
// second, and reading the client's roles for each one halved the token endpoint (npm run bench). Any RBAC change
// of a tenant drops its entries here at once and, over the store's pub/sub, in every other process; `ttlMs`
// bounds how long a lost announcement can leave a process with the old claims. Users' claims are not cached.
import type { KvStore } from '../store/kv-store.js';

type Claims = { roles: string[]; permissions: string[] };

interface Entry { value: Promise<Claims>; expires: number; tenantId: string; clientId: string; audience: string }

const channel = 'rbac-changed';

export function createMachineClaimsCache(options: { store: KvStore; ttlMs?: number; maxEntries?: number }) {
  const ttlMs = options.ttlMs ?? 10_000;
  const maxEntries = options.maxEntries ?? 10_000;
  // tenant → client → audience: a lookup builds no key string (a joined key was a new string to hash per token);
  // a hit hands back the same settled promise, so no allocation per token
  const tenants = new Map<string, Map<string, Map<string, Entry>>>();
  // every entry, oldest first: the bound drops the oldest
  const order = new Set<Entry>();

  function remove(entry: Entry): void {
    order.delete(entry);
    const clients = tenants.get(entry.tenantId);
    const audiences = clients?.get(entry.clientId);
    if (audiences?.get(entry.audience) !== entry) return;
    audiences.delete(entry.audience);
    if (!audiences.size) clients!.delete(entry.clientId);
    if (!clients!.size) tenants.delete(entry.tenantId);
  }

  const dropTenant = (tenantId: string) => {
    for (const audiences of tenants.get(tenantId)?.values() ?? []) for (const entry of audiences.values()) order.delete(entry);
    tenants.delete(tenantId);
  };

  async function fill(tenantId: string, clientId: string, audience: string, load: () => Promise<Claims>): Promise<Claims> {
    const value = await load();
    const old = tenants.get(tenantId)?.get(clientId)?.get(audience);
    if (old) remove(old);
    const entry: Entry = { value: Promise.resolve(value), expires: Date.now() + ttlMs, tenantId, clientId, audience };
    let clients = tenants.get(tenantId);
    if (!clients) tenants.set(tenantId, (clients = new Map()));
    let audiences = clients.get(clientId);
    if (!audiences) clients.set(clientId, (audiences = new Map()));
    audiences.set(audience, entry);
    order.add(entry);
    if (order.size > maxEntries) remove(order.values().next().value!);
    return value;
  }

  return {
    get(tenantId: string, clientId: string, audience: string, load: () => Promise<Claims>): Promise<Claims> {
      const hit = tenants.get(tenantId)?.get(clientId)?.get(audience);
      return hit && hit.expires > Date.now() ? hit.value : fill(tenantId, clientId, audience, load);
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
