// The second factors a user has enrolled, as the login transaction's `second_factor_assessed` event needs them
// (login-transaction.machine.ts): a confirmed TOTP brings its recovery codes; passkeys and an SMS number count as a
// factor each, and bring recovery codes when the user holds unused ones (given at their first enrolment). The facts
// come in one statement (mfa.repository.ts secondFactorFacts): every password sign-in through the gate asks.
import type { Factors } from './factors.service.js';

export async function enrolledSecondFactors(deps: { factors: Pick<Factors, 'secondFactorFacts'> }, tenantId: string, userId: string): Promise<string[]> {
  const { totp, passkeys, sms, recoveryCodesLeft: codesLeft } = await deps.factors.secondFactorFacts(tenantId, userId);
  const recovery = totp || ((passkeys > 0 || sms) && codesLeft > 0);
  return [...(totp ? ['totp'] : []), ...(sms ? ['sms'] : []), ...(passkeys > 0 ? ['passkey'] : []), ...(recovery ? ['recovery_code'] : [])];
}
