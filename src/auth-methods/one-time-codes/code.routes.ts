// The "enter your code" step shared by every code-based flow: check the code, resend one, or go back.
import Router from '@koa/router';
import type { Context } from 'koa';
import type { AuthMethodDeps } from '../auth-method-deps.js';
import { maskDestination, sendingRequest } from '../auth-method-deps.js';
import { requestInfo } from '../../http/request-info.js';
import type { ChallengeCompletion } from '../complete-challenge.js';
import { field, formBody, type Details } from '../../interactions/interaction-context.js';
import type { RateLimiter } from '../../store/rate-limiter.js';
import { checkCode } from './code-check.js';
import type { Challenge } from './one-time-codes.js';

export function codeRoutes(deps: AuthMethodDeps & { limiter: RateLimiter }, completion: ChallengeCompletion) {
  const { ix, codes, challenges, audit, now } = deps;
  const router = new Router({ prefix: '/t/:slug/interaction/:uid/code/:challenge' });

  /** this browser's interaction and a live challenge that belongs to it */
  async function load(ctx: Context): Promise<{ details: Details; challenge: Challenge } | null> {
    const details = await ix.load(ctx);
    if (!details) return null;
    const challenge = await codes.get(ix.tenantOf(ctx).id, String(ctx.params.challenge));
    if (!challenge || challenge.interactionUid !== details.uid) return null;
    return { details, challenge };
  }

  async function render(ctx: Context, details: Details, challenge: Challenge, options: { error?: string | null; notice?: string | null; status?: number } = {}) {
    const { signIn } = ix.tenantOf(ctx).settings;
    const path = `${ix.base(ctx)}/code/${challenge.id}`;
    await ix.render(ctx, 'code', {
      title: 'code.title',
      status: options.status,
      data: {
        action: path, resendAction: `${path}/resend`, csrfToken: ix.csrfToken(details),
        destination: maskDestination(challenge.identifier), channel: challenge.channel, purpose: challenge.purpose,
        codeLength: signIn.code.length, error: options.error ?? null, notice: options.notice ?? null,
        resendAvailableIn: Math.max(0, Math.ceil((challenge.sentAt + signIn.code.resendCooldownSeconds * 1000 - now()) / 1000)),
        backUrl: ix.base(ctx),
      },
    });
  }

  router.get('/', async (ctx) => {
    const loaded = await load(ctx);
    if (!loaded) return ix.expired(ctx);
    await render(ctx, loaded.details, loaded.challenge, { notice: ctx.query.sent ? ix.t(ctx, 'code.resent') : null });
  });

  router.post('/', formBody, async (ctx) => {
    const loaded = await load(ctx);
    if (!loaded) return ix.expired(ctx);
    const { details, challenge } = loaded;
    ix.verifyCsrf(ctx, details);
    // the same limits as every other door that takes codes: per code, and across codes per identifier and per IP,
    // each reserved before the code is judged (code-check.ts)
    const result = await checkCode(deps, { tenant: ix.tenantOf(ctx), challenge, typed: field(ctx, 'code'), request: requestInfo(ctx), verifiedAudited: true });
    if (result.status === 'ok') return completion.complete(ctx, details, result.challenge);
    if (result.status === 'wrong') {
      const error = result.attemptsLeft === null ? ix.t(ctx, 'code.enterCode') : ix.t(ctx, 'code.wrong', { count: result.attemptsLeft });
      return render(ctx, details, challenge, { error, status: 400 });
    }
    if (result.status === 'locked') return render(ctx, details, challenge, { error: ix.t(ctx, 'code.tooManyWrong'), status: 400 });
    if (result.status === 'rate_limited') {
      ctx.set('Retry-After', String(result.retryAfterSeconds));
      return render(ctx, details, challenge, { error: ix.t(ctx, 'mfa.tooManyWrong', { count: Math.ceil(result.retryAfterSeconds / 60) }), status: 429 });
    }
    return render(ctx, details, challenge, { error: ix.t(ctx, 'code.expired'), status: 400 });
  });

  router.post('/resend', formBody, async (ctx) => {
    const loaded = await load(ctx);
    if (!loaded) return ix.expired(ctx);
    const { details, challenge } = loaded;
    ix.verifyCsrf(ctx, details);
    const tenant = ix.tenantOf(ctx);
    // The new email carries a new link wherever the first one had one: a magic link, or the reset link (whose
    // challenge is not marked `link`; without this its resend went out with the code only, the old link dead).
    const linkPath = challenge.purpose === 'reset' ? '/reset-link/' : challenge.data.link ? '/magic/' : null;
    const linkBase = linkPath ? `${deps.publicOrigin}${ix.base(ctx)}${linkPath}` : null;
    const result = await challenges.resend(tenant, challenge, linkBase, sendingRequest(ctx), audit.pseudonym(tenant.id, challenge.identifier));
    if (!result.ok && 'gone' in result) return ix.expired(ctx);
    if (!result.ok) {
      ctx.set('Retry-After', String(result.retryAfterSeconds));
      return render(ctx, details, challenge, { error: ix.t(ctx, 'code.waitToResend', { count: result.retryAfterSeconds }), status: 429 });
    }
    ix.seeOther(ctx, `/code/${challenge.id}?sent=1`);
  });

  return router;
}
