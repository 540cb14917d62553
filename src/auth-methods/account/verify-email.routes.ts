// /t/{slug}/verify-email?token=…: the link of the verification email an operator sent (accounts/email-verification
// .service.ts). Opening it only shows the address and a button, so a mail scanner that follows links verifies
// nothing; pressing the button (a same-site form post, CSRF-bound to the token) spends the link and verifies.
// An unknown, used or expired link says so and what to do next. The pages are in the reader's language.
import Router from '@koa/router';
import type { Context } from 'koa';
import { digest } from '../../crypto/sealing.js';
import { field, formBody } from '../../interactions/interaction-context.js';
import type { EmailVerification } from './email-verification.service.js';
import type { AuditLog } from '../../audit/audit-log.js';
import type { AuthMethodDeps } from '../auth-method-deps.js';
import { requestInfo } from '../../http/request-info.js';

export function verifyEmailRoutes(deps: Pick<AuthMethodDeps, 'ix'> & { emailVerification: EmailVerification; audit: AuditLog }) {
  const { ix, emailVerification, audit } = deps;
  const router = new Router({ prefix: '/t/:slug/verify-email' });
  const binding = (token: string) => ({ uid: `verify-email:${digest(token)}` });
  const token = (value: unknown) => (typeof value === 'string' ? value.slice(0, 200) : '');

  async function gone(ctx: Context) {
    await ix.render(ctx, 'notice', { title: 'verifyEmail.title', status: 410, data: { heading: ix.t(ctx, 'verifyEmail.title'), message: ix.t(ctx, 'verifyEmail.gone'), backUrl: null } });
  }

  router.get('/', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const value = token(ctx.query.token);
    const found = await emailVerification.peek(ix.tenantOf(ctx).id, value);
    if (!found) return gone(ctx);
    await ix.render(ctx, 'verify-email', { title: 'verifyEmail.title', data: { email: found.email, token: value, csrfToken: ix.csrfToken(binding(value)), action: ctx.path } });
  });

  router.post('/', formBody, async (ctx) => {
    const value = token(field(ctx, 'token'));
    ix.verifyCsrf(ctx, binding(value));
    const tenant = ix.tenantOf(ctx);
    const verified = await emailVerification.confirm(tenant, value);
    if (!verified) return gone(ctx);
    await audit.record({ tenantId: tenant.id, type: 'user.email_verified', actor: verified.userId, subject: verified.userId, ...requestInfo(ctx), data: { via: 'link' } });
    await ix.render(ctx, 'notice', { title: 'verifyEmail.doneTitle', data: { heading: ix.t(ctx, 'verifyEmail.doneTitle'), message: ix.t(ctx, 'verifyEmail.done', { email: verified.email }), backUrl: null } });
  });

  return router;
}
