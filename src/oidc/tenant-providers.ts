// One oidc-provider instance per tenant, built on first use and cached (LRU). Instances are caches of what
// PostgreSQL holds: a change (key rotation, settings) bumps the tenant's version and is announced over the
// store's pub/sub; every process also re-checks the version at most `revalidateMs` after its last check,
// which bounds staleness if an announcement is lost.
import { parseTenantSettings } from '../tenants/tenant-settings.js';
import { createLocalJWKSet } from 'jose';
import { publicJwks } from '../tenants/signing-keys.js';
import { slugPattern, splitSlug } from '../tenants/environment-names.js';
import { issuerFor } from '../tenants/issuer.js';
import type { TenantContext, TenantProvider, TenantProvidersDeps } from './tenant-provider-types.js';

export type { TenantContext, TenantProvider, TenantProvidersDeps } from './tenant-provider-types.js';

interface Entry { value: TenantProvider | null; version: number; checkedAt: number; changesAt: number }

const changeChannel = 'tenant-changed';

export function createTenantProviders(deps: TenantProvidersDeps) {
  const revalidateMs = deps.revalidateMs ?? 30_000;
  const cache = new Map<string, Entry>();
  const building = new Map<string, Promise<TenantProvider | null>>();

  async function build(slug: string): Promise<Entry> {
    const record = await deps.tenants.findBySlug(slug);
    if (!record) return { value: null, version: 0, checkedAt: Date.now(), changesAt: Infinity };
    const settings = parseTenantSettings(record.settings);
    const tenant: TenantContext = { id: record.id, slug, name: record.name, issuer: issuerFor(deps.publicUrl, slug), environment: record.environment, tenantSlug: splitSlug(slug).tenant, settings };
    const [{ jwks, changesAt }, apis] = await Promise.all([deps.keys.loadJwks(record.id), deps.rbac.apiPermissions(record.id)]);
    // loaded on the first build: oidc-provider and the provider's configuration are heavy, and a process that never
    // serves the protocol (the CLI's commands) never builds a provider
    const { buildTenantProvider } = await import('./tenant-provider-instance.js');
    const provider = buildTenantProvider(deps, { record, tenant, settings, jwks, apis, adapter: await deps.adapterFor(record.id) }, siblingEnvironment);
    return { value: { tenant, provider }, version: record.version, checkedAt: Date.now(), changesAt: changesAt?.getTime() ?? Infinity };
  }

  /** another environment of `tenant`'s tenant, by issuer, with its published keys (issue #19) */
  async function siblingEnvironment(tenant: TenantContext, issuer: string) {
    const prefix = `${deps.publicUrl.origin}/t/`;
    const slug = issuer.startsWith(prefix) ? issuer.slice(prefix.length) : '';
    if (!slugPattern.test(slug) || slug === tenant.slug || splitSlug(slug).tenant !== tenant.tenantSlug) return null;
    const record = await deps.tenants.findBySlug(slug);
    if (!record) return null;
    const { jwks } = await deps.keys.loadJwks(record.id);
    return { tenantId: record.id, keys: createLocalJWKSet(publicJwks(jwks)), environment: record.environment };
  }

  let newest: string | undefined;
  function remember(slug: string, entry: Entry) {
    // already the most recently used (a run of requests for one tenant): nothing to reorder
    if (slug === newest && cache.get(slug) === entry) return;
    newest = slug;
    cache.delete(slug);
    cache.set(slug, entry);
    while (cache.size > deps.maxSize) cache.delete(cache.keys().next().value!);
  }

  // A miss is not remembered beyond the lookups already waiting on it: a tenant created a moment later (by this
  // process, another one, or the CLI) must be found at once, and an unknown slug costs one indexed query.
  async function load(slug: string): Promise<TenantProvider | null> {
    const entry = await build(slug);
    if (entry.value) remember(slug, entry);
    else cache.delete(slug);
    return entry.value;
  }

  async function fresh(slug: string, entry: Entry): Promise<boolean> {
    const age = Date.now() - entry.checkedAt;
    if (Date.now() >= entry.changesAt) return false;
    if (age < revalidateMs) return true;
    const version = await deps.tenants.versionOf(slug);
    if (version !== entry.version) return false;
    entry.checkedAt = Date.now();
    return true;
  }

  async function lookUp(slug: string, entry: Entry | undefined): Promise<TenantProvider | null> {
    if (entry && (await fresh(slug, entry))) {
      remember(slug, entry);
      return entry.value;
    }
    let pending = building.get(slug);
    if (!pending) {
      pending = load(slug).finally(() => building.delete(slug));
      building.set(slug, pending);
    }
    return pending;
  }

  return {
    /**
     * The tenant's provider, or null when no such tenant exists. In the common case (checked recently, nothing due to
     * change) the answer itself, not a promise: every protocol request comes here, and the caller need not wait.
     */
    get(slug: string): TenantProvider | null | Promise<TenantProvider | null> {
      const entry = cache.get(slug);
      const now = Date.now();
      if (entry && now < entry.changesAt && now - entry.checkedAt < revalidateMs) {
        remember(slug, entry);
        return entry.value;
      }
      return lookUp(slug, entry);
    },
    /** tells every process (this one included) to rebuild the tenant's provider on next use */
    async announceChange(slug: string): Promise<void> {
      cache.delete(slug);
      await deps.store.publish(changeChannel, slug);
    },
    async listen(): Promise<void> {
      await deps.store.subscribe(changeChannel, (slug) => cache.delete(slug));
    },
  };
}

export type TenantProviders = ReturnType<typeof createTenantProviders>;
