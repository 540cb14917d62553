// Encryption at rest for signing keys and client secrets: AES-256-GCM under a key derived (HKDF-SHA256)
// from the configured key-encryption secret. The sealed form names its key so old secrets can still open.
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';

export interface Sealer {
  /** `context` is bound as associated data: a value sealed for one row cannot be opened as another */
  seal(plaintext: string, context: string): string;
  /** @throws Error('crypto.unseal_failed') when no configured key opens the value or it was tampered with */
  open(sealed: string, context: string): string;
}

const tagLength = 16;

interface DerivedKey { id: string; key: Buffer }

/**
 * HKDF-SHA256 (RFC 5869) of 32 bytes, the same bytes as `hkdfSync('sha256', secret, salt, info, 32)`: one output
 * block is two HMACs, which cost a third of what hkdfSync's key objects do — and a refresh derives one (the reuse
 * interval seals its answer under a key from the presented token: refresh-token-reuse.ts).
 */
export function hkdf32(secret: string, salt: string, info: string): Buffer {
  const prk = createHmac('sha256', salt).update(secret).digest();
  return createHmac('sha256', prk).update(info).update(Buffer.of(1)).digest();
}

function derive(secret: string): DerivedKey {
  const key = hkdf32(secret, 'tessera', 'tessera key encryption v1');
  const id = createHash('sha256').update(key).digest('base64url').slice(0, 8);
  return { id, key };
}

/** @param secrets current secret first; the others only open values sealed before a rotation */
export function createSealer(secrets: readonly string[]): Sealer {
  if (!secrets.length) throw new Error('createSealer needs at least one secret');
  const keys = secrets.map(derive);
  const current = keys[0]!;
  return {
    seal(plaintext, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current.key, iv, { authTagLength: tagLength });
      cipher.setAAD(Buffer.from(context));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return ['v1', current.id, iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
    },
    open(sealed, context) {
      const parts = sealed.split('.');
      const [version, id, iv, body, tag] = parts;
      const key = keys.find((k) => k.id === id);
      if (parts.length !== 5 || version !== 'v1' || !key || !iv || body === undefined || !tag) throw new Error('crypto.unseal_failed');
      try {
        // Without authTagLength, GCM in Node accepts a tag truncated to 4 bytes: a forger would need only 2^32 tries.
        const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(iv, 'base64url'), { authTagLength: tagLength });
        decipher.setAAD(Buffer.from(context));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        throw new Error('crypto.unseal_failed');
      }
    },
  };
}

/** SHA-256, base64url: how token ids and other one-time secrets are stored. */
export function digest(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

/** a purpose-bound key derived from a configured secret (HKDF-SHA256), so one secret never serves two jobs */
export function deriveSecret(secret: string, purpose: string): string {
  return hkdf32(secret, 'tessera', purpose).toString('base64url');
}
