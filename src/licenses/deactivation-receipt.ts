// A deactivation receipt: a device that cannot reach the server removes its license and signs, with the private
// half of the `device_public_key` it sent at activation, a compact JWS (typ `license-deactivation+jwt`) naming its
// activation (`act`) and fingerprint hash (`dfp`). Whoever presents it later (the user from another device, the
// vendor's support) frees that seat. Only the device key verifies it, and it names one activation: a receipt cannot
// free any other seat, and presenting it twice changes nothing.
import { compactVerify, decodeJwt, importJWK, type JWK } from 'jose';
import type { ActivationRecord, LicensesRepository } from '../db/licenses.repository.js';
import { AppError } from '../errors/app-error.js';

export const deactivationReceiptType = 'license-deactivation+jwt';
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** @throws AppError('license.invalid_receipt') */
export async function readDeactivationReceipt(tenantId: string, repository: Pick<LicensesRepository, 'findActivation'>, receipt: unknown): Promise<{ activation: ActivationRecord; jti: string | null }> {
  const refused = new AppError('license.invalid_receipt');
  if (typeof receipt !== 'string' || receipt.length > 4096) throw refused;
  let claims: Record<string, unknown>;
  try {
    claims = decodeJwt(receipt);
  } catch {
    throw refused;
  }
  if (typeof claims.act !== 'string' || !uuid.test(claims.act)) throw refused;
  const activation = await repository.findActivation(tenantId, claims.act);
  const jwk = activation?.devicePublicKey as JWK | null | undefined;
  if (!activation || !jwk) throw refused;
  const alg = jwk.kty === 'OKP' ? 'EdDSA' : 'ES256';
  try {
    const { protectedHeader } = await compactVerify(receipt, await importJWK(jwk, alg), { algorithms: [alg] });
    if (protectedHeader.typ !== deactivationReceiptType) throw refused;
  } catch {
    throw refused;
  }
  if (claims.dfp !== activation.fingerprintHash) throw refused;
  return { activation, jti: typeof claims.jti === 'string' ? claims.jti.slice(0, 100) : null };
}
