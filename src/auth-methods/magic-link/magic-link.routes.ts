// Magic links sign in only the browser that asked for them. The link names the interaction it was asked from, and
// only that browser holds the interaction's (signed, httpOnly) cookie: opened there, the link signs in. Opened in any
// other browser it signs in nobody and changes nothing — no approval is ever asked of, or given to, the browser that
// asked (issue #13: that approval let someone who typed a victim's address be signed in as them once the victim
// opened the link). The code in the same email, typed in the browser that asked, works too.
// A link that no longer works says why (used, expired, not valid) and what to do next (issue #14); the waiting page,
// reloaded after the link signed this browser in from another tab, says so instead of "expired".
import Router from '@koa/router';
import type { Context } from 'koa';
import type { AuthMethodDeps } from '../auth-method-deps.js';
import { deviceOf, maskDestination } from '../auth-method-deps.js';
import { requestInfo } from '../../http/request-info.js';
import type { ChallengeCompletion } from '../complete-challenge.js';
import type { LinkFate } from '../one-time-codes/one-time-codes.js';

/** how long the waiting page can still tell that its sign-in finished in another tab */
const DONE_SECONDS = 900;

export function magicLinkRoutes(deps: AuthMethodDeps, completion: ChallengeCompletion) {
  const { ix, codes, audit, store, users } = deps;
  const router = new Router({ prefix: '/t/:slug/interaction/:uid' });
  const doneKey = (tenantId: string, challengeId: string) => `magic-done:${tenantId}:${challengeId}`;

  async function gone(ctx: Context, linkFate: LinkFate) {
    // a link replaced by a resend reads as expired: the newer email holds the link that works
    const fate = linkFate === 'replaced' ? 'expired' : linkFate;
    // in the browser that asked, while its sign-in is open, the login page is one step away; elsewhere, the app
    const details = await ix.load(ctx);
    const loginUrl = details?.prompt.name === 'login' ? ix.base(ctx) : null;
    await ix.render(ctx, 'link-gone', {
      title: `magicLink.${fate}Title`, status: fate === 'invalid' ? 400 : 410,
      data: {
        heading: ix.t(ctx, `magicLink.${fate}Heading`), lead: ix.t(ctx, `magicLink.${fate}Lead`),
        sendNewUrl: loginUrl, sendNewLabel: ix.t(ctx, 'magicLink.sendNew'), loginUrl, loginLabel: ix.t(ctx, 'common.anotherWay'),
      },
    });
  }

  router.get('/magic/:token', async (ctx) => {
    const tenant = ix.tenantOf(ctx);
    const token = String(ctx.params.token);
    const challenge = await codes.findByLink(tenant.id, token);
    if (!challenge || !challenge.data.link || challenge.interactionUid !== ctx.params.uid) return gone(ctx, await codes.linkFate(tenant.id, token));
    const details = await ix.load(ctx);
    if (details) {
      if (!(await codes.consume(challenge))) return gone(ctx, 'used');
      // the app this sign-in returns to: where the waiting page's "continue" goes once it learns of the sign-in
      const redirectUri = typeof details.params.redirect_uri === 'string' ? details.params.redirect_uri : null;
      await store.set(doneKey(tenant.id, challenge.id), JSON.stringify({ identifier: challenge.identifier, app: redirectUri ? `${new URL(redirectUri).origin}/` : null }), DONE_SECONDS);
      return completion.complete(ctx, details, challenge);
    }
    // Another browser: the link stays as it was (the code, typed where the sign-in began, still works).
    await audit.record({ tenantId: tenant.id, type: 'magic_link.opened_elsewhere', subject: audit.pseudonym(tenant.id, challenge.identifier), ...requestInfo(ctx), outcome: 'failure', data: { device: deviceOf(ctx.get('User-Agent') || null) } });
    await ix.render(ctx, 'magic-link-elsewhere', { title: 'magicLink.elsewhereTitle', status: 403, data: {} });
  });

  /** the sign-in of this waiting page finished in another tab of this very browser (signed in as its address) */
  async function finishedElsewhere(ctx: Context): Promise<{ app: string | null } | null> {
    const tenant = ix.tenantOf(ctx);
    const raw = await store.get(doneKey(tenant.id, String(ctx.params.challenge).slice(0, 64)));
    if (!raw) return null;
    const done = JSON.parse(raw) as { identifier: string; app: string | null };
    const session = await ctx.state.provider!.Session.get(ctx as never);
    const user = session.accountId ? await users.findById(tenant.id, session.accountId) : null;
    return user && !user.disabled && user.email === done.identifier ? { app: done.app } : null;
  }

  router.get('/magic-sent/:challenge', async (ctx) => {
    const details = await ix.load(ctx);
    const challenge = details ? await codes.get(ix.tenantOf(ctx).id, String(ctx.params.challenge)) : null;
    if (!details || !challenge || challenge.interactionUid !== details.uid || !challenge.data.link) {
      const done = await finishedElsewhere(ctx);
      if (!done) return ix.expired(ctx);
      return ix.render(ctx, 'notice', { title: 'magicLink.doneTitle', data: { heading: ix.t(ctx, 'magicLink.doneHeading'), message: ix.t(ctx, 'magicLink.doneLead'), backUrl: done.app } });
    }
    await ix.render(ctx, 'magic-link-sent', {
      title: 'magicLink.sentTitle',
      data: { destination: maskDestination(challenge.identifier), codeAction: `${ix.base(ctx)}/code/${challenge.id}`, backUrl: ix.base(ctx) },
    });
  });

  return router;
}
