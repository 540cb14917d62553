// /t/{slug}/account/security (issue #5): the signed-in user's second factors — authenticator apps (set up, remove),
// recovery codes (how many are left, a new set shown once), trusted browsers (see, revoke one or all) — and the way
// to their passkeys (/account/passkeys).
import Router from '@koa/router';
import type { Context } from 'koa';
import type { MfaRepository } from '../../db/mfa.repository.js';
import { field, formBody } from '../../interactions/interaction-context.js';
import { accountSessionOrSignIn, type AccountSession } from '../account/account-session.js';
import type { AuthMethodDeps } from '../auth-method-deps.js';
import { requestInfo } from '../../http/request-info.js';
import type { Factors } from './factors.service.js';

const notices: Record<string, string> = {
  enrolled: 'account.enrolled',
  removed: 'account.removed',
  removed_gone: 'account.removedGone',
  device_revoked: 'account.deviceRevoked',
  device_gone: 'account.deviceGone',
  devices_revoked: 'account.devicesRevoked',
};

export function accountSecurityRoutes(deps: AuthMethodDeps & { factors: Factors; mfa: MfaRepository }) {
  const { ix, users, audit, factors, mfa } = deps;
  const router = new Router({ prefix: '/t/:slug/account/security' });
  const base = (ctx: Context) => `/t/${ix.tenantOf(ctx).slug}/account/security`;
  const enrolKey = (tenantId: string, binding: string) => `account-totp:${tenantId}:${binding}`;

  const me = (ctx: Context) => accountSessionOrSignIn(ctx, { users, ix });
  const label = (ctx: Context, session: AccountSession) => ({ issuer: ix.tenantOf(ctx).name, account: session.user.email ?? session.user.phone ?? ix.tenantOf(ctx).name });

  router.get('/', async (ctx) => {
    const session = await me(ctx);
    if (!session) return;
    const tenant = ix.tenantOf(ctx);
    const [totps, left, devices] = await Promise.all([
      factors.totpFactors(tenant.id, session.user.id), factors.recoveryCodesLeft(tenant.id, session.user.id), mfa.trustedDevices(tenant.id, session.user.id),
    ]);
    const m = typeof ctx.query.m === 'string' && Object.hasOwn(notices, ctx.query.m) ? ix.t(ctx, notices[ctx.query.m]!) : null;
    await ix.render(ctx, 'account-security', {
      title: 'account.securityTitle',
      data: {
        csrfToken: ix.csrfToken({ uid: session.binding }), base: base(ctx), notice: m, policy: tenant.settings.mfa.policy,
        totpAllowed: tenant.settings.mfa.factors.totp, passkeysUrl: `/t/${tenant.slug}/account/passkeys`, accountUrl: `/t/${tenant.slug}/account`,
        totps: totps.map((t) => ({ id: t.id, name: t.name, since: t.createdAt.toISOString().slice(0, 10), lastUsed: t.lastUsedAt?.toISOString().slice(0, 10) ?? null })),
        recoveryLeft: left,
        // before any second factor there are no recovery codes to count, and none are needed
        hasFactor: totps.length > 0 || left > 0,
        devices: devices.map((d) => ({ id: d.id, device: d.device, ip: d.ip, since: d.createdAt.toISOString().slice(0, 10), until: d.expiresAt.toISOString().slice(0, 10) })),
      },
    });
  });

  async function enrolPage(ctx: Context, session: AccountSession, error?: string) {
    const tenant = ix.tenantOf(ctx);
    const enrolment = await factors.totpEnrolment(tenant.id, session.user.id, await deps.store.get(enrolKey(tenant.id, session.binding)), label(ctx, session));
    await deps.store.set(enrolKey(tenant.id, session.binding), enrolment.factorId, 900);
    await ix.render(ctx, 'totp-enrol', {
      title: 'totp.title', status: error ? 400 : 200,
      data: { csrfToken: ix.csrfToken({ uid: session.binding }), error: error ?? null, qrDataUrl: enrolment.qrDataUrl, secret: enrolment.secret, required: false, action: `${base(ctx)}/totp`, backUrl: base(ctx), abortUrl: null },
    });
  }

  router.get('/totp', async (ctx) => {
    const session = await me(ctx);
    if (session) await enrolPage(ctx, session);
  });

  router.post('/totp', formBody, async (ctx) => {
    const session = await me(ctx);
    if (!session) return;
    ix.verifyCsrf(ctx, { uid: session.binding });
    const tenant = ix.tenantOf(ctx);
    const factorId = await deps.store.get(enrolKey(tenant.id, session.binding));
    const first = !(await factors.hasConfirmedTotp(tenant.id, session.user.id));
    if (!factorId || !(await factors.confirmTotp(tenant.id, session.user.id, factorId, field(ctx, 'code').slice(0, 16)))) {
      return enrolPage(ctx, session, ix.t(ctx, 'totp.wrong'));
    }
    await deps.store.del([enrolKey(tenant.id, session.binding)]);
    await audit.record({ tenantId: tenant.id, type: 'mfa.enrolled', actor: session.user.id, subject: session.user.id, ...requestInfo(ctx), data: { factor: 'totp' } });
    // the first factor comes with recovery codes, shown once
    if (first && (await factors.recoveryCodesLeft(tenant.id, session.user.id)) === 0) {
      const codes = await factors.newRecoveryCodes(tenant.id, session.user.id);
      await audit.record({ tenantId: tenant.id, type: 'mfa.recovery_codes_generated', actor: session.user.id, subject: session.user.id, ...requestInfo(ctx), data: {} });
      return ix.render(ctx, 'recovery-codes', { title: 'recovery.title', data: { codes, csrfToken: null, continueAction: null, backUrl: `${base(ctx)}?m=enrolled` } });
    }
    ctx.status = 303;
    ctx.redirect(`${base(ctx)}?m=enrolled`);
  });

  router.post('/totp/:id/remove', formBody, async (ctx) => {
    const session = await me(ctx);
    if (!session) return;
    ix.verifyCsrf(ctx, { uid: session.binding });
    const tenant = ix.tenantOf(ctx);
    // an id that is no factor of theirs (removed already, in another tab) is said to be gone, not removed now
    const removed = await factors.removeTotp(tenant.id, session.user.id, String(ctx.params.id));
    if (removed) {
      await audit.record({ tenantId: tenant.id, type: 'mfa.removed', actor: session.user.id, subject: session.user.id, ...requestInfo(ctx), data: { factor: 'totp' } });
    }
    ctx.status = 303;
    ctx.redirect(`${base(ctx)}?m=${removed ? 'removed' : 'removed_gone'}`);
  });

  router.post('/recovery-codes', formBody, async (ctx) => {
    const session = await me(ctx);
    if (!session) return;
    ix.verifyCsrf(ctx, { uid: session.binding });
    const tenant = ix.tenantOf(ctx);
    const codes = await factors.newRecoveryCodes(tenant.id, session.user.id);
    await audit.record({ tenantId: tenant.id, type: 'mfa.recovery_codes_generated', actor: session.user.id, subject: session.user.id, ...requestInfo(ctx), data: { replaced: true } });
    await ix.render(ctx, 'recovery-codes', { title: 'recovery.title', data: { codes, csrfToken: null, continueAction: null, backUrl: base(ctx) } });
  });

  router.post('/devices/:id/revoke', formBody, async (ctx) => {
    const session = await me(ctx);
    if (!session) return;
    ix.verifyCsrf(ctx, { uid: session.binding });
    const tenant = ix.tenantOf(ctx);
    const all = ctx.params.id === 'all';
    const count = all ? await mfa.revokeAllTrustedDevices(tenant.id, session.user.id) : Number(await mfa.revokeTrustedDevice(tenant.id, session.user.id, String(ctx.params.id)));
    if (count) await audit.record({ tenantId: tenant.id, type: 'mfa.device_revoked', actor: session.user.id, subject: session.user.id, ...requestInfo(ctx), data: { count } });
    ctx.status = 303;
    ctx.redirect(`${base(ctx)}?m=${all ? 'devices_revoked' : count ? 'device_revoked' : 'device_gone'}`);
  });

  return router;
}
