// Per-tenant signing keys: generated here, sealed at rest, rotated by `tessera keys rotate`.
// A retired key stays in the JWKS (marked verify-only so the provider never signs with it) until every token
// it signed has expired: retiredAt + the tenant's longest signed-token lifetime + clock skew.
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { SigningKeysRepository } from '../db/signing-keys.repository.js';
import type { Sealer } from '../crypto/sealing.js';
import { AppError } from '../errors/app-error.js';
import { signingAlgs, type SigningAlg } from '../tenants/tenant-settings.js';

const clockSkewSeconds = 300;
const publicMembers = ['kty', 'crv', 'x', 'y', 'n', 'e', 'kid', 'alg', 'use'] as const;

/** the public half of a key set, for verifying the tenant's own tokens in this process */
export function publicJwks(jwks: { keys: JWK[] }): { keys: JWK[] } {
  return { keys: jwks.keys.map((key) => Object.fromEntries(publicMembers.filter((m) => key[m] !== undefined).map((m) => [m, key[m]])) as JWK) };
}

export interface SealedKey { kid: string; alg: string; sealedJwk: string }

export interface SigningKeys {
  /** one sealed key per supported alg, for a tenant about to be created */
  initialKeys(tenantId: string): Promise<SealedKey[]>;
  /** @throws AppError('keys.invalid_alg') @returns the new key id */
  rotate(tenantId: string, alg: string, longestTokenLifetimeSeconds: number): Promise<string>;
  /** private JWKS for oidc-provider's `jwks` option (active keys first, retired keys verify-only) and the
   *  instant the set next changes by itself (a retired key leaving it), when the provider must be rebuilt */
  loadJwks(tenantId: string): Promise<{ jwks: { keys: JWK[] }; changesAt: Date | null }>;
  listPublished(tenantId: string): Promise<{ kid: string; alg: string; active: boolean; createdAt: Date }[]>;
}

async function generate(alg: SigningAlg): Promise<JWK & { kid: string }> {
  const options = alg === 'EdDSA' ? { crv: 'Ed25519' } : alg === 'RS256' ? { modulusLength: 2048 } : {};
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...options });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(await exportJWK(publicKey));
  return { ...jwk, kid, alg, use: 'sig' };
}

export function createSigningKeys(deps: { repository: SigningKeysRepository; sealer: Sealer }): SigningKeys {
  const { repository, sealer } = deps;
  const context = (tenantId: string, kid: string) => `signing-key:${tenantId}:${kid}`;

  async function sealed(tenantId: string, alg: SigningAlg): Promise<SealedKey> {
    const jwk = await generate(alg);
    return { kid: jwk.kid, alg, sealedJwk: sealer.seal(JSON.stringify(jwk), context(tenantId, jwk.kid)) };
  }

  return {
    initialKeys: (tenantId) => Promise.all(signingAlgs.map((alg) => sealed(tenantId, alg))),
    async rotate(tenantId, alg, longestTokenLifetimeSeconds) {
      if (!(signingAlgs as readonly string[]).includes(alg)) throw new AppError('keys.invalid_alg');
      const unpublishAt = new Date(Date.now() + (longestTokenLifetimeSeconds + clockSkewSeconds) * 1000);
      const key = await sealed(tenantId, alg as SigningAlg);
      await repository.activate(tenantId, key, unpublishAt);
      return key.kid;
    },
    async loadJwks(tenantId) {
      const published = await repository.listPublished(tenantId);
      const retired = published.filter((k) => k.retiredAt);
      const ordered = [...published.filter((k) => !k.retiredAt), ...retired];
      const unpublishTimes = retired.map((k) => k.unpublishAt!.getTime());
      return {
        jwks: {
          keys: ordered.map((key) => {
            const jwk = JSON.parse(sealer.open(key.sealedJwk, context(tenantId, key.kid))) as JWK;
            return key.retiredAt ? { ...jwk, key_ops: ['verify'] } : jwk;
          }),
        },
        changesAt: unpublishTimes.length ? new Date(Math.min(...unpublishTimes)) : null,
      };
    },
    async listPublished(tenantId) {
      return (await repository.listPublished(tenantId)).map((k) => ({ kid: k.kid, alg: k.alg, active: !k.retiredAt, createdAt: k.createdAt }));
    },
  };
}
