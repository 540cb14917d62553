// SMS as a second factor over the REST auth API (issue #16 §3): setup sends a code to the number (send limits and
// SMS vendors with failover: code-challenges.ts), verify proves it and makes it the account's SMS factor
// (auth-methods/mfa/sms-factor.ts). Both answer for the user of a Bearer token or of an enrol_mfa challenge.
import type Router from '@koa/router';
import type { Services } from '../services.js';
import { AppError } from '../errors/app-error.js';
import { messageRequest } from '../http/request-info.js';
import { createEnrolmentSubjects, jsonObject, requestOf, type RestTwoFactorDeps } from './rest-2fa-subject.js';

const rateLimited = (retryAfterSeconds: number) => new AppError('auth.rate_limited', undefined, { retryAfterSeconds });

export function addSmsFactorRoutes(router: Router, services: Services, deps: RestTwoFactorDeps) {
  const subjects = createEnrolmentSubjects(services, deps);

  router.post('/auth/2fa/sms/setup', async (ctx) => {
    const body = await jsonObject(ctx);
    if (typeof body.phone !== 'string' || !body.phone) throw new AppError('request.invalid', 'Send "phone" as a string, in E.164 form (+447911123456).');
    const { tenant, user } = await subjects.subject(ctx, body, 'sms');
    if (!tenant.settings.mfa.factors.sms) throw new AppError('mfa.method_unavailable', 'This tenant does not offer codes by text message as a second factor.');
    const sent = await services.smsFactor.startEnrolment(tenant, user.id, body.phone, messageRequest(ctx, body, tenant.settings.texts.defaultLocale));
    if (!sent.ok) throw sent.error === 'rate_limited' ? rateLimited(sent.retryAfterSeconds) : new AppError('user.invalid_phone');
    ctx.status = 202;
    ctx.body = { factor_id: sent.challengeId, status: 'code_sent', expires_in: Math.max(1, Math.ceil((sent.expiresAt - Date.now()) / 1000)), to: sent.to };
  });

  router.post('/auth/2fa/sms/verify', async (ctx) => {
    const body = await jsonObject(ctx);
    if (typeof body.factor_id !== 'string' || typeof body.code !== 'string' || !body.factor_id || body.factor_id.length > 64 || body.code.length > 16) {
      throw new AppError('request.invalid', 'Send "factor_id" (from setup) and "code" as strings.');
    }
    const who = await subjects.subject(ctx, body, 'sms');
    const confirmed = await services.smsFactor.confirmEnrolment(who.tenant, who.user.id, body.factor_id, body.code, requestOf(ctx));
    if (!confirmed.ok) {
      if (confirmed.error === 'rate_limited') throw rateLimited(confirmed.retryAfterSeconds);
      if (confirmed.error === 'wrong') throw new AppError('otp.invalid_code', confirmed.attemptsLeft === null ? undefined : `That code is not right. ${confirmed.attemptsLeft} attempt(s) left.`);
      throw new AppError('otp.expired', 'This code has expired, was already used or had too many wrong attempts: start again with /sms/setup.');
    }
    const answer = await subjects.enrolled(ctx, who, { method: 'sms', amr: ['sms'], id: confirmed.factorId });
    ctx.status = answer.status;
    ctx.body = answer.body;
  });
}
