// How an environment (issue #19) is addressed. `live` is the tenant itself (slug `acme`, issuer
// `{PUBLIC_URL}/t/acme`, unchanged); any other environment is a tenant record of its own whose slug is
// `{tenant}~{environment}` (`acme~sandbox`, issuer `{PUBLIC_URL}/t/acme~sandbox`). One path segment keeps every
// `/t/:slug/…` route, URL, cookie path and provider cache working for environments as for tenants, and `~` (an
// RFC 3986 unreserved character no tenant slug may hold) keeps the two namespaces apart.

export const liveEnvironment = 'live';
export const environmentSeparator = '~';

/** a tenant's own slug (no environment) */
export const tenantSlugPattern = /^[a-z][a-z0-9-]{1,39}$/;
/** an environment's name: like a slug, shorter */
export const environmentNamePattern = /^[a-z][a-z0-9-]{1,29}$/;
/** what `/t/{slug}` and `/api/tenants/{slug}` accept: a tenant, or a tenant's environment */
export const slugPattern = /^[a-z][a-z0-9-]{1,39}(?:~[a-z][a-z0-9-]{1,29})?$/;

/** the slug that addresses `environment` of `tenant` (the tenant's own slug for `live`) */
export function environmentSlug(tenant: string, environment: string = liveEnvironment): string {
  return environment === liveEnvironment ? tenant : `${tenant}${environmentSeparator}${environment}`;
}

/** the tenant and environment a slug addresses */
export function splitSlug(slug: string): { tenant: string; environment: string } {
  const at = slug.indexOf(environmentSeparator);
  return at < 0 ? { tenant: slug, environment: liveEnvironment } : { tenant: slug.slice(0, at), environment: slug.slice(at + 1) };
}
