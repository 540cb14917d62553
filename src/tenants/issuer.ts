// Where a tenant lives: its issuer is `{PUBLIC_URL}/t/{slug}` (DESIGN.md, tenancy), and the reserved system tenant's
// slug. Kept with the tenants so that everything that names a tenant's URL (oidc/, the console, the CLI) imports it
// from one place below them.

/** the reserved tenant that holds the operators of the installation */
export const systemSlug = 'system';

export function issuerFor(publicUrl: URL, slug: string): string {
  return `${publicUrl.origin}/t/${slug}`;
}
