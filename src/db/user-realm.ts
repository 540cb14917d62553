// Users and their credentials belong to a tenant and are shared by all its environments (issue #19): an
// environment's record (tenants.parent_id set) keeps its own clients, keys, roles and tokens, but every user,
// identity, factor, passkey and trusted device it looks up lives under its parent. The repositories of those
// are wrapped here, so no caller (hosted pages, REST API, provider, Management API) needs to know.
import type { PrismaClient } from './generated/client.js';

/** the tenant whose users an environment (or tenant) uses: the parent for an environment, else itself */
export type UserRealm = (tenantId: string) => Promise<string>;

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createUserRealm(prisma: PrismaClient): UserRealm {
  // an environment never changes parent: one query per tenant and process
  const known = new Map<string, string>();
  return async (tenantId) => {
    const cached = known.get(tenantId);
    if (cached) return cached;
    if (!uuid.test(tenantId)) return tenantId;
    const row = await prisma.tenant.findUnique({ where: { id: tenantId }, select: { parentId: true } });
    if (!row) return tenantId;
    const realm = row.parentId ?? tenantId;
    known.set(tenantId, realm);
    return realm;
  };
}

/** `repository` with the tenant id (first argument) of each of `methods` replaced by its user realm */
export function inUserRealm<R extends object>(repository: R, realm: UserRealm, methods: readonly (keyof R & string)[]): R {
  const wrapped = { ...repository } as Record<string, unknown>;
  for (const name of methods) {
    const method = repository[name] as unknown as (tenantId: string, ...rest: unknown[]) => Promise<unknown>;
    wrapped[name] = async (tenantId: string, ...rest: unknown[]) => method(await realm(tenantId), ...rest);
  }
  return wrapped as R;
}

/** a user realm's tenant ids: the realm (the tenant itself) first, then its environments */
export type RealmTenants = (realm: string) => Promise<string[]>;

export function createRealmTenants(prisma: PrismaClient): RealmTenants {
  return async (realm) => {
    if (!uuid.test(realm)) return [realm];
    const environments = await prisma.tenant.findMany({ where: { parentId: realm }, select: { id: true }, orderBy: { createdAt: 'asc' } });
    return [realm, ...environments.map((e) => e.id)];
  };
}
