// The hosted sign-in flow: oidc-provider sends the browser here with a prompt (login, consent); we render
// the page, check the submission and hand the result back with interactionResult, which names the URL that
// resumes the authorization request. Code- and link-based ways in live in src/auth-methods/.
import Router from '@koa/router';
import type { UsersService } from '../accounts/users.service.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { LoginPage } from '../auth-methods/login-page.js';
import { tooManyCodes } from '../auth-methods/auth-method-deps.js';
import type { CodeChallenges } from '../auth-methods/one-time-codes/code-challenges.js';
import type { RateLimiter } from '../store/rate-limiter.js';
import { field, formBody, type InteractionContext } from './interaction-context.js';
import { createLoginGuard } from './login-limits.js';
import { consentView } from './consent-view.js';
import { stepUpReason } from '../oidc/step-up-policy.js';

export interface InteractionDeps {
  ix: InteractionContext;
  loginPage: LoginPage;
  users: UsersService;
  limiter: RateLimiter;
  audit: AuditLog;
  challenges: CodeChallenges;
  /** the user cancelled: the interaction's login transaction, if one began, fails */
  abandon(tenantId: string, uid: string): Promise<void>;
}


export function interactionsRouter(deps: InteractionDeps) {
  const { ix, loginPage, users, audit } = deps;
  const router = new Router({ prefix: '/t/:slug/interaction/:uid' });
  const request = (ctx: { ip: string; get(name: string): string }) => ({ ip: ctx.ip, userAgent: ctx.get('User-Agent') || null });

  router.get('/', async (ctx) => {
    const details = await ix.load(ctx);
    if (!details) return ix.expired(ctx);
    // Step-up (issue #5): the session is the same user, only its second factor is missing — skip the first factor
    // and let the sign-in go through the MFA gate with the session's account.
    if (details.prompt.name === 'login' && details.prompt.reasons.includes(stepUpReason) && details.session?.accountId) {
      const amr = (details.session as { amr?: unknown }).amr;
      return ix.finish(ctx, { login: { accountId: details.session.accountId, amr: Array.isArray(amr) ? amr.map(String) : [], remember: true } });
    }
    if (details.prompt.name === 'login') return loginPage.render(ctx, details);
    if (details.prompt.name === 'consent') {
      return ix.render(ctx, 'consent', {
        title: 'consent.title',
        data: { action: `${ix.base(ctx)}/confirm`, abortUrl: `${ix.base(ctx)}/abort`, csrfToken: ix.csrfToken(details), clientName: await ix.clientName(ctx, details), ...consentView(details) },
      });
    }
    return ix.finish(ctx, { error: 'interaction_required', error_description: `unsupported prompt ${details.prompt.name}` });
  });

  router.post('/login', formBody, async (ctx) => {
    const details = await ix.load(ctx);
    if (!details || details.prompt.name !== 'login') return ix.expired(ctx);
    ix.verifyCsrf(ctx, details);
    const tenant = ix.tenantOf(ctx);
    if (!tenant.settings.signIn.methods.password) return loginPage.render(ctx, details, { error: ix.t(ctx, 'error.passwordUnavailable'), status: 400 });
    const email = field(ctx, 'email').trim().slice(0, 254);
    const password = field(ctx, 'password');
    if (!email || !password || password.length > 128) {
      return loginPage.render(ctx, details, { email, error: ix.t(ctx, 'error.emailAndPassword'), status: 400 });
    }
    const attempt = await createLoginGuard(deps.limiter, tenant.id).reserve(email, ctx.ip);
    if (!attempt.allowed) {
      const wait = attempt.retryAfterSeconds;
      ctx.set('Retry-After', String(wait));
      await audit.record({ tenantId: tenant.id, type: 'login.locked', subject: audit.pseudonym(tenant.id, email.toLowerCase()), ...request(ctx), outcome: 'failure', data: { method: 'password' } });
      return loginPage.render(ctx, details, { email, error: loginPage.lockedMessage(ctx, wait), status: 429 });
    }
    // An email that is not an address (control characters included) is checked as an unknown one: same cost, same answer.
    const user = await users.authenticate(tenant.id, email, password, tenant.settings.signIn);
    if (!user) {
      // the reserved attempt stays counted: this is a failure
      await audit.record({ tenantId: tenant.id, type: 'login.failed', subject: audit.pseudonym(tenant.id, email.toLowerCase()), ...request(ctx), outcome: 'failure', data: { method: 'password', reason: 'credentials' } });
      return loginPage.render(ctx, details, { email, error: ix.t(ctx, 'login.wrongCredentials'), status: 401 });
    }
    await attempt.succeeded();
    if (tenant.settings.signIn.requireVerifiedEmail && user.email && !user.emailVerified) {
      // the password was right, so this reveals nothing: the account verifies its email before it may sign in
      const started = await deps.challenges.start({
        tenant, purpose: 'verify', channel: 'email', identifier: user.email, interactionUid: details.uid, deliverable: true,
        data: { userId: user.id }, request: request(ctx), subject: user.id,
      });
      if (!started.ok) return loginPage.render(ctx, details, { email, error: tooManyCodes(ctx, started.retryAfterSeconds), status: 429 });
      return ix.seeOther(ctx, `/code/${started.challenge.id}`);
    }
    await audit.record({ tenantId: tenant.id, type: 'login.succeeded', actor: user.id, subject: user.id, ...request(ctx), data: { method: 'password' } });
    return ix.finish(ctx, { login: { accountId: user.id, amr: ['pwd'], remember: true } });
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
