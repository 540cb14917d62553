// POST /t/{slug}/interaction/{uid}/login: email + password on the hosted login page. The attempt is reserved per
// account and per IP before the hash is checked (login-limits.ts); an unknown email costs the same and gets the same
// answer as a wrong password; a tenant that requires verified email sends a code first (purpose `verify`,
// complete-challenge.ts). A right password hands the login back through the interaction (and so the MFA gate).
import Router from '@koa/router';
import type { UsersService } from '../../accounts/users.service.js';
import type { AuditLog } from '../../audit/audit-log.js';
import { requestInfo } from '../../http/request-info.js';
import { field, formBody, type InteractionContext } from '../../interactions/interaction-context.js';
import type { RateLimiter } from '../../store/rate-limiter.js';
import { sendingRequest, tooManyCodes } from '../auth-method-deps.js';
import type { LoginPage } from '../login-page.js';
import type { CodeChallenges } from '../one-time-codes/code-challenges.js';
import { createLoginGuard } from './login-limits.js';

export interface PasswordRoutesDeps {
  ix: InteractionContext;
  users: UsersService;
  limiter: RateLimiter;
  audit: AuditLog;
  challenges: CodeChallenges;
}

export function passwordRoutes(deps: PasswordRoutesDeps, loginPage: LoginPage) {
  const { ix, users, audit } = deps;
  const router = new Router({ prefix: '/t/:slug/interaction/:uid' });

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
    const attempt = await createLoginGuard(deps.limiter, await users.realmOf(tenant.id)).reserve(email, ctx.ip);
    if (!attempt.allowed) {
      const wait = attempt.retryAfterSeconds;
      ctx.set('Retry-After', String(wait));
      await audit.record({ tenantId: tenant.id, type: 'login.locked', subject: audit.pseudonym(tenant.id, email.toLowerCase()), ...requestInfo(ctx), outcome: 'failure', data: { method: 'password' } });
      return loginPage.render(ctx, details, { email, error: loginPage.lockedMessage(ctx, wait), status: 429 });
    }
    // An email that is not an address (control characters included) is checked as an unknown one: same cost, same answer.
    const user = await users.authenticate(tenant.id, email, password, tenant.settings.signIn);
    if (!user) {
      // the reserved attempt stays counted: this is a failure
      await audit.record({ tenantId: tenant.id, type: 'login.failed', subject: audit.pseudonym(tenant.id, email.toLowerCase()), ...requestInfo(ctx), outcome: 'failure', data: { method: 'password', reason: 'credentials' } });
      return loginPage.render(ctx, details, { email, error: ix.t(ctx, 'login.wrongCredentials'), status: 401 });
    }
    await attempt.succeeded();
    if (tenant.settings.signIn.requireVerifiedEmail && user.email && !user.emailVerified) {
      // the password was right, so this reveals nothing: the account verifies its email before it may sign in
      const started = await deps.challenges.start({
        tenant, purpose: 'verify', channel: 'email', identifier: user.email, interactionUid: details.uid, deliverable: true,
        data: { userId: user.id }, request: sendingRequest(ctx), subject: user.id,
      });
      if (!started.ok) return loginPage.render(ctx, details, { email, error: tooManyCodes(ctx, started.retryAfterSeconds), status: 429 });
      return ix.seeOther(ctx, `/code/${started.challenge.id}`);
    }
    await audit.record({ tenantId: tenant.id, type: 'login.succeeded', actor: user.id, subject: user.id, ...requestInfo(ctx), data: { method: 'password' } });
    return ix.finish(ctx, { login: { accountId: user.id, amr: ['pwd'], remember: true } });
  });

  return router;
}
