// JWT access tokens (RFC 9068) are not stored, so revoking one (RFC 7009) records its `jti` here until the token
// expires by itself. Everything in Tessera that accepts a JWT access token asks this list: introspection, the
// permissions check and the Management API. Resource servers that verify offline cannot see it (README).
import type { KvStore } from '../store/kv-store.js';

// a token is checked with no clock tolerance, but a verifier elsewhere may allow some
const clockSkewSeconds = 300;

export interface RevokedAccessTokens {
  /** denies the token `jti` of the tenant until `exp` (seconds since the epoch) has passed */
  revoke(tenantId: string, jti: string, exp: number): Promise<void>;
  isRevoked(tenantId: string, jti: string): Promise<boolean>;
}

export function createRevokedAccessTokens(store: KvStore): RevokedAccessTokens {
  const keyOf = (tenantId: string, jti: string) => `revoked-jwt:${tenantId}:${jti}`;
  return {
    async revoke(tenantId, jti, exp) {
      const remaining = Math.ceil(exp - Date.now() / 1000);
      if (remaining <= 0) return;
      await store.set(keyOf(tenantId, jti), '1', remaining + clockSkewSeconds);
    },
    async isRevoked(tenantId, jti) {
      return (await store.get(keyOf(tenantId, jti))) !== null;
    },
  };
}
