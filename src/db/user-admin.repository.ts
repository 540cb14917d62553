// Queries an operator needs over a tenant's users (issue #6): search with keyset pagination, profile and
// metadata changes, disable, delete, and clearing second factors.
import { Prisma, type PrismaClient } from './generated/client.js';

export interface AdminUserRecord {
  readonly id: string;
  readonly email: string | null;
  readonly emailVerified: boolean;
  readonly phone: string | null;
  readonly phoneVerified: boolean;
  readonly hasPassword: boolean;
  readonly profile: Record<string, unknown>;
  readonly metadata: Record<string, unknown>;
  readonly disabled: boolean;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly lastLoginAt: Date | null;
}

export interface UserSearch { email?: string; phone?: string; name?: string; q?: string }

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const select = {
  id: true, email: true, emailVerified: true, phone: true, phoneVerified: true, passwordHash: true, profile: true,
  metadata: true, disabled: true, createdAt: true, updatedAt: true, lastLoginAt: true,
} as const;

type Row = { passwordHash: string | null } & Omit<AdminUserRecord, 'hasPassword'>;
const toRecord = ({ passwordHash, ...row }: Row): AdminUserRecord => ({ ...row, hasPassword: passwordHash !== null });
/** a LIKE pattern matching the text anywhere, with the text's own % _ \ taken literally */
const containing = (text: string | undefined) => (text === undefined ? null : `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);

export function createUserAdminRepository(prisma: PrismaClient) {
  return {
    async find(tenantId: string, id: string): Promise<AdminUserRecord | null> {
      if (!uuid.test(id)) return null;
      const row = await prisma.user.findFirst({ where: { tenantId, id }, select });
      return row ? toRecord(row as Row) : null;
    },
    /** users matching every given filter, oldest first, after the (createdAt, id) position `after` */
    async search(tenantId: string, filter: UserSearch, page: { limit: number; after?: { createdAt: Date; id: string } }): Promise<AdminUserRecord[]> {
      // only the filters given become conditions, so each can use its trigram index (migration user_search_trigram)
      const conditions: Prisma.Sql[] = [Prisma.sql`tenant_id = ${tenantId}::uuid`];
      const [email, phone, name, q] = [containing(filter.email), containing(filter.phone), containing(filter.name), containing(filter.q)];
      if (email !== null) conditions.push(Prisma.sql`email ILIKE ${email}`);
      if (phone !== null) conditions.push(Prisma.sql`phone LIKE ${phone}`);
      if (name !== null) conditions.push(Prisma.sql`profile->>'name' ILIKE ${name}`);
      if (q !== null) conditions.push(Prisma.sql`(email ILIKE ${q} OR phone LIKE ${q} OR profile->>'name' ILIKE ${q})`);
      // created_at is a UTC timestamp without zone (Prisma's DateTime): compare in UTC
      if (page.after) {
        conditions.push(Prisma.sql`(created_at, id) > ((${page.after.createdAt.toISOString()}::timestamptz AT TIME ZONE 'UTC'), ${page.after.id}::uuid)`);
      }
      const ids = await prisma.$queryRaw<{ id: string }[]>`
        SELECT id FROM users
        WHERE ${Prisma.join(conditions, ' AND ')}
        ORDER BY created_at, id
        LIMIT ${page.limit}`;
      if (!ids.length) return [];
      const rows = await prisma.user.findMany({ where: { id: { in: ids.map((r) => r.id) } }, select, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
      return rows.map((row) => toRecord(row as Row));
    },
    /** what names each of these users to a person: email, else phone, else name (the console's lists) */
    async labels(tenantId: string, ids: readonly string[]): Promise<Map<string, string>> {
      const wanted = [...new Set(ids)].filter((id) => uuid.test(id)).slice(0, 500);
      if (!wanted.length) return new Map();
      const rows = await prisma.user.findMany({ where: { tenantId, id: { in: wanted } }, select: { id: true, email: true, phone: true, profile: true } });
      return new Map(rows.map((r) => {
        const name = (r.profile as Record<string, unknown> | null)?.name;
        return [r.id, r.email ?? r.phone ?? (typeof name === 'string' && name ? name : r.id)];
      }));
    },
    async update(tenantId: string, id: string, data: { profile?: object; metadata?: object; disabled?: boolean; email?: string | null; emailVerified?: boolean; phone?: string | null; phoneVerified?: boolean }): Promise<boolean> {
      return (await prisma.user.updateMany({ where: { tenantId, id }, data })).count === 1;
    },
    /** the user and, by cascade, identities, factors, passkeys, recovery codes, trusted devices, role assignments */
    async delete(tenantId: string, id: string): Promise<boolean> {
      if (!uuid.test(id)) return false;
      return prisma.$transaction(async (tx) => {
        await tx.sessionActivity.deleteMany({ where: { tenantId, accountId: id } });
        await tx.oidcModel.deleteMany({ where: { tenantId, accountId: id } });
        return (await tx.user.deleteMany({ where: { tenantId, id } })).count === 1;
      });
    },
    /** removes every second factor: authenticator apps, recovery codes, passkeys, remembered browsers */
    async resetMfa(tenantId: string, userId: string): Promise<{ totp: number; recoveryCodes: number; passkeys: number; trustedDevices: number }> {
      return prisma.$transaction(async (tx) => ({
        totp: (await tx.mfaFactor.deleteMany({ where: { tenantId, userId } })).count,
        recoveryCodes: (await tx.recoveryCode.deleteMany({ where: { tenantId, userId } })).count,
        passkeys: (await tx.passkey.deleteMany({ where: { tenantId, userId } })).count,
        trustedDevices: (await tx.trustedDevice.deleteMany({ where: { tenantId, userId } })).count,
      }));
    },
  };
}

export type UserAdminRepository = ReturnType<typeof createUserAdminRepository>;
