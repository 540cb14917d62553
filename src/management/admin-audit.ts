// Stand-in for src/audit/admin-actions.ts (landing in main): an operator's write in the tenant's audit chain.
import type { AuditLog } from '../audit/audit-log.js';

export interface AdminAction {
  tenantId: string;
  actor: string;
  type: string;
  subject?: string | null;
  clientId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  data?: Record<string, unknown>;
}

export function recordAdminAction(audit: AuditLog, action: AdminAction): Promise<void> {
  return audit.record({ ...action, outcome: 'success' });
}
