// Email + password sign-up: the account is created only once the emailed code is verified, so mistyped and
// throw-away addresses never become rows. An address that already has a verified account gets the same page and
// no code (no enumeration); an unverified existing account is verified (and its password set) by the code.
import Router from '@koa/router';
import type { Context } from 'koa';
import { normaliseEmail } from '../../validation/email-address.js';
import { AppError } from '../../errors/app-error.js';
import { field, formBody, type Details } from '../../interactions/interaction-context.js';
import type { AuthMethodDeps } from '../auth-method-deps.js';
import { sendingRequest, tooManyCodes } from '../auth-method-deps.js';
import { requestInfo } from '../../http/request-info.js';
import type { LoginPage } from '../login-page.js';

const minLength = 8;

export function signUpRoutes(deps: AuthMethodDeps, loginPage: LoginPage) {
  const { ix, users, challenges, audit } = deps;
  const router = new Router({ prefix: '/t/:slug/interaction/:uid/signup' });

  async function render(ctx: Context, details: Details, options: { email?: string; name?: string; error?: string | null; status?: number } = {}) {
    await ix.render(ctx, 'signup', {
      title: 'signup.title',
      status: options.status,
      data: { action: `${ix.base(ctx)}/signup`, csrfToken: ix.csrfToken(details), email: options.email ?? '', name: options.name ?? '', error: options.error ?? null, loginUrl: ix.base(ctx), minLength },
    });
  }

  const open = (ctx: Context) => loginPage.opened(ctx, 'signUp', 'error.signUpClosed');

  router.get('/', async (ctx) => {
    const details = await open(ctx);
    if (details) await render(ctx, details);
  });

  router.post('/', formBody, async (ctx) => {
    const details = await open(ctx);
    if (!details) return;
    ix.verifyCsrf(ctx, details);
    const tenant = ix.tenantOf(ctx);
    const typed = field(ctx, 'email').slice(0, 254);
    const name = field(ctx, 'name').trim().slice(0, 200);
    const email = normaliseEmail(typed);
    if (!email) return render(ctx, details, { email: typed, name, error: ix.t(ctx, 'error.validEmail'), status: 400 });
    let passwordHash: string;
    try {
      passwordHash = await users.hashNewPassword(field(ctx, 'password').slice(0, 1024), [email, email.split('@')[0]!], tenant.settings.signIn);
    } catch (error) {
      if (error instanceof AppError) return render(ctx, details, { email: typed, name, error: error.message, status: 400 });
      throw error;
    }
    const existing = await users.findByEmail(tenant.id, email);
    const result = await challenges.start({
      tenant, purpose: 'signup', channel: 'email', identifier: email, interactionUid: details.uid,
      deliverable: !existing || (!existing.emailVerified && !existing.disabled),
      data: { passwordHash, name, ...(existing ? { existingUserId: existing.id } : {}) },
      request: sendingRequest(ctx), subject: existing?.id ?? audit.pseudonym(tenant.id, email),
    });
    if (!result.ok) return render(ctx, details, { email: typed, name, error: tooManyCodes(ctx, result.retryAfterSeconds), status: 429 });
    ix.seeOther(ctx, `/code/${result.challenge.id}`);
  });

  return router;
}
