// Records, for each provider session, where and how it was signed in to and when it was last used (issue #6),
// as a step after each tenant's provider answered (provider-answers.ts): after a sign-in (the `resume` route that finished an
// interaction), after an SSO authorization, and after a refresh (the refresh token names its session).
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from 'pino';
import type { SessionActivityRepository } from '../db/session-activity.repository.js';
import { loginTransactionGrantType } from './login-transaction-grant.js';

const touchEveryMs = 60_000;
/** how many sessions' last writes a provider remembers (the oldest is forgotten first) */
const rememberedSessions = 10_000;

/**
 * Each session's `last active` time as this process last saw it in the database. While it is less than
 * touchEveryMs old the conditional UPDATE could not match, so it is not sent: a refresh makes no statement for its
 * session (README "Sessions"). Every UPDATE sent reads the time back, so a write by another process counts too.
 */
export function createTouchMemo(everyMs = touchEveryMs, capacity = rememberedSessions) {
  const lastActive = new Map<string, number>();
  return {
    due: (uid: string, now: number) => {
      const at = lastActive.get(uid);
      return at === undefined || now - at >= everyMs;
    },
    saw(uid: string, at: number) {
      lastActive.delete(uid);
      lastActive.set(uid, at);
      if (lastActive.size > capacity) lastActive.delete(lastActive.keys().next().value!);
    },
  };
}

/** describes or touches the request's session once the provider answered: a step of provider-answers.ts, a promise only when there is work */
export function sessionTracking(deps: { tenantId: string; repository: SessionActivityRepository; logger: Logger }): (ctx: KoaContextWithOIDC) => Promise<void> | undefined {
  const { tenantId, repository } = deps;
  const memo = createTouchMemo();
  async function touch(uid: string) {
    const now = new Date();
    if (!memo.due(uid, now.getTime())) return;
    // a session without a description (none was written for it) is not asked about again for touchEveryMs either
    const lastActive = await repository.touched(tenantId, uid, touchEveryMs, now);
    memo.saw(uid, (lastActive ?? now).getTime());
  }

  /** the session-describing work this answer calls for, if any */
  function work(ctx: KoaContextWithOIDC): (() => Promise<void>) | null {
    const { oidc } = ctx;
    if (!oidc || ctx.status >= 400) return null;
    const { session } = oidc;
    const accountId = session?.accountId;
    if (oidc.route === 'resume' && session && accountId && oidc.result?.login) {
      return () => repository.signedIn(tenantId, session.uid, {
        accountId,
        ip: ctx.ip || null,
        userAgent: ctx.get('user-agent').slice(0, 512) || null,
        amr: (session.amr as string[] | undefined) ?? [],
      });
    }
    if (oidc.route === 'authorization' && session && accountId) {
      const { uid } = session;
      return () => touch(uid);
    }
    if (oidc.route !== 'token') return null;
    const grantType = oidc.params?.grant_type;
    // a client_credentials token has no session: nothing to do (the token endpoint's hottest case)
    if (grantType === 'client_credentials') return null;
    if (grantType === loginTransactionGrantType) {
      // a JSON front door's sign-in (login-transaction-grant.ts made its session): described like a hosted one
      const token = oidc.entities.RefreshToken as { sessionUid?: string; accountId?: string; amr?: string[] } | undefined;
      if (!token?.sessionUid || !token.accountId) return null;
      const { sessionUid, accountId } = token;
      return () => repository.signedIn(tenantId, sessionUid, { accountId, ip: ctx.ip || null, userAgent: ctx.get('user-agent').slice(0, 512) || null, amr: token.amr ?? [] });
    }
    const uid = (oidc.entities.RefreshToken as { sessionUid?: string } | undefined)?.sessionUid;
    return uid ? () => touch(uid) : null;
  }

  // describing a session must not fail the sign-in or the token request it follows
  const notRecorded = (err: unknown) => {
    deps.logger.warn({ err: (err as Error).message, tenantId }, 'session activity not recorded');
  };
  return (ctx) => {
    try {
      const run = work(ctx);
      return run ? run().catch(notRecorded) : undefined;
    } catch (err) {
      notRecorded(err);
      return undefined;
    }
  };
}
