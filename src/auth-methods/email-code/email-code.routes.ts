// Passwordless by email: a code to type, or a link to open in this browser (magic link). Both answer the same
// for registered and unknown addresses; only a registered one (or, with sign-up open, a new one) gets mail.
import Router from '@koa/router';
import type { Context } from 'koa';
import { normaliseEmail } from '../../validation/email-address.js';
import { field, formBody, type Details } from '../../interactions/interaction-context.js';
import type { AuthMethodDeps } from '../auth-method-deps.js';
import { sendingRequest, tooManyCodes } from '../auth-method-deps.js';
import { requestInfo } from '../../http/request-info.js';
import type { LoginPage } from '../login-page.js';

export function emailCodeRoutes(deps: AuthMethodDeps, loginPage: LoginPage) {
  const { ix, users, challenges, audit } = deps;
  const router = new Router({ prefix: '/t/:slug/interaction/:uid' });

  async function start(ctx: Context, link: boolean) {
    const details = await ix.load(ctx);
    if (!details || details.prompt.name !== 'login') return ix.expired(ctx);
    ix.verifyCsrf(ctx, details);
    const tenant = ix.tenantOf(ctx);
    const methods = loginPage.methods(tenant);
    if (!(link ? methods.magicLink : methods.emailOtp)) return loginPage.render(ctx, details, { error: ix.t(ctx, 'error.methodUnavailable'), status: 400 });
    const typed = field(ctx, 'email').slice(0, 254);
    const email = normaliseEmail(typed);
    if (!email) return loginPage.render(ctx, details, { email: typed, error: ix.t(ctx, 'error.validEmail'), status: 400 });

    const user = await users.findByEmail(tenant.id, email);
    const result = await challenges.start({
      tenant, purpose: 'login', channel: 'email', identifier: email, interactionUid: details.uid,
      deliverable: user ? !user.disabled : tenant.settings.signIn.signUp,
      linkBase: link ? `${deps.publicOrigin}${ix.base(ctx)}/magic/` : undefined,
      data: { signUp: !user, link },
      request: sendingRequest(ctx),
      subject: user?.id ?? audit.pseudonym(tenant.id, email),
    });
    if (!result.ok) return tooMany(ctx, details, typed, result.retryAfterSeconds);
    ix.seeOther(ctx, link ? `/magic-sent/${result.challenge.id}` : `/code/${result.challenge.id}`);
  }

  async function tooMany(ctx: Context, details: Details, email: string, seconds: number) {
    return loginPage.render(ctx, details, { email, error: tooManyCodes(ctx, seconds), status: 429 });
  }

  router.post('/email-code', formBody, (ctx) => start(ctx, false));
  router.post('/magic-link', formBody, (ctx) => start(ctx, true));
  return router;
}
