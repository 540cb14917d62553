// Recovery codes (issue #5): ten one-time codes, shown once, stored as HMACs under a key of the installation
// (a plain hash of a short code would fall to guessing), each usable once in place of any second factor.
import { createHmac, randomInt } from 'node:crypto';

const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'; // no 0/o, 1/l/i
export const RECOVERY_CODE_COUNT = 10;

function code(): string {
  const part = () => Array.from({ length: 5 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
  return `${part()}-${part()}`;
}

export function createRecoveryCodes(secret: string) {
  const hash = (tenantId: string, userId: string, value: string) =>
    createHmac('sha256', secret).update(`${tenantId}:${userId}:${normalise(value)}`).digest('base64url');
  return {
    /** a fresh set: the codes to show once, and their hashes to store */
    generate(tenantId: string, userId: string): { codes: string[]; hashes: string[] } {
      const codes = Array.from({ length: RECOVERY_CODE_COUNT }, code);
      return { codes, hashes: codes.map((c) => hash(tenantId, userId, c)) };
    },
    hash,
  };
}

/** as typed: case, spaces and dashes do not matter */
export function normalise(value: string): string {
  return value.toLowerCase().replace(/[\s-]/g, '').slice(0, 32);
}

export type RecoveryCodes = ReturnType<typeof createRecoveryCodes>;
