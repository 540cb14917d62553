// Password reset in one short flow: email → code (or link) → new password → signed in. Setting the password
// revokes every session, grant and refresh token the user had, and tells them by email. Unknown addresses get
// the same pages and no email. A reset link opened in another browser may set the password there (that proves
// the mailbox just as well) but signs in only the browser that asked. A link that no longer works says why (used,
// replaced by a newer one, expired, not valid) and offers a new one (issue #14).
import Router from '@koa/router';
import type { Context } from 'koa';
import { normaliseEmail } from '../../validation/email-address.js';
import { AppError } from '../../errors/app-error.js';
import { field, formBody, type Details } from '../../interactions/interaction-context.js';
import type { AuthMethodDeps } from '../auth-method-deps.js';
import { sendingRequest, tooManyCodes } from '../auth-method-deps.js';
import { requestInfo } from '../../http/request-info.js';
import type { ChallengeCompletion } from '../complete-challenge.js';
import type { LoginPage } from '../login-page.js';
import type { LinkFate } from '../one-time-codes/one-time-codes.js';
import { resetPassword } from './password-reset.service.js';
import type { ResetPermission, ResetPermissions } from './reset-permission.js';

const minLength = 8;

export function passwordResetRoutes(deps: AuthMethodDeps & { resets: ResetPermissions }, completion: ChallengeCompletion, loginPage: LoginPage) {
  const { ix, users, challenges, codes, audit, resets } = deps;
  const router = new Router({ prefix: '/t/:slug/interaction/:uid' });

  async function renderRequest(ctx: Context, details: Details, options: { email?: string; error?: string | null; status?: number } = {}) {
    await ix.render(ctx, 'reset-request', {
      title: 'reset.title', status: options.status,
      data: { action: `${ix.base(ctx)}/reset`, csrfToken: ix.csrfToken(details), email: options.email ?? '', error: options.error ?? null, loginUrl: ix.base(ctx) },
    });
  }

  const open = (ctx: Context) => loginPage.opened(ctx, 'passwordReset', 'error.resetUnavailable');

  router.get('/reset', async (ctx) => {
    const details = await open(ctx);
    if (details) await renderRequest(ctx, details);
  });

  router.post('/reset', formBody, async (ctx) => {
    const details = await open(ctx);
    if (!details) return;
    ix.verifyCsrf(ctx, details);
    const tenant = ix.tenantOf(ctx);
    const typed = field(ctx, 'email').slice(0, 254);
    const email = normaliseEmail(typed);
    if (!email) return renderRequest(ctx, details, { email: typed, error: ix.t(ctx, 'error.validEmail'), status: 400 });
    const user = await users.findByEmail(tenant.id, email);
    const result = await challenges.start({
      tenant, purpose: 'reset', channel: 'email', identifier: email, interactionUid: details.uid,
      deliverable: !!user && !user.disabled, linkBase: `${deps.publicOrigin}${ix.base(ctx)}/reset-link/`,
      data: { userId: user?.id ?? null }, request: sendingRequest(ctx), subject: user?.id ?? audit.pseudonym(tenant.id, email),
    });
    if (!result.ok) return renderRequest(ctx, details, { email: typed, error: tooManyCodes(ctx, result.retryAfterSeconds), status: 429 });
    ix.seeOther(ctx, `/code/${result.challenge.id}`);
  });

  // the link from the reset email: proof of the mailbox in whichever browser opens it
  router.get('/reset-link/:token', async (ctx) => {
    const tenant = ix.tenantOf(ctx);
    const token = String(ctx.params.token);
    const challenge = await codes.findByLink(tenant.id, token);
    if (!challenge) return linkGone(ctx, await codes.linkFate(tenant.id, token));
    if (challenge.purpose !== 'reset' || challenge.interactionUid !== ctx.params.uid) return linkGone(ctx, 'invalid');
    if (!(await codes.consume(challenge))) return linkGone(ctx, 'used');
    return completion.complete(ctx, await ix.load(ctx), challenge);
  });

  /** a reset link that no longer works: what became of it, and (while this browser's sign-in is open) a new link or another way in */
  async function linkGone(ctx: Context, fate: LinkFate) {
    const details = await ix.load(ctx);
    const inProgress = details?.prompt.name === 'login';
    await ix.render(ctx, 'link-gone', {
      title: `reset.link.${fate}Heading`, status: fate === 'invalid' ? 400 : 410,
      data: {
        heading: ix.t(ctx, `reset.link.${fate}Heading`), lead: ix.t(ctx, `reset.link.${fate}Lead`),
        sendNewUrl: inProgress ? `${ix.base(ctx)}/reset` : null, sendNewLabel: ix.t(ctx, 'reset.link.sendNew'),
        loginUrl: inProgress ? ix.base(ctx) : null, loginLabel: ix.t(ctx, 'common.anotherWay'),
      },
    });
  }

  /** the permission in the form's URL, still unused; taken (single use) only when the new password is set */
  async function permission(ctx: Context): Promise<{ token: string; value: ResetPermission } | null> {
    const token = typeof ctx.query.p === 'string' ? ctx.query.p : '';
    const value = await resets.peek(ix.tenantOf(ctx).id, token, String(ctx.params.uid));
    return value ? { token, value } : null;
  }

  async function renderPassword(ctx: Context, token: string, options: { error?: string | null; status?: number } = {}) {
    await ix.render(ctx, 'reset-password', {
      title: 'reset.newTitle', status: options.status,
      data: { action: `${ix.base(ctx)}/reset/password?p=${encodeURIComponent(token)}`, csrfToken: ix.csrfToken({ uid: String(ctx.params.uid) }), error: options.error ?? null, minLength },
    });
  }

  router.get('/reset/password', async (ctx) => {
    const granted = await permission(ctx);
    if (!granted) return ix.expired(ctx);
    await renderPassword(ctx, granted.token);
  });

  router.post('/reset/password', formBody, async (ctx) => {
    const granted = await permission(ctx);
    if (!granted) return ix.expired(ctx);
    ix.verifyCsrf(ctx, { uid: String(ctx.params.uid) });
    const tenant = ix.tenantOf(ctx);
    const user = await users.findById(tenant.id, granted.value.userId);
    if (!user || user.disabled) return ix.expired(ctx);
    const password = field(ctx, 'password').slice(0, 1024);
    if (password !== field(ctx, 'confirm').slice(0, 1024)) return renderPassword(ctx, granted.token, { error: ix.t(ctx, 'reset.mismatch'), status: 400 });
    let hash: string;
    try {
      hash = await users.hashNewPassword(password, [user.email, user.email?.split('@')[0] ?? null], ix.tenantOf(ctx).settings.signIn);
    } catch (error) {
      if (error instanceof AppError) return renderPassword(ctx, granted.token, { error: error.message, status: 400 });
      throw error;
    }
    // of concurrent submissions only the one that takes the permission sets a password
    if (!(await resets.take(tenant.id, granted.token, String(ctx.params.uid)))) return ix.expired(ctx);
    await resetPassword(deps, { tenant, provider: ctx.state.provider!, user, passwordHash: hash, emailProven: true, request: requestInfo(ctx), locale: ix.words(ctx).locale });

    const details = await ix.load(ctx);
    if (!details) {
      return ix.render(ctx, 'notice', { title: 'notice.passwordChangedTitle', data: { heading: ix.t(ctx, 'notice.passwordChangedHeading'), message: ix.t(ctx, 'notice.passwordChangedLead'), backUrl: null } });
    }
    await audit.record({ tenantId: tenant.id, type: 'login.succeeded', actor: user.id, subject: user.id, ...requestInfo(ctx), data: { method: 'password_reset' } });
    return ix.finish(ctx, { login: { accountId: user.id, amr: ['pwd', 'otp'], remember: true } });
  });

  return router;
}
