// Per-tenant signing keys: generated here, sealed at rest, rotated by `tessera keys rotate`.
// A rotation pre-publishes the new key: it is in the JWKS (verify-only) for a period before it signs, so resource
// servers that cache the JWKS know it before they meet a token it signed. The key it replaces signs until then,
// and stays published (verify-only) until every token it signed has expired: its retirement + the tenant's longest
// signed-token lifetime + clock skew. An emergency rotation (a compromised key) skips both waits.
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { SigningKeyRecord, SigningKeysRepository } from '../db/signing-keys.repository.js';
import type { Sealer } from '../crypto/sealing.js';
import { AppError } from '../errors/app-error.js';
import { signingAlgs, type SigningAlg } from './tenant-settings.js';

const clockSkewSeconds = 300;
/** longer than resource servers commonly cache a JWKS (jose: 10 minutes) */
export const defaultPrePublishSeconds = 3600;
export const maxPrePublishSeconds = 30 * 86_400;
const publicMembers = ['kty', 'crv', 'x', 'y', 'n', 'e', 'kid', 'alg', 'use'] as const;

/** the public half of a key set, for verifying the tenant's own tokens in this process */
export function publicJwks(jwks: { keys: JWK[] }): { keys: JWK[] } {
  return { keys: jwks.keys.map((key) => Object.fromEntries(publicMembers.filter((m) => key[m] !== undefined).map((m) => [m, key[m]])) as JWK) };
}

export interface SealedKey { kid: string; alg: string; sealedJwk: string }

export interface RotationOptions {
  /** the tenant's longest signed-token lifetime, seconds */
  longestTokenLifetimeSeconds: number;
  /** seconds the new key is published before it signs; 0 signs at once */
  prePublishSeconds: number;
  /** the current key is compromised: the new key signs now and the old one leaves the JWKS now */
  emergency?: boolean;
}

/** what a rotation did and when each step happens */
export interface RotationReport {
  kid: string;
  alg: string;
  /** in the JWKS (verify-only) from */
  publishedAt: string;
  /** signs from */
  signsFrom: string;
  /** the keys it replaces: they stop signing when it starts, and leave the JWKS once their tokens have expired */
  replaced: { kid: string; stopsSigningAt: string; unpublishedAt: string }[];
  emergency: boolean;
  /** for an emergency rotation, what stops working at once */
  breaks?: string[];
}

export interface PublishedKey { kid: string; alg: string; state: 'pending' | 'active' | 'retired'; active: boolean; createdAt: Date; activatesAt: Date | null; retiredAt: Date | null; unpublishAt: Date | null }

export interface SigningKeys {
  /** one sealed key per supported alg, for a tenant about to be created */
  initialKeys(tenantId: string): Promise<SealedKey[]>;
  /** @throws AppError('keys.invalid_alg') */
  rotate(tenantId: string, alg: string, options: RotationOptions): Promise<RotationReport>;
  /** private JWKS for oidc-provider's `jwks` option (signing keys first; pre-published and retired keys verify-only)
   *  and the instant the set next changes by itself (a key starting to sign, stopping, or leaving), when the
   *  provider must be rebuilt */
  loadJwks(tenantId: string): Promise<{ jwks: { keys: JWK[] }; changesAt: Date | null }>;
  listPublished(tenantId: string): Promise<PublishedKey[]>;
}

/** makes a new private key of `alg` as a JWK with its kid (the thumbprint) */
export type SigningKeyGenerator = (alg: SigningAlg) => Promise<JWK & { kid: string }>;

export const generateSigningKey: SigningKeyGenerator = async (alg) => {
  const options = alg === 'EdDSA' ? { crv: 'Ed25519' } : alg === 'RS256' ? { modulusLength: 2048 } : {};
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...options });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(await exportJWK(publicKey));
  return { ...jwk, kid, alg, use: 'sig' };
};

function stateOf(key: SigningKeyRecord, now: number): PublishedKey['state'] {
  if (key.activatesAt && key.activatesAt.getTime() > now) return 'pending';
  if (key.retiredAt && key.retiredAt.getTime() <= now) return 'retired';
  return 'active';
}

const emergencyBreaks = (kids: string[]) => [
  `tokens signed by ${kids.length ? kids.join(', ') : 'the replaced key'} (id_tokens, JWT access tokens) no longer verify against the JWKS, and introspection reports them inactive`,
  'resource servers that cached the JWKS keep accepting those tokens until they fetch it again',
  'tokens signed by the new key are refused by resource servers until they fetch the JWKS again (jose refetches for an unknown kid, at most every 30 s)',
  'relying parties must sign users in again where they check the id_token signature later (id_token_hint at logout, for example)',
  'refresh tokens and opaque access tokens are not signed: they keep working',
];

/** `generate`: generateSigningKey unless a caller's own (the test suite hands out RSA keys made in earlier runs) */
export function createSigningKeys(deps: { repository: SigningKeysRepository; sealer: Sealer; generate?: SigningKeyGenerator }): SigningKeys {
  const { repository, sealer } = deps;
  const generate = deps.generate ?? generateSigningKey;
  const context = (tenantId: string, kid: string) => `signing-key:${tenantId}:${kid}`;

  async function sealed(tenantId: string, alg: SigningAlg): Promise<SealedKey> {
    const jwk = await generate(alg);
    return { kid: jwk.kid, alg, sealedJwk: sealer.seal(JSON.stringify(jwk), context(tenantId, jwk.kid)) };
  }

  return {
    initialKeys: (tenantId) => Promise.all(signingAlgs.map((alg) => sealed(tenantId, alg))),
    async rotate(tenantId, alg, options) {
      if (!(signingAlgs as readonly string[]).includes(alg)) throw new AppError('keys.invalid_alg');
      const now = new Date();
      const emergency = options.emergency === true;
      const activatesAt = new Date(now.getTime() + (emergency ? 0 : options.prePublishSeconds * 1000));
      const previousUnpublishAt = emergency ? now : new Date(activatesAt.getTime() + (options.longestTokenLifetimeSeconds + clockSkewSeconds) * 1000);
      const key = await sealed(tenantId, alg as SigningAlg);
      const replaced = await repository.rotate(tenantId, key, { now, activatesAt, previousUnpublishAt });
      return {
        kid: key.kid,
        alg,
        publishedAt: now.toISOString(),
        signsFrom: activatesAt.toISOString(),
        replaced: replaced.map((k) => ({ kid: k.kid, stopsSigningAt: activatesAt.toISOString(), unpublishedAt: previousUnpublishAt.toISOString() })),
        emergency,
        ...(emergency ? { breaks: emergencyBreaks(replaced.map((k) => k.kid)) } : {}),
      };
    },
    async loadJwks(tenantId) {
      const now = Date.now();
      const published = await repository.listPublished(tenantId);
      const signing = published.filter((k) => stateOf(k, now) === 'active');
      const verifyOnly = published.filter((k) => stateOf(k, now) !== 'active');
      const upcoming = published.flatMap((k) => [k.activatesAt, k.retiredAt, k.unpublishAt])
        .filter((at): at is Date => !!at && at.getTime() > now).map((at) => at.getTime());
      return {
        jwks: {
          keys: [...signing, ...verifyOnly].map((key) => {
            const jwk = JSON.parse(sealer.open(key.sealedJwk, context(tenantId, key.kid))) as JWK;
            return stateOf(key, now) === 'active' ? jwk : { ...jwk, key_ops: ['verify'] };
          }),
        },
        changesAt: upcoming.length ? new Date(Math.min(...upcoming)) : null,
      };
    },
    async listPublished(tenantId) {
      const now = Date.now();
      return (await repository.listPublished(tenantId)).map((k) => {
        const state = stateOf(k, now);
        return { kid: k.kid, alg: k.alg, state, active: state === 'active', createdAt: k.createdAt, activatesAt: k.activatesAt, retiredAt: k.retiredAt, unpublishAt: k.unpublishAt };
      });
    },
  };
}
