// The shape of a license key, shared by the server and by the apps that let people type one (exported by
// `tessera/verify`): 25 characters in five groups of five, e.g. `7KQ4M-XW2PD-9HRTB-CN3VE-LUG8A`. The alphabet has no
// 0/O or 1/I, so nothing reads as anything else; 24 random characters carry 120 bits, and the last one is a check
// character (Luhn mod 32), which catches every single mistyped character and every swap of two neighbours (but
// 2↔Z, the alphabet's first and last) before the app calls the server. Pure code with no imports: it runs in a
// browser or an app as it is.

export const licenseKeyAlphabet = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
const groups = 5;
const groupLength = 5;
const payloadLength = groups * groupLength - 1;

function codePoint(char: string): number {
  return licenseKeyAlphabet.indexOf(char);
}

/** the Luhn mod N check character of `payload` (characters of the alphabet) */
function checkCharacter(payload: string): string {
  const n = licenseKeyAlphabet.length;
  let factor = 2;
  let sum = 0;
  for (let i = payload.length - 1; i >= 0; i--) {
    let addend = factor * codePoint(payload[i]!);
    factor = factor === 2 ? 1 : 2;
    addend = Math.floor(addend / n) + (addend % n);
    sum += addend;
  }
  return licenseKeyAlphabet[(n - (sum % n)) % n]!;
}

function grouped(compact: string): string {
  return compact.match(new RegExp(`.{${groupLength}}`, 'g'))!.join('-');
}

/** a new random key, grouped */
export function generateLicenseKey(): string {
  const random = new Uint8Array(payloadLength);
  crypto.getRandomValues(random);
  // 256 is a multiple of 32: every character is equally likely
  const payload = Array.from(random, (byte) => licenseKeyAlphabet[byte % licenseKeyAlphabet.length]).join('');
  return grouped(payload + checkCharacter(payload));
}

export type LicenseKeyCheck =
  | { readonly ok: true; readonly key: string }
  | { readonly ok: false; readonly reason: 'length' | 'character' | 'check' };

/**
 * Checks what a person typed, before any round trip: case, blanks and hyphens do not matter. `key` is the canonical
 * grouped form to send. `reason`: `length` (not 25 characters), `character` (one outside the alphabet, such as 0, O,
 * 1 or I), `check` (a typo: the check character does not match).
 */
export function checkLicenseKey(typed: string): LicenseKeyCheck {
  const compact = typed.toUpperCase().replace(/[\s-]+/g, '');
  if (compact.length !== payloadLength + 1) return { ok: false, reason: 'length' };
  if ([...compact].some((char) => codePoint(char) < 0)) return { ok: false, reason: 'character' };
  if (checkCharacter(compact.slice(0, payloadLength)) !== compact[payloadLength]) return { ok: false, reason: 'check' };
  return { ok: true, key: grouped(compact) };
}
