// The 2FA surface of the REST auth API (issue #16 §3), for the user of a Bearer access token, over the same factors
// service and audit events as the account security page (auth-methods/mfa/account-security.routes.ts): status,
// TOTP setup (secret, otpauth URI, QR PNG) and verify (activates it; the first factor's recovery codes are returned
// once), removing a method (totp, sms, webauthn or one passkey), regenerating backup codes, and the remembered
// (trusted) devices. TOTP setup and verify also answer an enrol_mfa challenge (rest-2fa-subject.ts).
import type Router from '@koa/router';
import type { Services } from '../services.js';
import { AppError } from '../errors/app-error.js';
import { enrolledSecondFactors } from '../auth-methods/mfa/enrolled-factors.js';
import { createEnrolmentSubjects, jsonObject, requestOf, uuid, type RestTwoFactorDeps } from './rest-2fa-subject.js';

export function addTwoFactorRoutes(router: Router, services: Services, deps: RestTwoFactorDeps) {
  const { factors, audit } = services;
  const { bearer } = deps;
  const subjects = createEnrolmentSubjects(services, deps);

  router.get('/auth/2fa/status', async (ctx) => {
    const { tenant, user } = await bearer(ctx);
    const [totps, recoveryLeft, passkeys, sms] = await Promise.all([
      factors.totpFactors(tenant.id, user.id), factors.recoveryCodesLeft(tenant.id, user.id), services.passkeys.listForUser(tenant.id, user.id), services.smsFactor.enrolledNumber(tenant.id, user.id),
    ]);
    ctx.body = {
      enabled: totps.length > 0 || passkeys.length > 0 || sms !== null,
      policy: tenant.settings.mfa.policy,
      methods: {
        totp: totps.map((t) => ({ id: t.id, name: t.name, created_at: t.createdAt.toISOString() })),
        sms: sms ? { id: sms.id, phone: sms.phone, created_at: sms.createdAt.toISOString() } : null,
        webauthn: passkeys.map((p) => ({ id: p.id, name: p.name, created_at: p.createdAt.toISOString(), last_used_at: p.lastUsedAt?.toISOString() ?? null })),
        passkeys: passkeys.length,
      },
      backup_codes_left: recoveryLeft,
    };
  });

  router.post('/auth/2fa/totp/setup', async (ctx) => {
    const body = await jsonObject(ctx);
    const { tenant, user } = await subjects.subject(ctx, body, 'totp');
    if (!tenant.settings.mfa.factors.totp) throw new AppError('mfa.method_unavailable', 'This tenant does not offer authenticator apps.');
    const enrolment = await factors.totpEnrolment(tenant.id, user.id, null, { issuer: tenant.name, account: user.email ?? user.phone ?? user.id });
    ctx.body = { factor_id: enrolment.factorId, secret: enrolment.secret, otpauth_uri: enrolment.uri, qr_png: enrolment.qrDataUrl };
  });

  router.post('/auth/2fa/totp/verify', async (ctx) => {
    const body = await jsonObject(ctx);
    if (typeof body.factor_id !== 'string' || typeof body.code !== 'string' || !uuid.test(body.factor_id)) throw new AppError('request.invalid', 'Send "factor_id" (from setup) and "code" as strings.');
    const who = await subjects.subject(ctx, body, 'totp');
    const { tenant, user } = who;
    if (!(await factors.confirmTotp(tenant.id, user.id, body.factor_id, body.code.slice(0, 16)))) {
      await audit.record({ tenantId: tenant.id, type: 'mfa.failed', subject: user.id, ...requestOf(ctx), outcome: 'failure', data: { factor: 'totp', enrolment: true } });
      throw new AppError('otp.invalid_code');
    }
    const answer = await subjects.enrolled(ctx, who, { method: 'totp', amr: ['otp'], id: body.factor_id });
    ctx.status = answer.status;
    ctx.body = answer.body;
  });

  router.delete('/auth/2fa/method/:method', async (ctx) => {
    const { tenant, user } = await bearer(ctx);
    const [method, id] = String(ctx.params.method).split(':', 2) as [string, string | undefined];
    let removed = 0;
    if (method === 'totp' && id === undefined) {
      for (const factor of await factors.totpFactors(tenant.id, user.id)) if (await factors.removeTotp(tenant.id, user.id, factor.id)) removed++;
    } else if (method === 'sms' && id === undefined) {
      removed = (await services.smsFactor.remove(tenant.id, user.id)) ? 1 : 0;
    } else if (method === 'webauthn') {
      const keys = (await services.passkeys.listForUser(tenant.id, user.id)).filter((p) => id === undefined || p.id === id);
      if (id !== undefined && !keys.length) throw new AppError('mfa.method_unavailable', 'No passkey with that id on this account.');
      for (const key of keys) if (await services.passkeys.remove(tenant.id, user.id, key.id)) removed++;
    } else {
      throw new AppError('request.invalid', 'The method to remove is "totp", "sms", "webauthn" (every passkey) or "webauthn:<id>" (one).');
    }
    if (removed) await audit.record({ tenantId: tenant.id, type: 'mfa.removed', actor: user.id, subject: user.id, ...requestOf(ctx), data: { factor: method, count: removed, front: 'rest_api' } });
    ctx.status = 204;
  });

  router.post('/auth/2fa/backup-codes', async (ctx) => {
    const { tenant, user } = await bearer(ctx);
    // backup codes stand in for a second factor and exist only beside one
    if (!(await enrolledSecondFactors(services, tenant.id, user.id)).some((f) => f !== 'recovery_code')) {
      throw new AppError('mfa.method_unavailable', 'Set up a second factor first: backup codes exist only beside one.');
    }
    const codes = await factors.newRecoveryCodes(tenant.id, user.id);
    await audit.record({ tenantId: tenant.id, type: 'mfa.recovery_codes_generated', actor: user.id, subject: user.id, ...requestOf(ctx), data: { replaced: true } });
    ctx.body = { backup_codes: codes };
  });

  router.get('/auth/2fa/trusted-devices', async (ctx) => {
    const { tenant, user } = await bearer(ctx);
    const devices = await services.mfa.trustedDevices(tenant.id, user.id);
    ctx.body = { devices: devices.map((d) => ({ id: d.id, device: d.device, ip: d.ip, created_at: d.createdAt.toISOString(), expires_at: d.expiresAt.toISOString() })) };
  });

  router.delete('/auth/2fa/trusted-devices/:id', async (ctx) => {
    const { tenant, user } = await bearer(ctx);
    const id = String(ctx.params.id);
    if (!uuid.test(id) || !(await services.mfa.revokeTrustedDevice(tenant.id, user.id, id))) throw new AppError('device.not_found');
    await audit.record({ tenantId: tenant.id, type: 'mfa.device_revoked', actor: user.id, subject: user.id, ...requestOf(ctx), data: { count: 1 } });
    ctx.status = 204;
  });
}
