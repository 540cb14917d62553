// Records authentication events for the audit log, each entry chained to its tenant's previous one (audit-chain.ts). Events name a subject by
// user id or by a keyed hash of the email/phone typed (so the log tells attempts on one identifier apart without
// holding it); codes, links, passwords and tokens are never part of an event.
import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import type { AuditEntry, AuditRepository } from '../db/audit.repository.js';
import type { ChainReport } from './audit-chain.js';

export type AuditEvent = AuditEntry;

export interface AuditLog {
  record(event: AuditEvent): Promise<void>;
  /** walks the tenant's hash chain; reports the first broken link */
  verify(tenantId: string): Promise<ChainReport>;
  /** every entry of the tenant, oldest first */
  export(tenantId: string): AsyncGenerator<Record<string, unknown>>;
  /** a stable pseudonym for an identifier (email, phone) within a tenant */
  pseudonym(tenantId: string, identifier: string): string;
}

export function createAuditLog(deps: { repository: AuditRepository; secret: string; logger: Logger }): AuditLog {
  return {
    async record(event) {
      try {
        await deps.repository.append(event);
      } catch (err) {
        // An audit write must not turn a sign-in into a 500; it is logged loudly instead.
        deps.logger.error({ err: (err as Error).message, type: event.type, tenantId: event.tenantId }, 'audit write failed');
      }
    },
    verify: (tenantId) => deps.repository.verify(tenantId),
    export: (tenantId) => deps.repository.export(tenantId),
    pseudonym(tenantId, identifier) {
      return `id:${createHmac('sha256', deps.secret).update(`${tenantId}\n${identifier}`).digest('base64url').slice(0, 22)}`;
    },
  };
}
