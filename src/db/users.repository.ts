import type { PrismaClient } from './generated/client.js';
import { epochMs, type Sql } from './database.js';
import { isUniqueViolation } from './prisma-errors.js';
import { AppError } from '../errors/app-error.js';

export interface UserRecord {
  readonly id: string;
  readonly email: string | null;
  readonly emailVerified: boolean;
  /** E.164 */
  readonly phone: string | null;
  readonly phoneVerified: boolean;
  readonly passwordHash: string | null;
  /** standard claims (OIDC Core 5.1) other than sub, email and phone */
  readonly profile: Record<string, unknown>;
  readonly disabled: boolean;
  readonly updatedAt: Date;
}

export interface NewUser {
  email: string | null;
  emailVerified: boolean;
  phone: string | null;
  phoneVerified: boolean;
  passwordHash: string | null;
  profile: object;
}

const select = {
  id: true, email: true, emailVerified: true, phone: true, phoneVerified: true, passwordHash: true, profile: true, disabled: true, updatedAt: true,
} as const;
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function takenField(error: unknown): 'phone' | 'email' {
  const target = (error as { meta?: { target?: unknown } }).meta?.target;
  return JSON.stringify(target ?? '').includes('phone') ? 'phone' : 'email';
}

// findById and findByEmail are plain SQL: every refresh and every sign-in reads the user (oidc-models.repository.ts);
// recordLogin and rememberLocale too: every sign-in writes them
/** the columns of a UserRecord, from `users` under `alias`; userOf() turns the row into one */
export const userColumns = (alias: string) => `${alias}.id, ${alias}.email, ${alias}.email_verified AS "emailVerified", ${alias}.phone,
  ${alias}.phone_verified AS "phoneVerified", ${alias}.password_hash AS "passwordHash", ${alias}.profile, ${alias}.disabled,
  ${epochMs(`${alias}.updated_at`)} AS "updatedAt"`;
export type UserRow = Omit<UserRecord, 'updatedAt'> & { updatedAt: number };
export const userOf = (row: UserRow | undefined): UserRecord | null => (row ? { ...row, updatedAt: new Date(row.updatedAt) } : null);
const columns = userColumns('users');

export function createUsersRepository(prisma: PrismaClient, sql: Sql) {
  return {
    async findById(tenantId: string, id: string): Promise<UserRecord | null> {
      if (!uuid.test(id) || !uuid.test(tenantId)) return null;
      const [user] = await sql.query<UserRow>(`SELECT ${columns} FROM users WHERE id = $1::uuid AND tenant_id = $2::uuid`, [id, tenantId]);
      return userOf(user);
    },
    async findByEmail(tenantId: string, email: string): Promise<UserRecord | null> {
      if (!uuid.test(tenantId)) return null;
      const [user] = await sql.query<UserRow>(`SELECT ${columns} FROM users WHERE tenant_id = $1::uuid AND email = $2`, [tenantId, email]);
      return userOf(user);
    },
    async findByPhone(tenantId: string, phone: string): Promise<UserRecord | null> {
      return (await prisma.user.findUnique({ where: { tenantId_phone: { tenantId, phone } }, select })) as UserRecord | null;
    },
    /** @throws AppError('user.email_taken' | 'user.phone_taken') */
    async create(tenantId: string, input: NewUser): Promise<UserRecord> {
      try {
        return (await prisma.user.create({ data: { tenantId, ...input }, select })) as UserRecord;
      } catch (error) {
        if (isUniqueViolation(error)) throw new AppError(takenField(error) === 'phone' ? 'user.phone_taken' : 'user.email_taken');
        throw error;
      }
    },
    /** the language the user's pages were last shown in (issue #14), as stored; null when never recorded */
    async localeOf(tenantId: string, id: string): Promise<string | null> {
      if (!uuid.test(id)) return null;
      return (await prisma.user.findFirst({ where: { id, tenantId }, select: { locale: true } }))?.locale ?? null;
    },
    /** records the language of the user's sign-in or sign-up pages; a write only when it changed */
    async rememberLocale(tenantId: string, id: string, locale: string): Promise<void> {
      if (!uuid.test(id) || !uuid.test(tenantId)) return;
      // timestamp(3) columns hold UTC (oidc-models.repository.ts); updated_at moves as Prisma's @updatedAt moved it
      await sql.query(
        `UPDATE users SET locale = $3, updated_at = $4::timestamp WHERE id = $1::uuid AND tenant_id = $2::uuid AND (locale IS NULL OR locale <> $3)`,
        [id, tenantId, locale, new Date().toISOString()],
      );
    },
    /** the sign-in's time (and a rehashed password); plain SQL, as every sign-in records one. @throws when no such user */
    async recordLogin(id: string, newPasswordHash?: string): Promise<void> {
      const now = new Date().toISOString();
      const rows = !uuid.test(id) ? [] : await sql.query(
        `UPDATE users SET last_login_at = $2::timestamp, updated_at = $2::timestamp, password_hash = coalesce($3, password_hash) WHERE id = $1::uuid RETURNING id`,
        [id, now, newPasswordHash ?? null],
      );
      if (rows.length !== 1) throw new Error(`recordLogin: no user ${id}`);
    },
    async update(id: string, data: Partial<Pick<NewUser, 'emailVerified' | 'phoneVerified' | 'passwordHash'>>): Promise<UserRecord> {
      return (await prisma.user.update({ where: { id }, data, select })) as UserRecord;
    },
  };
}

export type UsersRepository = ReturnType<typeof createUsersRepository>;
