// Who may read a tenant's outbox in the console, and which tenants have one: shared by the console's navigation
// (admin-kit.ts) and the outbox page (tenant-outbox.routes.ts).
import { systemSlug } from '../tenants/issuer.js';
import type { TenantSummary } from '../tenants/tenants.service.js';

/** the tenants whose messages go to the outbox: every one outside production, sandbox tenants in production */
export const keepsOutbox = (production: boolean, tenant: TenantSummary) =>
  tenant.slug !== systemSlug && (!production || tenant.settings.signIn.sandbox === true);

/** whoever may read codes may act as the tenant's users: users:write, not a viewer's users:read */
export const outboxPermission = 'users:write';
