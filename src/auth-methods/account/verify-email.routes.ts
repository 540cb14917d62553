// /t/{slug}/verify-email?token=…: the link of the verification email an operator sent (accounts/email-verification
// .service.ts). Opening it only shows the address and a button, so a mail scanner that follows links verifies
// nothing; pressing the button (a same-site form post, CSRF-bound to the token) spends the link and verifies.
// A link that no longer works says why (used, replaced by a newer one, expired, not valid) and what to do next. The pages are in the reader's language.
import Router from '@koa/router';
import type { Context } from 'koa';
import { digest } from '../../crypto/sealing.js';
import { field, formBody } from '../../interactions/interaction-context.js';
import type { EmailVerification, VerificationLinkFate } from './email-verification.service.js';
import type { AuditLog } from '../../audit/audit-log.js';
import type { AuthMethodDeps } from '../auth-method-deps.js';
import { requestInfo } from '../../http/request-info.js';

export function verifyEmailRoutes(deps: Pick<AuthMethodDeps, 'ix'> & { emailVerification: EmailVerification; audit: AuditLog }) {
  const { ix, emailVerification, audit } = deps;
  const router = new Router({ prefix: '/t/:slug/verify-email' });
  const binding = (token: string) => ({ uid: `verify-email:${digest(token)}` });
  const token = (value: unknown) => (typeof value === 'string' ? value.slice(0, 200) : '');

  /** what became of the link and the next step: a new link comes from the app's administrator; signing in still works */
  async function gone(ctx: Context, fate: VerificationLinkFate) {
    await ix.render(ctx, 'link-gone', {
      title: `verifyEmail.${fate}Heading`, status: fate === 'invalid' ? 400 : 410,
      data: {
        heading: ix.t(ctx, `verifyEmail.${fate}Heading`), lead: ix.t(ctx, `verifyEmail.${fate}Lead`),
        sendNewUrl: null, sendNewLabel: null, loginUrl: `/t/${ix.tenantOf(ctx).slug}/account`, loginLabel: ix.t(ctx, 'verifyEmail.signIn'),
      },
    });
  }

  router.get('/', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const value = token(ctx.query.token);
    const found = await emailVerification.peek(ix.tenantOf(ctx).id, value);
    if ('fate' in found) return gone(ctx, found.fate);
    await ix.render(ctx, 'verify-email', { title: 'verifyEmail.title', data: { email: found.email, token: value, csrfToken: ix.csrfToken(binding(value)), action: ctx.path } });
  });

  router.post('/', formBody, async (ctx) => {
    const value = token(field(ctx, 'token'));
    ix.verifyCsrf(ctx, binding(value));
    const tenant = ix.tenantOf(ctx);
    const verified = await emailVerification.confirm(tenant, value);
    if ('fate' in verified) return gone(ctx, verified.fate);
    await audit.record({ tenantId: tenant.id, type: 'user.email_verified', actor: verified.userId, subject: verified.userId, ...requestInfo(ctx), data: { via: 'link' } });
    await ix.render(ctx, 'notice', { title: 'verifyEmail.doneTitle', data: { heading: ix.t(ctx, 'verifyEmail.doneTitle'), message: ix.t(ctx, 'verifyEmail.done', { email: verified.email }), backUrl: null } });
  });

  return router;
}
