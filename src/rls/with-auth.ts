// withAuth: run database work as the bearer of an access token, for PostgreSQL row-level security (issue #18 §3).
// The token is verified first (tessera/verify); then, inside one transaction, the verified claims are stored
// with set_config(..., is_local true) together with txid_current(), which the auth.* helpers of auth-schema.sql
// compare with the transaction they run in. So the claims end with the transaction — also on a connection that
// PgBouncer (transaction pooling) hands to another client next — and claims left by a mistaken session-level
// set_config are ignored. Works with a pg Pool (or Client) and with Prisma's interactive transactions.
import { TokenVerificationError, type AccessTokenClaims, type Verifier } from '../verify/verifier.js';

/** the statement that stores the claims; $1 is the claims as JSON text */
export const setClaimsSql = `select set_config('tessera.auth', jsonb_build_object('txid', txid_current()::text, 'claims', $1::jsonb)::text, true)`;

interface PgQueryable { query(text: string, values?: unknown[]): Promise<unknown> }
interface PgClient extends PgQueryable { release?(error?: Error | boolean): void }
interface PgPool { connect(): Promise<PgClient> }
interface PrismaLike {
  $transaction<T>(fn: (tx: PrismaTx) => Promise<T>, options?: unknown): Promise<T>;
}
interface PrismaTx { $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number> }

const isPrisma = (db: unknown): db is PrismaLike => typeof (db as PrismaLike).$transaction === 'function';
const isPool = (db: unknown): db is PgPool => typeof (db as PgPool).connect === 'function' && !('release' in (db as object)) && typeof (db as { totalCount?: unknown }).totalCount === 'number';

/** the claims as the database sees them: the token's own, with the lists Tessera puts in it */
function claimsJson(claims: AccessTokenClaims): string {
  const { scopes: _scopes, ...rest } = claims;
  return JSON.stringify(rest);
}

/**
 * Verifies `accessToken`, then runs `fn` in a transaction whose auth.* helpers see its claims, and commits.
 * `fn` gets the pg client (pg) or the transaction client (Prisma). A rejected `fn` rolls the transaction back.
 * @throws TokenVerificationError (invalid_token, temporarily_unavailable) before any database work
 */
export async function withAuth<T, Db>(
  db: Db,
  accessToken: string,
  fn: (tx: Db extends PrismaLike ? Parameters<Parameters<Db['$transaction']>[0]>[0] : PgClient, claims: AccessTokenClaims) => Promise<T>,
  options: RlsOptions,
): Promise<T> {
  const claims = await options.verifier.verify(accessToken);
  if (claims.development === true && options.allowDevelopmentTokens !== true) {
    throw new TokenVerificationError('invalid_token', 'development tokens are refused for row-level security (opt in with allowDevelopmentTokens)');
  }
  const json = claimsJson(claims);
  if (isPrisma(db)) {
    return db.$transaction(async (tx) => {
      await tx.$executeRawUnsafe(setClaimsSql, json);
      return fn(tx as never, claims);
    });
  }
  const pooled = isPool(db);
  const client: PgClient = pooled ? await (db as unknown as PgPool).connect() : (db as unknown as PgClient);
  let failure: Error | undefined;
  try {
    await client.query('begin');
    try {
      await client.query(setClaimsSql, [json]);
      const result = await fn(client as never, claims);
      await client.query('commit');
      return result;
    } catch (error) {
      await client.query('rollback').catch((rollbackError: Error) => {
        failure = rollbackError; // a connection that cannot roll back is not given back to the pool
      });
      throw error;
    }
  } finally {
    if (pooled) client.release?.(failure ?? false);
  }
}

export interface RlsOptions {
  readonly verifier: Verifier;
  /** a development token the verifier accepts runs with its claims only when this is true too (issue #19) */
  readonly allowDevelopmentTokens?: boolean;
}

/** Prisma `$extends` form: `prisma.$extends(tesseraRls({ verifier })).$withAuth(token, (tx) => tx.note.findMany())` */
export function tesseraRls(options: RlsOptions) {
  return {
    name: 'tessera-rls',
    client: {
      $withAuth<T>(this: PrismaLike, accessToken: string, fn: (tx: PrismaTx & Record<string, unknown>, claims: AccessTokenClaims) => Promise<T>): Promise<T> {
        return withAuth(this, accessToken, fn as never, options);
      },
    },
  };
}
