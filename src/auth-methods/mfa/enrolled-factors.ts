// The second factors a user has enrolled, as the login transaction's `second_factor_assessed` event needs them
// (login-transaction.machine.ts): a confirmed TOTP brings its recovery codes; passkeys and an SMS number count as a
// factor each, and bring recovery codes when the user holds unused ones (given at their first enrolment).
import type { PasskeysRepository } from '../../db/passkeys.repository.js';
import type { Factors } from './factors.service.js';
import type { SmsFactor } from './sms-factor.js';

export async function enrolledSecondFactors(deps: { factors: Factors; passkeys: PasskeysRepository; smsFactor: SmsFactor }, tenantId: string, userId: string): Promise<string[]> {
  const [totp, passkeys, sms, codesLeft] = await Promise.all([
    deps.factors.hasConfirmedTotp(tenantId, userId), deps.passkeys.countForUser(tenantId, userId), deps.smsFactor.isEnrolled(tenantId, userId), deps.factors.recoveryCodesLeft(tenantId, userId),
  ]);
  const recovery = totp || ((passkeys > 0 || sms) && codesLeft > 0);
  return [...(totp ? ['totp'] : []), ...(sms ? ['sms'] : []), ...(passkeys > 0 ? ['passkey'] : []), ...(recovery ? ['recovery_code'] : [])];
}
