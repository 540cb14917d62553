// Rows for oidc-provider's durable models. The adapter in src/oidc decides what goes in (hashed ids, no secrets).
// The statements of a token request (find, consume, save) are plain SQL (database.ts `Sql`): a refresh-token rotation
// makes four of them, and through Prisma each cost more CPU than PostgreSQL spends answering it (docs/benchmarks.md).
// Timestamps are `timestamp(3)` columns holding UTC, as Prisma writes them: they go in as ISO strings (the cast ignores
// the zone, the digits are UTC) and come out as epoch milliseconds (`epochMs`), whatever the process's or the
// session's time zone (pg and PGlite would each read a bare timestamp in a zone of their own).
import type { PrismaClient } from './generated/client.js';
import { epochMs, type Sql } from './database.js';
import { userColumns, userOf, type UserRecord, type UserRow } from './users.repository.js';

const uuidPattern = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';

export interface StoredModel {
  readonly payload: Record<string, unknown>;
  readonly consumedAt: Date | null;
}

export interface ModelKey { tenantId: string; model: string; id: string }

interface Row { payload: Record<string, unknown>; consumed_at: number | null }

const dateOf = (ms: number | null) => (ms === null ? null : new Date(ms));
const columns = `payload, ${epochMs('consumed_at')} AS consumed_at`;
const live = (at: string) => `(expires_at IS NULL OR expires_at > ${at}::timestamp)`;
const stored = (row: Row | undefined): StoredModel | null => (row ? { payload: row.payload, consumedAt: dateOf(row.consumed_at) } : null);
const iso = (date: Date) => date.toISOString();

export interface NewRow { payload: object; expiresAt: Date | null; grantId?: string; accountId?: string; uid?: string }
const insertColumns = 'tenant_id, model, id, payload, expires_at, grant_id, account_id, uid';
const insertValues = '$1::uuid, $2, $3, $4::jsonb, $5::timestamp, $6, $7, $8';
const onConflict = `ON CONFLICT (tenant_id, model, id) DO UPDATE SET payload = EXCLUDED.payload, expires_at = EXCLUDED.expires_at,
  grant_id = EXCLUDED.grant_id, account_id = EXCLUDED.account_id, uid = EXCLUDED.uid`;
const valuesOf = (key: ModelKey, row: NewRow) => [
  key.tenantId, key.model, key.id, JSON.stringify(row.payload), row.expiresAt ? iso(row.expiresAt) : null, row.grantId ?? null, row.accountId ?? null, row.uid ?? null,
];

export function createOidcModelsRepository(prisma: PrismaClient, sql: Sql) {
  const count = async (text: string, values: unknown[]) => (await sql.query(`${text} RETURNING 1`, values)).length;

  return {
    async upsert(key: ModelKey, row: NewRow): Promise<void> {
      await sql.query(`INSERT INTO oidc_models (${insertColumns}) VALUES (${insertValues}) ${onConflict}`, valuesOf(key, row));
    },
    /**
     * consume(`consumed`) and upsert(`key`, `row`) in one statement, so both happen or neither (a rotation: the old
     * refresh token and its successor). False, with nothing written, when `consumed` was already consumed.
     */
    async consumeAndUpsert(consumed: ModelKey, key: ModelKey, row: NewRow): Promise<boolean> {
      const rows = await sql.query(
        `WITH consumed AS (
           UPDATE oidc_models SET consumed_at = $9::timestamp
           WHERE tenant_id = $10::uuid AND model = $11 AND id = $12 AND consumed_at IS NULL RETURNING 1
         )
         INSERT INTO oidc_models (${insertColumns}) SELECT ${insertValues} WHERE EXISTS (SELECT 1 FROM consumed) ${onConflict} RETURNING 1`,
        [...valuesOf(key, row), iso(new Date()), consumed.tenantId, consumed.model, consumed.id],
      );
      return rows.length === 1;
    },
    async find(key: ModelKey): Promise<StoredModel | null> {
      const [row] = await sql.query<Row>(
        `SELECT ${columns} FROM oidc_models WHERE tenant_id = $1::uuid AND model = $2 AND id = $3 AND ${live('$4')}`,
        [key.tenantId, key.model, key.id, iso(new Date())],
      );
      return stored(row);
    },
    /**
     * A refresh token and, in the same round trip, what a refresh reads right after it: the live `Grant` row of its
     * grant (a Grant row carries its own id as grant id) and its user, from the tenant's user realm (an environment's
     * users are its parent tenant's: user-realm.ts). `user` is null when the token names no user or an unknown one.
     */
    async findRefreshToken(key: ModelKey): Promise<{ row: StoredModel; grant: StoredModel | null; user: UserRecord | null } | null> {
      const [row] = await sql.query<Row & UserRow & { grant_payload: Record<string, unknown> | null; grant_consumed_at: number | null; grant_found: boolean | null; user_found: boolean | null }>(
        `SELECT m.payload, ${epochMs('m.consumed_at')} AS consumed_at,
           g.payload AS grant_payload, ${epochMs('g.consumed_at')} AS grant_consumed_at, g.found AS grant_found, u.*
         FROM oidc_models m
         LEFT JOIN LATERAL (
           SELECT payload, consumed_at, true AS found FROM oidc_models
           WHERE tenant_id = m.tenant_id AND model = 'Grant' AND grant_id = m.grant_id AND ${live('$4')} LIMIT 1
         ) g ON m.grant_id IS NOT NULL
         LEFT JOIN LATERAL (
           SELECT ${userColumns('x')}, true AS user_found FROM users x
           WHERE x.id = CASE WHEN m.account_id ~* '${uuidPattern}' THEN m.account_id::uuid END
             AND x.tenant_id = (SELECT coalesce(t.parent_id, t.id) FROM tenants t WHERE t.id = m.tenant_id)
         ) u ON m.account_id IS NOT NULL
         WHERE m.tenant_id = $1::uuid AND m.model = $2 AND m.id = $3 AND (m.expires_at IS NULL OR m.expires_at > $4::timestamp)`,
        [key.tenantId, key.model, key.id, iso(new Date())],
      );
      if (!row) return null;
      const { user_found: userFound, id, email, emailVerified, phone, phoneVerified, passwordHash, profile, disabled, updatedAt } = row;
      return {
        row: stored(row)!,
        grant: row.grant_found ? { payload: row.grant_payload!, consumedAt: dateOf(row.grant_consumed_at) } : null,
        user: userFound ? userOf({ id, email, emailVerified, phone, phoneVerified, passwordHash, profile, disabled, updatedAt }) : null,
      };
    },
    async findByUid(tenantId: string, model: string, uid: string): Promise<StoredModel | null> {
      const [row] = await sql.query<Row>(
        `SELECT ${columns} FROM oidc_models WHERE tenant_id = $1::uuid AND model = $2 AND uid = $3 AND ${live('$4')} LIMIT 1`,
        [tenantId, model, uid, iso(new Date())],
      );
      return stored(row);
    },
    /** Compare-and-set: true only for the one caller that marked the row consumed. */
    async consume(key: ModelKey): Promise<boolean> {
      return (await count(
        'UPDATE oidc_models SET consumed_at = $4::timestamp WHERE tenant_id = $1::uuid AND model = $2 AND id = $3 AND consumed_at IS NULL',
        [key.tenantId, key.model, key.id, iso(new Date())],
      )) === 1;
    },
    /** Compare-and-set on a consumption: true only for the one caller that replaced exactly `consumedAt` (an orphaned rotation taken over). */
    async retake(key: ModelKey, consumedAt: Date): Promise<boolean> {
      return (await count(
        'UPDATE oidc_models SET consumed_at = $5::timestamp WHERE tenant_id = $1::uuid AND model = $2 AND id = $3 AND consumed_at = $4::timestamp',
        [key.tenantId, key.model, key.id, iso(consumedAt), iso(new Date())],
      )) === 1;
    },
    /** undoes consume(): for a rotation whose response failed before it reached the client */
    async unconsume(key: ModelKey): Promise<boolean> {
      return (await count(
        'UPDATE oidc_models SET consumed_at = NULL WHERE tenant_id = $1::uuid AND model = $2 AND id = $3 AND consumed_at IS NOT NULL',
        [key.tenantId, key.model, key.id],
      )) === 1;
    },
    async destroy(key: ModelKey): Promise<void> {
      await sql.query('DELETE FROM oidc_models WHERE tenant_id = $1::uuid AND model = $2 AND id = $3', [key.tenantId, key.model, key.id]);
    },
    async revokeByGrantId(tenantId: string, model: string, grantId: string): Promise<void> {
      await sql.query('DELETE FROM oidc_models WHERE tenant_id = $1::uuid AND model = $2 AND grant_id = $3', [tenantId, model, grantId]);
    },
    /** grant ids of a user's durable rows (sessions, grants, refresh tokens) */
    async grantIdsOfAccount(tenantId: string, accountId: string): Promise<string[]> {
      const rows = await prisma.oidcModel.findMany({ where: { tenantId, accountId, grantId: { not: null } }, select: { grantId: true }, distinct: ['grantId'] });
      return rows.map((row) => row.grantId!);
    },
    /** deletes every durable row of a user: sessions, grants, refresh tokens */
    async deleteAccountRows(tenantId: string, accountId: string): Promise<number> {
      const { count: deleted } = await prisma.oidcModel.deleteMany({ where: { tenantId, accountId } });
      return deleted;
    },
    /** Deletes rows past their expiry so the table stays small; returns how many went. */
    async deleteExpired(now = new Date()): Promise<number> {
      const { count: deleted } = await prisma.oidcModel.deleteMany({ where: { expiresAt: { lte: now } } });
      return deleted;
    },
  };
}

export type OidcModelsRepository = ReturnType<typeof createOidcModelsRepository>;
