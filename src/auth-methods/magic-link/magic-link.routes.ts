// Magic links are bound to the browser that asked for them (its interaction cookie). Opened there, the link signs
// in. Opened anywhere else it signs in nobody: it marks the challenge, and the first browser — which refreshes its
// "check your email" page — asks "was this you?" before signing in. The code in the same email works too.
import Router from '@koa/router';
import type { Context } from 'koa';
import { formBody, type Details } from '../../interactions/interaction-context.js';
import type { AuthMethodDeps } from '../auth-method-deps.js';
import { deviceOf, maskDestination, requestInfo } from '../auth-method-deps.js';
import type { ChallengeCompletion } from '../complete-challenge.js';
import type { Challenge } from '../one-time-codes/one-time-codes.js';
import type { LoginPage } from '../login-page.js';

export function magicLinkRoutes(deps: AuthMethodDeps, completion: ChallengeCompletion, loginPage: LoginPage) {
  const { ix, codes, audit } = deps;
  const router = new Router({ prefix: '/t/:slug/interaction/:uid' });

  async function waiting(ctx: Context): Promise<{ details: Details; challenge: Challenge } | null> {
    const details = await ix.load(ctx);
    const challenge = details ? await codes.get(ix.tenantOf(ctx).id, String(ctx.params.challenge)) : null;
    if (!details || !challenge || challenge.interactionUid !== details.uid || !challenge.data.link) return null;
    return { details, challenge };
  }

  router.get('/magic/:token', async (ctx) => {
    const tenant = ix.tenantOf(ctx);
    const challenge = await codes.findByLink(tenant.id, String(ctx.params.token));
    if (!challenge || challenge.interactionUid !== ctx.params.uid) return ix.expired(ctx);
    const details = await ix.load(ctx);
    if (details) {
      if (!(await codes.consume(challenge))) return ix.expired(ctx);
      return completion.complete(ctx, details, challenge);
    }
    const device = deviceOf(ctx.get('User-Agent') || null);
    await codes.update(challenge, { ...challenge.data, openedElsewhere: { device } });
    await audit.record({ tenantId: tenant.id, type: 'magic_link.opened_elsewhere', subject: audit.pseudonym(tenant.id, challenge.identifier), ...requestInfo(ctx), outcome: 'failure', data: { device } });
    await ix.render(ctx, 'magic-link-elsewhere', { title: 'Finish on your other device', data: { device } });
  });

  router.get('/magic-sent/:challenge', async (ctx) => {
    const loaded = await waiting(ctx);
    if (!loaded) return ix.expired(ctx);
    const { details, challenge } = loaded;
    const elsewhere = (challenge.data.openedElsewhere as { device: string } | undefined) ?? null;
    const path = `${ix.base(ctx)}/magic-sent/${challenge.id}`;
    await ix.render(ctx, 'magic-link-sent', {
      title: 'Check your email',
      refreshSeconds: elsewhere ? undefined : 3,
      data: {
        destination: maskDestination(challenge.identifier), csrfToken: ix.csrfToken(details),
        codeAction: `${ix.base(ctx)}/code/${challenge.id}`, confirmAction: `${path}/confirm`, denyAction: `${path}/deny`,
        openedElsewhere: elsewhere, backUrl: ix.base(ctx), error: null,
      },
    });
  });

  router.post('/magic-sent/:challenge/confirm', formBody, async (ctx) => {
    const loaded = await waiting(ctx);
    if (!loaded) return ix.expired(ctx);
    ix.verifyCsrf(ctx, loaded.details);
    // only a link that was really opened (elsewhere) can be confirmed here: otherwise this would be a sign-in
    // without proof of the mailbox
    if (!loaded.challenge.data.openedElsewhere || !(await codes.consume(loaded.challenge))) return ix.expired(ctx);
    return completion.complete(ctx, loaded.details, loaded.challenge);
  });

  router.post('/magic-sent/:challenge/deny', formBody, async (ctx) => {
    const loaded = await waiting(ctx);
    if (!loaded) return ix.expired(ctx);
    ix.verifyCsrf(ctx, loaded.details);
    await codes.consume(loaded.challenge);
    const tenant = ix.tenantOf(ctx);
    await audit.record({ tenantId: tenant.id, type: 'magic_link.denied', subject: audit.pseudonym(tenant.id, loaded.challenge.identifier), ...requestInfo(ctx), outcome: 'failure' });
    return loginPage.render(ctx, loaded.details, { notice: 'That sign-in link has been cancelled. If you did not ask for it, someone may know your email address; nothing else happened.' });
  });

  return router;
}
