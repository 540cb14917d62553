// A refresh either completes in every store or leaves the old token usable. oidc-provider rotates in steps
// (lib/actions/grants/refresh_token.js): consume the old refresh token (PostgreSQL), save its successor
// (PostgreSQL), then save the access token (Redis for opaque tokens). When a later step fails — Redis down, the
// database gone mid-request — the answer is an error and the client never sees the successor, yet the old token
// is already consumed: presenting it again would be a replay and revoke the grant, logging the user out for good.
// So when a rotation this request made ends in a server error, the consumption is undone and the unsent successor
// destroyed. (A rotation another request made is never touched: only this request's RotatedRefreshToken entity.)
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from 'pino';

interface RollbackAdapter {
  unconsume?(id: string): Promise<boolean>;
  destroy(id: string): Promise<void>;
}

/**
 * Undoes this request's rotation when its answer is a server error (a step of provider-answers.ts, run even when the
 * provider threw); nothing to wait for otherwise.
 */
export function rollBackFailedRotation(ctx: KoaContextWithOIDC, logger: Logger): Promise<void> | undefined {
  return ctx.status >= 500 ? rollBack(ctx, logger) : undefined;
}

async function rollBack(ctx: KoaContextWithOIDC, logger: Logger): Promise<void> {
  const entities = ctx.oidc?.entities as { RotatedRefreshToken?: { jti: string }; RefreshToken?: { jti: string } } | undefined;
  const rotated = entities?.RotatedRefreshToken;
  if (!rotated) return;
  const adapter = (ctx.oidc.provider.RefreshToken as unknown as { adapter: RollbackAdapter }).adapter;
  try {
    await adapter.unconsume?.(rotated.jti);
    const successor = entities.RefreshToken;
    if (successor && successor.jti !== rotated.jti) await adapter.destroy(successor.jti);
  } catch (err) {
    // the database itself is failing: the client may retry inside the reuse interval (refresh-token-reuse.ts)
    logger.warn({ err: (err as Error).message, tenant: ctx.oidc.provider.issuer }, 'could not undo a failed refresh-token rotation');
  }
}
