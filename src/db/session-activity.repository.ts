// Where and how each provider session was opened, and when it was last used (issue #6). The sessions
// themselves are oidc_models rows (model `Session`); this table only describes them.
import type { PrismaClient } from './generated/client.js';
import { epochMs, type Sql } from './database.js';

export interface SessionActivityRecord {
  readonly uid: string;
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly amr: string[];
  readonly createdAt: Date;
  readonly lastActiveAt: Date;
}

export interface StoredSession {
  readonly uid: string;
  readonly payload: Record<string, unknown>;
  readonly expiresAt: Date | null;
}

const live = () => ({ OR: [{ expiresAt: null }, { expiresAt: { gt: new Date() } }] });

export function createSessionActivityRepository(prisma: PrismaClient, sql: Sql) {
  return {
    /** a sign-in into the session: first time creates the row, later ones (step-up, re-login) update it */
    async signedIn(tenantId: string, uid: string, row: { accountId: string; ip: string | null; userAgent: string | null; amr: string[] }): Promise<void> {
      // plain SQL, as every sign-in writes it; timestamp(3) columns hold UTC (oidc-models.repository.ts); amr goes as
      // JSON, which both drivers (pg, PGlite) pass alike
      await sql.query(
        `INSERT INTO session_activity (tenant_id, uid, account_id, ip, user_agent, amr, created_at, last_active_at)
         VALUES ($1::uuid, $2, $3, $4, $5, ARRAY(SELECT a FROM jsonb_array_elements_text($6::jsonb) WITH ORDINALITY AS e(a, n) ORDER BY n), $7::timestamp, $7::timestamp)
         ON CONFLICT (tenant_id, uid) DO UPDATE SET account_id = EXCLUDED.account_id, ip = EXCLUDED.ip,
           user_agent = EXCLUDED.user_agent, amr = EXCLUDED.amr, last_active_at = EXCLUDED.last_active_at`,
        [tenantId, uid, row.accountId, row.ip, row.userAgent, JSON.stringify(row.amr), new Date().toISOString()],
      );
    },
    /**
     * Marks the session used, at most once per `everyMs`: one conditional UPDATE, plain SQL, as it follows every
     * refresh. Returns the row's `last active` time after it (this `now`, or a write less than `everyMs` old), or
     * null when the session has no description.
     */
    async touched(tenantId: string, uid: string, everyMs: number, now = new Date()): Promise<Date | null> {
      // timestamp(3) columns hold UTC (oidc-models.repository.ts)
      const [row] = await sql.query<{ written: number | null; current: number | null }>(
        `WITH current AS (SELECT last_active_at FROM session_activity WHERE tenant_id = $1::uuid AND uid = $2),
           written AS (UPDATE session_activity SET last_active_at = $3::timestamp
             WHERE tenant_id = $1::uuid AND uid = $2 AND last_active_at < $4::timestamp RETURNING last_active_at)
         SELECT (SELECT ${epochMs('last_active_at')} FROM written) AS written, (SELECT ${epochMs('last_active_at')} FROM current) AS current`,
        [tenantId, uid, now.toISOString(), new Date(now.getTime() - everyMs).toISOString()],
      );
      const at = row?.written ?? row?.current ?? null;
      return at === null ? null : new Date(at);
    },
    async forSessions(tenantId: string, uids: string[]): Promise<SessionActivityRecord[]> {
      if (!uids.length) return [];
      return prisma.sessionActivity.findMany({ where: { tenantId, uid: { in: uids } }, select: { uid: true, ip: true, userAgent: true, amr: true, createdAt: true, lastActiveAt: true } });
    },
    async forget(tenantId: string, uids: string[]): Promise<void> {
      await prisma.sessionActivity.deleteMany({ where: { tenantId, uid: { in: uids } } });
    },
    /** a user's live provider sessions, newest first */
    async liveSessions(tenantId: string, accountId: string): Promise<StoredSession[]> {
      const rows = await prisma.oidcModel.findMany({
        where: { tenantId, model: 'Session', accountId, uid: { not: null }, ...live() },
        select: { uid: true, payload: true, expiresAt: true },
      });
      return rows as StoredSession[];
    },
    /** descriptions whose session is gone (expired, signed out, revoked) */
    async deleteOrphans(): Promise<number> {
      return prisma.$executeRaw`DELETE FROM session_activity a WHERE NOT EXISTS (
        SELECT 1 FROM oidc_models m WHERE m.tenant_id = a.tenant_id AND m.model = 'Session' AND m.uid = a.uid)`;
    },
  };
}

export type SessionActivityRepository = ReturnType<typeof createSessionActivityRepository>;
