// Where and how each provider session was opened, and when it was last used (issue #6). The sessions
// themselves are oidc_models rows (model `Session`); this table only describes them.
import type { PrismaClient } from './generated/client.js';

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

export function createSessionActivityRepository(prisma: PrismaClient) {
  return {
    /** a sign-in into the session: first time creates the row, later ones (step-up, re-login) update it */
    async signedIn(tenantId: string, uid: string, row: { accountId: string; ip: string | null; userAgent: string | null; amr: string[] }): Promise<void> {
      const now = new Date();
      await prisma.sessionActivity.upsert({
        where: { tenantId_uid: { tenantId, uid } },
        create: { tenantId, uid, ...row, createdAt: now, lastActiveAt: now },
        update: { ...row, lastActiveAt: now },
      });
    },
    /** marks the session used, at most once per `everyMs` (one conditional UPDATE, no read) */
    async touched(tenantId: string, uid: string, everyMs: number): Promise<void> {
      const now = new Date();
      await prisma.sessionActivity.updateMany({
        where: { tenantId, uid, lastActiveAt: { lt: new Date(now.getTime() - everyMs) } },
        data: { lastActiveAt: now },
      });
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
