// Account recovery of the REST auth API (issue #16 §3, shared REST contract): POST /v1/auth/recovery/initiate
// sends a code by email, or by SMS to the account's verified phone; POST /v1/auth/recovery/verify answers it with a
// new password, which ends every session, grant and refresh token of the account (password-reset.service.ts, as
// the hosted reset). It signs nobody in: the user then signs in normally, second factor included, so recovery never
// bypasses 2FA. Security questions are refused (NIST SP 800-63B §5.1.1.2: no knowledge-based prompts). Unknown
// addresses, and accounts without the channel asked for, get the same answer and nothing is sent.
import type Router from '@koa/router';
import { normaliseEmail } from '../validation/email-address.js';
import { resetPassword } from '../auth-methods/password-reset/password-reset.service.js';
import { availableMethods } from '../auth-methods/sign-in-methods.js';
import { AppError } from '../errors/app-error.js';
import { messageRequest } from '../http/request-info.js';
import { isLocale } from '../i18n/i18n.js';
import type { CallingApp } from '../otp-api/app-credentials.js';
import { errorAnswer } from '../otp-api/otp-answers.js';
import { checkPointedCode, requestOf, secondsUntil, type RestAccountKit } from './rest-account-kit.js';
import { outboxKept } from '../tenants/sandbox-behaviour.js';

const recoveryMethods = ['email', 'sms'] as const;
type RecoveryMethod = (typeof recoveryMethods)[number];

export function addRecoveryRoutes(router: Router, kit: RestAccountKit) {
  const { services } = kit;
  const { users, challenges, audit } = services;

  /** @throws AppError('recovery.disabled') */
  function open(app: CallingApp) {
    if (!availableMethods(app.tenant, services.channels, services.config.env).passwordReset) throw new AppError('recovery.disabled');
  }

  /** @throws AppError('request.invalid' | 'recovery.method_not_supported') */
  function methodOf(app: CallingApp, value: unknown): RecoveryMethod {
    if (value === undefined) return 'email';
    if (typeof value !== 'string') throw new AppError('request.invalid', '"method" is "email" or "sms".');
    if (!(recoveryMethods as readonly string[]).includes(value)) throw new AppError('recovery.method_not_supported');
    if (value === 'sms' && !outboxKept(services.config.env) && !services.channels.sms(app.tenant.id, app.tenant.settings.messaging)) {
      throw new AppError('recovery.method_not_supported', 'This tenant cannot send SMS: recover by email.');
    }
    return value as RecoveryMethod;
  }

  const addressOf = (value: unknown): string => {
    if (typeof value !== 'string') throw new AppError('request.invalid', 'Send "email" as a string.');
    const address = normaliseEmail(value.slice(0, 254));
    if (!address) throw new AppError('user.invalid_email');
    return address;
  };

  router.post('/auth/recovery/initiate', kit.idempotent('recovery/initiate', async (ctx, app, body) => {
    const method = methodOf(app, body.method);
    open(app);
    const address = addressOf(body.email);
    const { tenant } = app;
    const request = messageRequest(ctx, body, tenant.settings.texts.defaultLocale);
    const user = await users.findByEmail(tenant.id, address);
    const phone = method === 'sms' && user?.phoneVerified ? user.phone : null;
    const deliverable = !!user && !user.disabled && (method === 'email' || !!phone);
    const started = await challenges.start({
      tenant, purpose: 'reset', channel: method, identifier: phone ?? address, interactionUid: null, deliverable,
      data: { userId: user?.id ?? null }, request, subject: user?.id ?? audit.pseudonym(tenant.id, address),
    });
    if (!started.ok) return errorAnswer('auth.rate_limited', undefined, started.retryAfterSeconds);
    await kit.pointers.remember({ tenantId: tenant.id, clientId: app.appId, purpose: 'reset', identifier: address }, { challengeId: started.challenge.id, transactionId: null }, started.challenge.expiresAt);
    return { status: 202, body: { status: 'code_sent', expires_in: secondsUntil(started.challenge.expiresAt) } };
  }));

  router.post('/auth/recovery/verify', kit.idempotent('recovery/verify', async (ctx, app, body) => {
    open(app);
    const address = addressOf(body.email);
    const code = typeof body.code === 'string' && body.code.length <= 16 ? body.code : null;
    const typed = typeof body.password === 'string' && body.password.length <= 1024 ? body.password : null;
    if (!code || !typed) throw new AppError('request.invalid', 'Send "email", "code" and the new "password" as strings.');
    const { tenant } = app;
    // checked (and hashed) before the code, so a refused password does not use up an attempt
    const passwordHash = await users.hashNewPassword(typed, [address, address.split('@')[0]!], tenant.settings.signIn);
    const scope = { tenantId: tenant.id, clientId: app.appId, purpose: 'reset' as const, identifier: address };
    const checked = await checkPointedCode(kit, ctx, app, scope, code);
    if (!checked.ok) return checked.answer;
    const { challenge } = checked;
    await kit.pointers.forget(scope);
    const user = typeof challenge.data.userId === 'string' ? await users.findById(tenant.id, challenge.data.userId) : null;
    if (!user || user.disabled) return errorAnswer('otp.expired');
    // the "password changed" notice: this call's language, else the one the code was sent in
    const { locale } = messageRequest(ctx, body, isLocale(challenge.data.locale) ? challenge.data.locale : tenant.settings.texts.defaultLocale);
    await resetPassword(services, { tenant, provider: app.provider, user, passwordHash, emailProven: challenge.channel === 'email', request: requestOf(ctx), locale, front: 'rest_api' });
    return { status: 200, body: { status: 'password_reset' } };
  }));
}
