// A phone number as a second factor (issue #16 §3): enrolment sends a code to the number and confirms it with that
// code; a sign-in (or a step-up) sends a code to the enrolled number and checks it. Everything rides on the existing
// code machinery: send limits and SMS vendors with failover (code-challenges.ts), hashed single-use codes with their
// own attempt limits (one-time-codes.ts), and the account's second-factor lock (factors.service.ts), reserved before
// each check. The number is stored sealed, like a TOTP secret (mfa.repository.ts, factor type `sms`), under the user
// realm shared by the tenant's environments (realm-secrets.ts).
import type { AuditLog } from '../../audit/audit-log.js';
import type { Sealer } from '../../crypto/sealing.js';
import type { MfaRepository } from '../../db/mfa.repository.js';
import type { CourierTenant } from '../../notifications/courier.js';
import { normalisePhone } from '../../validation/phone-number.js';
import type { AuthMethod, MethodRequest, MethodVerifyOutcome } from '../auth-method.js';
import type { CodeChallenges } from '../one-time-codes/code-challenges.js';
import type { OneTimeCodes } from '../one-time-codes/one-time-codes.js';
import type { Factors } from './factors.service.js';
import type { RealmSecrets } from './realm-secrets.js';

export interface SmsFactorDeps { mfa: MfaRepository; sealer: Sealer; realmSecrets: RealmSecrets; codes: OneTimeCodes; challenges: CodeChallenges; factors: Factors; audit: AuditLog }

export type SmsSendOutcome =
  | { ok: true; challengeId: string; /** epoch ms */ expiresAt: number; to: string }
  | { ok: false; error: 'invalid_phone' | 'not_enrolled' }
  | { ok: false; error: 'rate_limited'; retryAfterSeconds: number };

export type SmsCheckOutcome =
  | { ok: true }
  | { ok: false; error: 'wrong'; attemptsLeft: number | null }
  | { ok: false; error: 'expired' | 'locked' }
  | { ok: false; error: 'rate_limited'; retryAfterSeconds: number };

/** what a code challenge of this factor carries: whose it is and what it is for */
interface SmsChallengeData { userId: string; smsFactor: 'enrol' | 'sign_in' }

/** the number as shown back to its owner: the country code and the last four digits */
export const maskedPhone = (phone: string) => `${phone.slice(0, 3)} ••• ${phone.slice(-4)}`;

export function createSmsFactor(deps: SmsFactorDeps) {
  const { mfa, sealer, realmSecrets, codes, challenges, factors } = deps;
  const context = (tenantId: string, userId: string) => `sms-factor:${tenantId}:${userId}`;
  /** the user's enrolled number in full, or null (none, or one no configured key opens any more) */
  async function enrolled(tenantId: string, userId: string): Promise<{ id: string; phone: string; createdAt: Date } | null> {
    const factor = await mfa.smsFactor(tenantId, userId);
    const phone = factor && (await realmSecrets.open(tenantId, factor.sealedSecret, (id) => context(id, userId)));
    return factor && phone ? { id: factor.id, phone, createdAt: factor.createdAt } : null;
  }

  async function send(tenant: CourierTenant, userId: string, phone: string, binding: string, purpose: SmsChallengeData['smsFactor'], request: MethodRequest): Promise<SmsSendOutcome> {
    const data: SmsChallengeData = { userId, smsFactor: purpose };
    const started = await challenges.start({ tenant, purpose: 'mfa', channel: 'sms', identifier: phone, interactionUid: binding, deliverable: true, data: { ...data }, request, subject: userId });
    if (!started.ok) return { ok: false, error: 'rate_limited', retryAfterSeconds: started.retryAfterSeconds };
    return { ok: true, challengeId: started.challenge.id, expiresAt: started.challenge.expiresAt, to: maskedPhone(phone) };
  }

  /** a code of this factor's challenge `challengeId`, bound to `binding`, for `userId` and `purpose` */
  async function check(tenant: CourierTenant, userId: string, challengeId: string, binding: string, purpose: SmsChallengeData['smsFactor'], code: string, request: MethodRequest): Promise<SmsCheckOutcome & { phone?: string }> {
    const challenge = await codes.get(tenant.id, challengeId);
    const data = challenge?.data as Partial<SmsChallengeData> | undefined;
    if (!challenge || challenge.purpose !== 'mfa' || challenge.interactionUid !== binding || data?.userId !== userId || data.smsFactor !== purpose) return { ok: false, error: 'expired' };
    const typed = code.replace(/[\s-]/g, '');
    if (!/^\d{1,16}$/.test(typed)) return { ok: false, error: 'wrong', attemptsLeft: null };
    // reserved on the account's second-factor limit before the code is checked, like a TOTP code
    const attempt = await factors.reserveAttempt(tenant.id, userId);
    if (!attempt.allowed) return { ok: false, error: 'rate_limited', retryAfterSeconds: attempt.retryAfterSeconds };
    const result = await challenges.verify(tenant, challenge, typed);
    if (result.status === 'wrong') {
      await deps.audit.record({ tenantId: tenant.id, type: 'mfa.failed', subject: userId, ...request, outcome: 'failure', data: { factor: 'sms', enrolment: purpose === 'enrol' } });
      return { ok: false, error: 'wrong', attemptsLeft: result.attemptsLeft };
    }
    if (result.status !== 'ok') return { ok: false, error: result.status };
    await attempt.succeeded();
    return { ok: true, phone: challenge.identifier };
  }

  return {
    /** the enrolled number, masked, or null */
    async enrolledNumber(tenantId: string, userId: string): Promise<{ id: string; phone: string; createdAt: Date } | null> {
      const factor = await enrolled(tenantId, userId);
      return factor && { ...factor, phone: maskedPhone(factor.phone) };
    },
    isEnrolled: async (tenantId: string, userId: string) => (await enrolled(tenantId, userId)) !== null,
    /** the enrolled number in full, for sending a code to it (the hosted challenge page), or null */
    numberOf: async (tenantId: string, userId: string): Promise<string | null> => (await enrolled(tenantId, userId))?.phone ?? null,
    remove: (tenantId: string, userId: string) => mfa.removeSmsFactor(tenantId, userId),

    /** sends a code to `typedPhone` to prove it; the challenge id is the enrolment's id (`factor_id`) */
    async startEnrolment(tenant: CourierTenant, userId: string, typedPhone: string, request: MethodRequest): Promise<SmsSendOutcome> {
      const phone = normalisePhone(typedPhone.slice(0, 32));
      if (!phone) return { ok: false, error: 'invalid_phone' };
      return send(tenant, userId, phone, `sms-enrol:${userId}`, 'enrol', request);
    },
    /** the code sent by startEnrolment: right → the number becomes the user's SMS factor (replacing an earlier one) */
    async confirmEnrolment(tenant: CourierTenant, userId: string, enrolmentId: string, code: string, request: MethodRequest): Promise<SmsCheckOutcome & { factorId?: string }> {
      const checked = await check(tenant, userId, enrolmentId, `sms-enrol:${userId}`, 'enrol', code, request);
      if (!checked.ok) return checked;
      const sealed = sealer.seal(checked.phone!, context(await realmSecrets.realmOf(tenant.id), userId));
      const factor = await mfa.replaceSmsFactor(tenant.id, userId, sealed);
      return { ok: true, factorId: factor.id };
    },

    /** a code to the enrolled number for a sign-in or step-up bound to `binding` (a login transaction id) */
    async sendCode(tenant: CourierTenant, userId: string, binding: string, request: MethodRequest): Promise<SmsSendOutcome> {
      const factor = await enrolled(tenant.id, userId);
      if (!factor) return { ok: false, error: 'not_enrolled' };
      const wait = await factors.lockedFor(tenant.id, userId);
      if (wait) return { ok: false, error: 'rate_limited', retryAfterSeconds: wait };
      return send(tenant, userId, factor.phone, binding, 'sign_in', request);
    },
    checkCode: (tenant: CourierTenant, userId: string, challengeId: string, binding: string, code: string, request: MethodRequest) =>
      check(tenant, userId, challengeId, binding, 'sign_in', code, request),
  };
}

export type SmsFactor = ReturnType<typeof createSmsFactor>;

/** the SMS factor as a second-factor AuthMethod: start sends the code for the transaction, verify checks it (amr `sms`) */
export function createSmsSecondFactorMethod(sms: SmsFactor): AuthMethod {
  return {
    id: 'sms',
    amr: ['sms'],
    factor: 'second',
    availableFor: (tenant) => tenant.settings.mfa.policy !== 'off' && tenant.settings.mfa.factors.sms,
    loginPage: null,
    async start({ tenant, userId, transactionId, request }) {
      if (!userId) return { ok: false, error: 'invalid_identifier' };
      const sent = await sms.sendCode(tenant, userId, transactionId, request);
      if (sent.ok) return { ok: true, challengeId: sent.challengeId, expiresAt: sent.expiresAt, identifier: null };
      return sent.error === 'rate_limited' ? sent : { ok: false, error: 'invalid_identifier' };
    },
    async verify({ tenant, userId, challengeId, transactionId, secret, request }): Promise<MethodVerifyOutcome> {
      if (!userId || !challengeId || !transactionId) return { ok: false, error: 'expired' };
      const checked = await sms.checkCode(tenant, userId, challengeId, transactionId, secret, request);
      if (!checked.ok) return checked;
      return { ok: true, userId, identifier: null, amr: ['sms'], signUp: false };
    },
  };
}
