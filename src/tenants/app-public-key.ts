// The PEM (SPKI) of a tenant's current RS256 signing key: what a backend OTP API app verifies its access tokens with
// (issue #16 §2: `jwt_public_key`), shown by the Management API, the CLI and the console when an app is registered.
import { exportSPKI, importJWK, type JWK } from 'jose';
import { AppError } from '../errors/app-error.js';

const publicMembers = ['kty', 'n', 'e', 'kid', 'alg'] as const;

/** @throws AppError('keys.invalid_alg') when the tenant has no current RS256 key */
export async function currentRsaPem(keys: { loadJwks(tenantId: string): Promise<{ jwks: { keys: JWK[] } }> }, tenantId: string): Promise<string> {
  const { jwks } = await keys.loadJwks(tenantId);
  const key = jwks.keys.find((k) => k.alg === 'RS256' && !k.key_ops);
  if (!key) throw new AppError('keys.invalid_alg', 'The tenant has no current RS256 key: rotate one with `tessera keys rotate --alg RS256`.');
  const publicKey = Object.fromEntries(publicMembers.filter((m) => key[m] !== undefined).map((m) => [m, key[m]])) as JWK;
  return exportSPKI((await importJWK(publicKey, 'RS256')) as CryptoKey);
}
