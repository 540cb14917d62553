// The second factors a user has enrolled, as the login transaction's `second_factor_assessed` event needs them
// (login-transaction.machine.ts): a confirmed TOTP brings its recovery codes; passkeys count as a factor.
import type { PasskeysRepository } from '../../db/passkeys.repository.js';
import type { Factors } from './factors.service.js';

export async function enrolledSecondFactors(deps: { factors: Factors; passkeys: PasskeysRepository }, tenantId: string, userId: string): Promise<string[]> {
  const [totp, passkeys] = await Promise.all([deps.factors.hasConfirmedTotp(tenantId, userId), deps.passkeys.countForUser(tenantId, userId)]);
  return [...(totp ? ['totp', 'recovery_code'] : []), ...(passkeys > 0 ? ['passkey'] : [])];
}
