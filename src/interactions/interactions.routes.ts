// The hosted sign-in flow: oidc-provider sends the browser here with a prompt (login, consent); we render
// the page, check the submission and hand the result back with interactionResult, which names the URL that
// resumes the authorization request. Every way in (password included) lives in src/auth-methods/, which hands
// this router the login page to draw; nothing here imports a method.
import type { Context } from 'koa';
import Router from '@koa/router';
import { formBody, type Details, type InteractionContext } from './interaction-context.js';
import { consentView } from './consent-view.js';
import { stepUpReason } from '../oidc/step-up-policy.js';

export interface InteractionDeps {
  ix: InteractionContext;
  /** draws the login page (auth-methods/login-page.ts) */
  renderLogin(ctx: Context, details: Details): Promise<void>;
  /** the user cancelled: the interaction's login transaction, if one began, fails */
  abandon(tenantId: string, uid: string): Promise<void>;
}


export function interactionsRouter(deps: InteractionDeps) {
  const { ix } = deps;
  const router = new Router({ prefix: '/t/:slug/interaction/:uid' });

  router.get('/', async (ctx) => {
    const details = await ix.load(ctx);
    if (!details) return ix.expired(ctx);
    // Step-up (issue #5): the session is the same user, only its second factor is missing — skip the first factor
    // and let the sign-in go through the MFA gate with the session's account.
    if (details.prompt.name === 'login' && details.prompt.reasons.includes(stepUpReason) && details.session?.accountId) {
      const amr = (details.session as { amr?: unknown }).amr;
      return ix.finish(ctx, { login: { accountId: details.session.accountId, amr: Array.isArray(amr) ? amr.map(String) : [], remember: true } });
    }
    if (details.prompt.name === 'login') return deps.renderLogin(ctx, details);
    if (details.prompt.name === 'consent') {
      return ix.render(ctx, 'consent', {
        title: 'consent.title',
        data: { action: `${ix.base(ctx)}/confirm`, abortUrl: `${ix.base(ctx)}/abort`, csrfToken: ix.csrfToken(details), clientName: await ix.clientName(ctx, details), ...consentView(details) },
      });
    }
    return ix.finish(ctx, { error: 'interaction_required', error_description: `unsupported prompt ${details.prompt.name}` });
  });

  router.post('/confirm', formBody, async (ctx) => {
    const details = await ix.load(ctx);
    if (!details || details.prompt.name !== 'consent') return ix.expired(ctx);
    ix.verifyCsrf(ctx, details);
    const provider = ctx.state.provider!;
    const grant = (details.grantId ? await provider.Grant.find(details.grantId) : undefined)
      ?? new provider.Grant({ accountId: details.session!.accountId, clientId: String(details.params.client_id) });
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
    const grantId = await grant.save();
    return ix.finish(ctx, { consent: { grantId } }, true);
  });

  router.post('/abort', formBody, async (ctx) => {
    const details = await ix.load(ctx);
    if (!details) return ix.expired(ctx);
    ix.verifyCsrf(ctx, details);
    await deps.abandon(ix.tenantOf(ctx).id, details.uid);
    return ix.finish(ctx, { error: 'access_denied', error_description: 'The user cancelled the sign-in.' });
  });

  return router;
}
