// The 2FA surface of the REST auth API (issue #16 §3), for the user of a Bearer access token, over the same factors
// service and audit events as the account security page (auth-methods/mfa/account-security.routes.ts): status,
// TOTP setup (secret, otpauth URI, QR PNG) and verify (activates it; the first factor's recovery codes are returned
// once), removing a method, regenerating backup codes, and the remembered (trusted) devices.
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Services } from '../services.js';
import { AppError } from '../errors/app-error.js';
import { readJsonText } from '../http/json-body.js';
import type { AppAccess } from '../otp-api/app-access-token.js';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const requestOf = (ctx: Context) => ({ ip: ctx.ip, userAgent: ctx.get('User-Agent') || null });

async function jsonObject(ctx: Context): Promise<Record<string, unknown>> {
  const read = await readJsonText(ctx);
  if (!read || !read.value || typeof read.value !== 'object' || Array.isArray(read.value)) throw new AppError('request.invalid', 'Send a JSON object.');
  return read.value as Record<string, unknown>;
}

export function addTwoFactorRoutes(router: Router, services: Services, bearer: (ctx: Context) => Promise<AppAccess>) {
  const { factors, audit } = services;

  router.get('/auth/2fa/status', async (ctx) => {
    const { tenant, user } = await bearer(ctx);
    const [totps, recoveryLeft, passkeys] = await Promise.all([factors.totpFactors(tenant.id, user.id), factors.recoveryCodesLeft(tenant.id, user.id), services.passkeys.countForUser(tenant.id, user.id)]);
    ctx.body = {
      enabled: totps.length > 0 || passkeys > 0,
      policy: tenant.settings.mfa.policy,
      methods: { totp: totps.map((t) => ({ id: t.id, name: t.name, created_at: t.createdAt.toISOString() })), passkeys },
      backup_codes_left: recoveryLeft,
    };
  });

  router.post('/auth/2fa/totp/setup', async (ctx) => {
    const { tenant, user } = await bearer(ctx);
    if (!tenant.settings.mfa.factors.totp) throw new AppError('request.invalid', 'This tenant does not offer authenticator apps.');
    const enrolment = await factors.totpEnrolment(tenant.id, user.id, null, { issuer: tenant.name, account: user.email ?? user.phone ?? user.id });
    ctx.body = { factor_id: enrolment.factorId, secret: enrolment.secret, otpauth_uri: enrolment.uri, qr_png: enrolment.qrDataUrl };
  });

  router.post('/auth/2fa/totp/verify', async (ctx) => {
    const { tenant, user } = await bearer(ctx);
    const body = await jsonObject(ctx);
    if (typeof body.factor_id !== 'string' || typeof body.code !== 'string' || !uuid.test(body.factor_id)) throw new AppError('request.invalid', 'Send "factor_id" (from setup) and "code" as strings.');
    const first = !(await factors.hasConfirmedTotp(tenant.id, user.id));
    if (!(await factors.confirmTotp(tenant.id, user.id, body.factor_id, body.code.slice(0, 16)))) throw new AppError('otp.invalid_code');
    await audit.record({ tenantId: tenant.id, type: 'mfa.enrolled', actor: user.id, subject: user.id, ...requestOf(ctx), data: { factor: 'totp', front: 'rest_api' } });
    let backupCodes: string[] | null = null;
    if (first && (await factors.recoveryCodesLeft(tenant.id, user.id)) === 0) {
      backupCodes = await factors.newRecoveryCodes(tenant.id, user.id);
      await audit.record({ tenantId: tenant.id, type: 'mfa.recovery_codes_generated', actor: user.id, subject: user.id, ...requestOf(ctx), data: {} });
    }
    ctx.body = { enabled: true, backup_codes: backupCodes };
  });

  router.delete('/auth/2fa/method/:method', async (ctx) => {
    const { tenant, user } = await bearer(ctx);
    // passkeys are managed on the account's passkey page; TOTP is the method this API sets up
    if (ctx.params.method !== 'totp') throw new AppError('request.invalid', 'The method to remove is "totp".');
    let removed = 0;
    for (const factor of await factors.totpFactors(tenant.id, user.id)) if (await factors.removeTotp(tenant.id, user.id, factor.id)) removed++;
    if (removed) await audit.record({ tenantId: tenant.id, type: 'mfa.removed', actor: user.id, subject: user.id, ...requestOf(ctx), data: { factor: 'totp', front: 'rest_api' } });
    ctx.status = 204;
  });

  router.post('/auth/2fa/backup-codes', async (ctx) => {
    const { tenant, user } = await bearer(ctx);
    // recovery codes stand in for an authenticator app and exist only beside one (second-factor.methods.ts)
    if (!(await factors.hasConfirmedTotp(tenant.id, user.id))) throw new AppError('request.invalid', 'Set up an authenticator app first: backup codes exist only beside one.');
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
