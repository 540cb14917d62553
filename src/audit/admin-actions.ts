// Every write by an operator (Management API, admin console, CLI) is appended to the audit log of the tenant it
// changed, naming the actor: `client:<id>` for an API client, `operator:<user id>` for a console operator,
// `cli` for the local command line. `data` says what changed, never a secret (a new client secret, a password).
import type { AuditLog } from './audit-log.js';

export interface AdminAction {
  tenantId: string;
  actor: string;
  /** `admin.<thing>_<verb past>`, e.g. `admin.user_disabled`, `admin.role_assigned` */
  type: `admin.${string}`;
  /** the user, client, role … the action concerned */
  subject?: string | null;
  clientId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  outcome?: 'success' | 'failure';
  data?: Record<string, unknown>;
}

const secretish = /secret|password|token|code|key/i;

export async function recordAdminAction(audit: AuditLog, action: AdminAction): Promise<void> {
  const data = Object.fromEntries(Object.entries(action.data ?? {}).filter(([name]) => !secretish.test(name)));
  await audit.record({ ...action, outcome: action.outcome ?? 'success', data });
}
