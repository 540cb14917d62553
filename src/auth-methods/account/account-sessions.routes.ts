// /t/{slug}/account/sessions (issue #6): the signed-in user sees each of their sessions — device and browser,
// IP, how they signed in, roles, since when and last active — and signs out any one of them, or all others.
import Router from '@koa/router';
import type { Context } from 'koa';
import { formBody } from '../../interactions/interaction-context.js';
import { accountSessionOrSignIn } from './account-session.js';
import type { AuthMethodDeps } from '../auth-method-deps.js';
import { requestInfo } from '../../http/request-info.js';
import type { Sessions } from '../../sessions/sessions.service.js';

/** ?m= values and the catalogue keys of their notices */
const notices: Record<string, string> = {
  revoked: 'sessions.revoked',
  others_revoked: 'sessions.othersRevoked',
  gone: 'sessions.gone',
};
/** RFC 8176 method values and the catalogue keys that name them for people */
const methodNames: Record<string, string> = {
  pwd: 'sessions.methods.pwd', otp: 'sessions.methods.otp', sms: 'sessions.methods.sms', hwk: 'sessions.methods.hwk',
  fed: 'sessions.methods.fed', mfa: 'sessions.methods.mfa', swk: 'sessions.methods.hwk',
};
/** how a session's sign-in reads in `t`'s language: "password + one-time code" */
export const describeAmr = (amr: string[], t: (key: string) => string) =>
  amr.map((m) => (Object.hasOwn(methodNames, m) ? t(methodNames[m]!) : m)).join(' + ') || t('sessions.methods.unknown');

export function accountSessionsRoutes(deps: AuthMethodDeps & { sessions: Sessions }) {
  const { ix, users, audit, sessions } = deps;
  const router = new Router({ prefix: '/t/:slug/account/sessions' });
  const base = (ctx: Context) => `/t/${ix.tenantOf(ctx).slug}/account/sessions`;
  const back = (ctx: Context, notice: string) => {
    ctx.status = 303;
    ctx.redirect(`${base(ctx)}?m=${notice}`);
  };

  const me = (ctx: Context) => accountSessionOrSignIn(ctx, { users, ix });

  router.get('/', async (ctx) => {
    const session = await me(ctx);
    if (!session) return;
    const tenant = ix.tenantOf(ctx);
    const list = await sessions.list(tenant, session.user.id);
    const words = ix.words(ctx);
    const m = typeof ctx.query.m === 'string' && Object.hasOwn(notices, ctx.query.m) ? words.t(notices[ctx.query.m]!) : null;
    await ix.render(ctx, 'account-sessions', {
      title: 'account.sessionsTitle',
      data: {
        csrfToken: ix.csrfToken({ uid: session.binding }), base: base(ctx), notice: m, accountUrl: `/t/${tenant.slug}/account`,
        sessions: list.map((s) => ({ ...s, current: s.id === session.sessionUid, method: describeAmr(s.amr, (key) => words.t(key)) })),
      },
    });
  });

  router.post('/others/revoke', formBody, async (ctx) => {
    const session = await me(ctx);
    if (!session) return;
    ix.verifyCsrf(ctx, { uid: session.binding });
    const tenant = ix.tenantOf(ctx);
    let count = 0;
    for (const other of await sessions.list(tenant, session.user.id)) {
      if (other.id !== session.sessionUid && (await sessions.revoke(tenant, session.user.id, other.id).then(() => true, () => false))) count += 1;
    }
    await audit.record({ tenantId: tenant.id, type: 'session.revoked', actor: session.user.id, subject: session.user.id, ...requestInfo(ctx), data: { others: count } });
    back(ctx, 'others_revoked');
  });

  // after /others/revoke, which this pattern would also match
  router.post('/:id/revoke', formBody, async (ctx) => {
    const session = await me(ctx);
    if (!session) return;
    ix.verifyCsrf(ctx, { uid: session.binding });
    const tenant = ix.tenantOf(ctx);
    const id = String(ctx.params.id).slice(0, 64);
    const revoked = await sessions.revoke(tenant, session.user.id, id).then(() => true, () => false);
    if (revoked) await audit.record({ tenantId: tenant.id, type: 'session.revoked', actor: session.user.id, subject: session.user.id, ...requestInfo(ctx), data: { session: id } });
    back(ctx, revoked ? 'revoked' : 'gone');
  });

  return router;
}
