// Records, for each provider session, where and how it was signed in to and when it was last used (issue #6),
// as a middleware of each tenant's provider: after a sign-in (the `resume` route that finished an
// interaction), after an SSO authorization, and after a refresh (the refresh token names its session).
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from 'pino';
import type { SessionActivityRepository } from '../db/session-activity.repository.js';
import { loginTransactionGrantType } from './login-transaction-grant.js';

const touchEveryMs = 60_000;

export function trackSessions(provider: Provider, deps: { tenantId: string; repository: SessionActivityRepository; logger: Logger }): void {
  const { tenantId, repository } = deps;
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
        await repository.touched(tenantId, oidc.session.uid, touchEveryMs);
      } else if (oidc.route === 'token' && oidc.params?.grant_type === loginTransactionGrantType) {
        // a JSON front door's sign-in (login-transaction-grant.ts made its session): described like a hosted one
        const token = oidc.entities.RefreshToken as { sessionUid?: string; accountId?: string; amr?: string[] } | undefined;
        if (token?.sessionUid && token.accountId) {
          await repository.signedIn(tenantId, token.sessionUid, { accountId: token.accountId, ip: ctx.ip || null, userAgent: ctx.get('user-agent').slice(0, 512) || null, amr: token.amr ?? [] });
        }
      } else if (oidc.route === 'token') {
        const uid = (oidc.entities.RefreshToken as { sessionUid?: string } | undefined)?.sessionUid;
        if (uid) await repository.touched(tenantId, uid, touchEveryMs);
      }
    } catch (err) {
      // describing a session must not fail the sign-in or the token request it follows
      deps.logger.warn({ err: (err as Error).message, tenantId }, 'session activity not recorded');
    }
  });
}
