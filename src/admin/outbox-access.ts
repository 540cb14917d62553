// Who may read a tenant's outbox in the console, and which tenants have one: shared by the console's navigation
// (admin-kit.ts) and the outbox page (tenant-outbox.routes.ts).
import { systemSlug } from '../tenants/issuer.js';
import type { TenantSummary } from '../tenants/tenants.service.js';
import { outboxKept } from '../tenants/sandbox-behaviour.js';

/**
 * the tenants whose messages go to the outbox: every one but the system tenant outside production; none in
 * production, where no environment is a sandbox whatever it saved (tenants/sandbox-behaviour.ts)
 */
export const keepsOutbox = (env: string, tenant: Pick<TenantSummary, 'slug'>) => tenant.slug !== systemSlug && outboxKept(env);

/** whoever may read codes may act as the tenant's users: users:write, not a viewer's users:read */
export const outboxPermission = 'users:write';
