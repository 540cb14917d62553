// A process-local cache of what the token endpoint reads per request (a client's metadata, a machine client's roles
// and permissions), keyed tenant → key → sub-key, bounded in time (`ttlMs`) and size (`maxEntries`, the oldest
// entry goes first). Nested maps rather than a joined key: a lookup builds no string to hash per request; a hit hands
// back the same settled promise, so no allocation per lookup, and always the same value object. What announces a
// change to other processes is the caller's (clients/client-cache.ts, rbac/machine-claims-cache.ts).

interface Entry<V> { value: V; settled: Promise<V>; expires: number; tenantId: string; key: string; subKey: string }

export function createTenantCache<V>(options: { ttlMs: number; maxEntries: number }) {
  const tenants = new Map<string, Map<string, Map<string, Entry<V>>>>();
  // every entry, oldest first
  const order = new Set<Entry<V>>();

  const fresh = (tenantId: string, key: string, subKey: string): Entry<V> | undefined => {
    const hit = tenants.get(tenantId)?.get(key)?.get(subKey);
    return hit && hit.expires > Date.now() ? hit : undefined;
  };

  function remove(entry: Entry<V>): void {
    order.delete(entry);
    const keys = tenants.get(entry.tenantId);
    const subKeys = keys?.get(entry.key);
    if (subKeys?.get(entry.subKey) !== entry) return;
    subKeys.delete(entry.subKey);
    if (!subKeys.size) keys!.delete(entry.key);
    if (!keys!.size) tenants.delete(entry.tenantId);
  }

  function keep(tenantId: string, key: string, subKey: string, value: V): void {
    const old = tenants.get(tenantId)?.get(key)?.get(subKey);
    if (old) remove(old);
    const entry: Entry<V> = { value, settled: Promise.resolve(value), expires: Date.now() + options.ttlMs, tenantId, key, subKey };
    let keys = tenants.get(tenantId);
    if (!keys) tenants.set(tenantId, (keys = new Map()));
    let subKeys = keys.get(key);
    if (!subKeys) keys.set(key, (subKeys = new Map()));
    subKeys.set(subKey, entry);
    order.add(entry);
    if (order.size > options.maxEntries) remove(order.values().next().value!);
  }

  async function fill(tenantId: string, key: string, subKey: string, load: () => Promise<V | undefined>): Promise<V | undefined> {
    const value = await load();
    if (value === undefined) {
      const old = tenants.get(tenantId)?.get(key)?.get(subKey);
      if (old) remove(old);
    } else {
      keep(tenantId, key, subKey, value);
    }
    return value;
  }

  return {
    /** the cached value, or what `load` returns (kept unless undefined) */
    get(tenantId: string, key: string, subKey: string, load: () => Promise<V | undefined>): Promise<V | undefined> {
      return fresh(tenantId, key, subKey)?.settled ?? fill(tenantId, key, subKey, load);
    },
    /** the cached value if it is at hand and fresh, without a promise; else undefined */
    peek: (tenantId: string, key: string, subKey: string): V | undefined => fresh(tenantId, key, subKey)?.value,
    /** forgets a key (every sub-key of it) */
    drop(tenantId: string, key: string): void {
      for (const entry of [...tenants.get(tenantId)?.get(key)?.values() ?? []]) remove(entry);
    },
    /** forgets everything of a tenant */
    dropTenant(tenantId: string): void {
      for (const subKeys of tenants.get(tenantId)?.values() ?? []) for (const entry of subKeys.values()) order.delete(entry);
      tenants.delete(tenantId);
    },
  };
}

export type TenantCache<V> = ReturnType<typeof createTenantCache<V>>;
