// The one place that decides which tenants an operator may act on (issue #13, finding 2). Two restrictions can
// apply: the system-tenant client's `operator_tenants` (what any token of that client may touch) and the signed-in
// operator's `metadata.tenants` (what that person may touch). The operator gets the intersection; an absent
// restriction leaves its side open. The Management API, the console and the CLI all ask here, and the user's side
// is read per request, never from the token, so taking a tenant away from an operator takes effect at once.

/** slugs an operator may act on; null = every tenant */
import { splitSlug } from '../tenants/environment-names.js';

export type TenantAccess = readonly string[] | null;

export const everyTenant: TenantAccess = null;

/**
 * A stored restriction (client metadata `operator_tenants`, user metadata `tenants`) as a TenantAccess.
 * Absent → every tenant. Anything else than a list of slugs limits to none: a typo must not open every tenant.
 */
export function restrictionOf(value: unknown): TenantAccess {
  if (value === undefined || value === null) return everyTenant;
  if (!Array.isArray(value)) return [];
  return value.filter((slug): slug is string => typeof slug === 'string');
}

/** what both restrictions allow */
export function intersect(a: TenantAccess, b: TenantAccess): TenantAccess {
  if (a === null) return b;
  if (b === null) return a;
  return a.filter((slug) => b.includes(slug));
}

/** the tenants an operator signed in through a client may act on */
export function operatorTenants(input: { client: unknown; user?: unknown }): TenantAccess {
  return intersect(restrictionOf(input.client), input.user === undefined ? everyTenant : restrictionOf(input.user));
}

/** a tenant's environments (`acme~sandbox`, issue #19) go with the tenant */
export function mayActOn(access: TenantAccess, slug: string): boolean {
  return access === null || access.includes(splitSlug(slug).tenant);
}

/** only an operator of the whole installation creates tenants: a new tenant is outside every list */
export function mayCreateTenants(access: TenantAccess): boolean {
  return access === null;
}

/** the tenants among `all` the operator may see */
export function visibleTenants<T extends { slug: string }>(access: TenantAccess, all: readonly T[]): T[] {
  return all.filter((tenant) => mayActOn(access, tenant.slug));
}
