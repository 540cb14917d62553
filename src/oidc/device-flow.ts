// Device authorization grant (RFC 8628) of a tenant that switched it on (`grants.deviceFlow`, issue #17).
// oidc-provider runs the protocol and the verification page's CSRF (an `xsrf` field bound to its session cookie);
// Tessera brands the three pages and limits how fast one address may try user codes (RFC 8628 §5.1): with
// 8 base-20 characters (20^8 ≈ 2.6·10^10 codes) and a few live codes, guessing one at the limit takes centuries.
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import type { Middleware } from 'koa';
import type { GrantSettings } from '../tenants/grant-settings.js';
import type { RateLimiter, RateRule } from '../store/rate-limiter.js';

export interface DevicePages {
  userCodeInput(ctx: KoaContextWithOIDC, form: string, error: 'wrong-code' | 'aborted' | 'failed' | null): Promise<void>;
  userCodeConfirm(ctx: KoaContextWithOIDC, form: string, clientName: string, userCode: string): Promise<void>;
  deviceSuccess(ctx: KoaContextWithOIDC, clientName: string): Promise<void>;
  tooManyAttempts(ctx: KoaContextWithOIDC, retryAfterSeconds: number): Promise<void>;
}

/** user codes one address may submit to one tenant's verification page (entering and confirming are two) */
export const userCodeRule: RateRule = { limit: 10, windowSeconds: 600 };

const nameOf = (client: { clientName?: string; clientId: string } | undefined) => client?.clientName ?? client?.clientId ?? 'the device';

/** `features.deviceFlow` of a tenant's provider */
export function deviceFlowFeature(settings: GrantSettings, pages: DevicePages): NonNullable<Configuration['features']>['deviceFlow'] {
  return {
    enabled: settings.deviceFlow,
    charset: 'base-20',
    mask: '****-****',
    async userCodeInputSource(ctx, form, _out, err) {
      const error = !err ? null : (err as { userCode?: string }).userCode || err.name === 'NoCodeError' ? 'wrong-code' : err.name === 'AbortedError' ? 'aborted' : 'failed';
      await pages.userCodeInput(ctx, form, error);
    },
    async userCodeConfirmSource(ctx, form, client, _deviceInfo, userCode) {
      await pages.userCodeConfirm(ctx, form, nameOf(client), userCode);
    },
    async successSource(ctx) {
      await pages.deviceSuccess(ctx, nameOf(ctx.oidc.client));
    },
  };
}

/**
 * Counts every submission of the verification page per tenant and address; past the limit, a branded 429.
 * A submission without a live session (no cookie: a cross-site post, or the session expired) makes oidc-provider
 * 9 throw after it rendered its answer: its error handler writes a fresh xsrf into a session that is never saved
 * (`persist can only be called on previously persisted Sessions`). The resume route (`GET /device/:uid`) does the same
 * for any link or guessed path opened without the resume cookie. Such a browser is sent to the page afresh (303),
 * where it gets a session and a form, instead of a 500.
 */
export function deviceVerificationGuard(deps: { limiter: RateLimiter; tenantId: string; issuer: string; pages: DevicePages }): Middleware {
  return async (ctx, next) => {
    const submission = ctx.method === 'POST' && /\/device\/?$/.test(ctx.path);
    const resume = (ctx.method === 'GET' || ctx.method === 'HEAD') && /\/device\/[^/]+\/?$/.test(ctx.path);
    if (!submission && !resume) return next();
    if (submission) {
      const decision = await deps.limiter.hit(`device-user-code:${deps.tenantId}`, ctx.ip, userCodeRule);
      if (!decision.allowed) {
        ctx.set('retry-after', String(decision.retryAfterSeconds));
        await deps.pages.tooManyAttempts(ctx as unknown as KoaContextWithOIDC, decision.retryAfterSeconds);
        ctx.status = 429;
        return;
      }
    }
    try {
      await next();
    } catch (error) {
      if (!(error instanceof TypeError && /previously persisted Sessions/.test(error.message))) throw error;
      ctx.status = 303;
      ctx.redirect(`${deps.issuer}/device`);
    }
  };
}
