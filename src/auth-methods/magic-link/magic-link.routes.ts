// Magic links sign in only the browser that asked for them. The link names the interaction it was asked from, and
// only that browser holds the interaction's (signed, httpOnly) cookie: opened there, the link signs in. Opened in any
// other browser it signs in nobody and changes nothing — no approval is ever asked of, or given to, the browser that
// asked (issue #13: that approval let someone who typed a victim's address be signed in as them once the victim
// opened the link). The code in the same email, typed in the browser that asked, works too.
import Router from '@koa/router';
import type { AuthMethodDeps } from '../auth-method-deps.js';
import { deviceOf, maskDestination, requestInfo } from '../auth-method-deps.js';
import type { ChallengeCompletion } from '../complete-challenge.js';

export function magicLinkRoutes(deps: AuthMethodDeps, completion: ChallengeCompletion) {
  const { ix, codes, audit } = deps;
  const router = new Router({ prefix: '/t/:slug/interaction/:uid' });

  router.get('/magic/:token', async (ctx) => {
    const tenant = ix.tenantOf(ctx);
    const challenge = await codes.findByLink(tenant.id, String(ctx.params.token));
    if (!challenge || !challenge.data.link || challenge.interactionUid !== ctx.params.uid) return ix.expired(ctx);
    const details = await ix.load(ctx);
    if (details) {
      if (!(await codes.consume(challenge))) return ix.expired(ctx);
      return completion.complete(ctx, details, challenge);
    }
    // Another browser: the link stays as it was (the code, typed where the sign-in began, still works).
    await audit.record({ tenantId: tenant.id, type: 'magic_link.opened_elsewhere', subject: audit.pseudonym(tenant.id, challenge.identifier), ...requestInfo(ctx), outcome: 'failure', data: { device: deviceOf(ctx.get('User-Agent') || null) } });
    await ix.render(ctx, 'magic-link-elsewhere', { title: 'magicLink.elsewhereTitle', status: 403, data: {} });
  });

  router.get('/magic-sent/:challenge', async (ctx) => {
    const details = await ix.load(ctx);
    const challenge = details ? await codes.get(ix.tenantOf(ctx).id, String(ctx.params.challenge)) : null;
    if (!details || !challenge || challenge.interactionUid !== details.uid || !challenge.data.link) return ix.expired(ctx);
    await ix.render(ctx, 'magic-link-sent', {
      title: 'magicLink.sentTitle',
      data: { destination: maskDestination(challenge.identifier), codeAction: `${ix.base(ctx)}/code/${challenge.id}`, backUrl: ix.base(ctx) },
    });
  });

  return router;
}
