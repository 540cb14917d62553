// Records, for each provider session, where and how it was signed in to and when it was last used (issue #6),
// as a middleware of each tenant's provider: after a sign-in (the `resume` route that finished an
// interaction), after an SSO authorization, and after a refresh (the refresh token names its session).
import type Provider from 'oidc-provider';
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

export function trackSessions(provider: Provider, deps: { tenantId: string; repository: SessionActivityRepository; logger: Logger }): void {
  const { tenantId, repository } = deps;
  const memo = createTouchMemo();
  async function touch(uid: string) {
    const now = new Date();
    if (!memo.due(uid, now.getTime())) return;
    // a session without a description (none was written for it) is not asked about again for touchEveryMs either
    const lastActive = await repository.touched(tenantId, uid, touchEveryMs, now);
    memo.saw(uid, (lastActive ?? now).getTime());
  }
  provider.use(async (ctx, next) => {
    await next();
    const oidc = (ctx as KoaContextWithOIDC).oidc;
    if (!oidc || ctx.status >= 400) return;
    try {
      if (oidc.route === 'resume' && oidc.session?.accountId && oidc.result?.login) {
        await repository.signedIn(tenantId, oidc.session.uid, {
          accountId: oidc.session.accountId,
          ip: ctx.ip || null,
          userAgent: ctx.get('user-agent').slice(0, 512) || null,
          amr: (oidc.session.amr as string[] | undefined) ?? [],
        });
      } else if (oidc.route === 'authorization' && oidc.session?.accountId) {
        await touch(oidc.session.uid);
      } else if (oidc.route === 'token' && oidc.params?.grant_type === loginTransactionGrantType) {
        // a JSON front door's sign-in (login-transaction-grant.ts made its session): described like a hosted one
        const token = oidc.entities.RefreshToken as { sessionUid?: string; accountId?: string; amr?: string[] } | undefined;
        if (token?.sessionUid && token.accountId) {
          await repository.signedIn(tenantId, token.sessionUid, { accountId: token.accountId, ip: ctx.ip || null, userAgent: ctx.get('user-agent').slice(0, 512) || null, amr: token.amr ?? [] });
        }
      } else if (oidc.route === 'token') {
        const uid = (oidc.entities.RefreshToken as { sessionUid?: string } | undefined)?.sessionUid;
        if (uid) await touch(uid);
      }
    } catch (err) {
      // describing a session must not fail the sign-in or the token request it follows
      deps.logger.warn({ err: (err as Error).message, tenantId }, 'session activity not recorded');
    }
  });
}
