// Development tokens (issue #19): one `tessera_dev_<kid>_<mac>` string per (tenant, secret), an HMAC-SHA256 of
// the tenant's slug and a key id under TESSERA_DEV_SECRET. The key id is derived from the secret, so a new
// secret makes every earlier token unknown. Pure and dependency-free: tessera/verify imports it too.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const developmentTokenPrefix = 'tessera_dev_';

/** the key id of a secret: the first 12 hex digits of its SHA-256 (names the secret, reveals nothing of it) */
export function developmentKeyId(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 12);
}

function mac(tenant: string, kid: string, secret: string): Buffer {
  return createHmac('sha256', secret).update(`tessera-dev-token\0${tenant}\0${kid}`).digest();
}

/** the one development token of `tenant` under `secret` */
export function mintDevelopmentToken(tenant: string, secret: string): string {
  const kid = developmentKeyId(secret);
  return `${developmentTokenPrefix}${kid}_${mac(tenant, kid, secret).toString('base64url')}`;
}

export const looksLikeDevelopmentToken = (token: string): boolean => token.startsWith(developmentTokenPrefix);

/** whether `token` is the development token of `tenant` under `secret` (compared in constant time) */
export function isDevelopmentToken(token: string, tenant: string, secret: string): boolean {
  const match = /^tessera_dev_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match || match[1] !== developmentKeyId(secret)) return false;
  return timingSafeEqual(Buffer.from(match[2]!, 'base64url'), mac(tenant, match[1]!, secret));
}
