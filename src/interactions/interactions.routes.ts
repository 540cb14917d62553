// The hosted sign-in flow: oidc-provider sends the browser here with a prompt (login, consent); we render
// the page, check the submission and hand the result back with interactionResult, which names the URL that
// resumes the authorization request.
import Router from '@koa/router';
import { koaBody } from 'koa-body';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';
import type { UsersService } from '../accounts/users.service.js';
import type { RateLimiter } from '../store/rate-limiter.js';
import type { Pages } from '../http/pages.js';
import type { ResolvedTenant } from '../http/tenant-routes.js';
import type { Csrf } from './csrf.js';
import { createLoginGuard } from './login-limits.js';
import { consentView } from './consent-view.js';

export interface InteractionDeps {
  users: UsersService;
  limiter: RateLimiter;
  pages: Pages;
  csrf: Csrf;
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

const genericLoginError = 'The email or password is incorrect.';
const formBody = koaBody({ urlencoded: true, json: false, multipart: false, formLimit: '16kb', text: false });

function field(ctx: Context, name: string): string {
  const value = (ctx.request.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

export function interactionsRouter(deps: InteractionDeps) {
  const { pages, csrf, users } = deps;
  const router = new Router({ prefix: '/t/:slug/interaction/:uid' });

  const tenantOf = (ctx: Context) => ctx.state.tenant as ResolvedTenant;
  const base = (ctx: Context) => `/t/${tenantOf(ctx).slug}/interaction/${ctx.params.uid}`;
  const lang = () => 'en';

  /** the interaction of this browser, or null when it expired or belongs to another browser */
  async function load(ctx: Context): Promise<Details | null> {
    try {
      const details = await ctx.state.provider!.interactionDetails(ctx.req, ctx.res);
      return details.uid === ctx.params.uid ? details : null;
    } catch (error) {
      if (error instanceof errors.SessionNotFound) return null;
      throw error;
    }
  }

  async function expired(ctx: Context) {
    await pages.render(ctx, 'expired', { tenant: tenantOf(ctx), title: 'Sign-in expired', status: 400, data: { backUrl: null } });
  }

  async function clientName(ctx: Context, details: Details) {
    const client = await ctx.state.provider!.Client.find(String(details.params.client_id));
    return client?.clientName ?? String(details.params.client_id);
  }

  async function renderLogin(ctx: Context, details: Details, options: { email: string; error: string | null; status?: number }) {
    await pages.render(ctx, 'login', {
      tenant: tenantOf(ctx), title: 'Sign in', lang: lang(), status: options.status,
      data: {
        action: `${base(ctx)}/login`, abortUrl: `${base(ctx)}/abort`, csrfToken: csrf.token(details.uid),
        email: options.email, error: options.error, clientName: await clientName(ctx, details),
      },
    });
  }

  async function finish(ctx: Context, result: Parameters<Provider['interactionResult']>[2], merge = false) {
    const location = await ctx.state.provider!.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: merge });
    ctx.status = 303;
    ctx.redirect(location);
  }

  router.get('/', async (ctx) => {
    const details = await load(ctx);
    if (!details) return expired(ctx);
    if (details.prompt.name === 'login') {
      const hint = typeof details.params.login_hint === 'string' ? details.params.login_hint.slice(0, 254) : '';
      return renderLogin(ctx, details, { email: hint, error: null });
    }
    if (details.prompt.name === 'consent') {
      return pages.render(ctx, 'consent', {
        tenant: tenantOf(ctx), title: 'Allow access', lang: lang(),
        data: { action: `${base(ctx)}/confirm`, abortUrl: `${base(ctx)}/abort`, csrfToken: csrf.token(details.uid), clientName: await clientName(ctx, details), ...consentView(details) },
      });
    }
    return finish(ctx, { error: 'interaction_required', error_description: `unsupported prompt ${details.prompt.name}` });
  });

  router.post('/login', formBody, async (ctx) => {
    const details = await load(ctx);
    if (!details || details.prompt.name !== 'login') return expired(ctx);
    csrf.verify(ctx, details.uid, field(ctx, '_csrf'));
    const email = field(ctx, 'email').trim().slice(0, 254);
    const password = field(ctx, 'password');
    if (!email || !password || password.length > 128) {
      return renderLogin(ctx, details, { email, error: 'Enter your email and password.', status: 400 });
    }
    const guard = createLoginGuard(deps.limiter, tenantOf(ctx).id);
    const wait = await guard.retryAfter(email, ctx.ip);
    if (wait > 0) {
      ctx.set('Retry-After', String(wait));
      return renderLogin(ctx, details, { email, error: `Too many attempts. Try again in ${Math.ceil(wait / 60)} minute(s).`, status: 429 });
    }
    // An email that is not an address (control characters included) is checked as an unknown one: same cost, same answer.
    const user = await users.authenticate(tenantOf(ctx).id, email, password);
    if (!user) {
      await guard.failed(email, ctx.ip);
      return renderLogin(ctx, details, { email, error: genericLoginError, status: 401 });
    }
    await guard.succeeded(email);
    return finish(ctx, { login: { accountId: user.id, amr: ['pwd'], remember: true } });
  });

  router.post('/confirm', formBody, async (ctx) => {
    const details = await load(ctx);
    if (!details || details.prompt.name !== 'consent') return expired(ctx);
    csrf.verify(ctx, details.uid, field(ctx, '_csrf'));
    const provider = ctx.state.provider!;
    const grant = (details.grantId ? await provider.Grant.find(details.grantId) : undefined)
      ?? new provider.Grant({ accountId: details.session!.accountId, clientId: String(details.params.client_id) });
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
    const grantId = await grant.save();
    return finish(ctx, { consent: { grantId } }, true);
  });

  router.post('/abort', formBody, async (ctx) => {
    const details = await load(ctx);
    if (!details) return expired(ctx);
    csrf.verify(ctx, details.uid, field(ctx, '_csrf'));
    return finish(ctx, { error: 'access_denied', error_description: 'The user cancelled the sign-in.' });
  });

  return router;
}
