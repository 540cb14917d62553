// Phone numbers as people type them → E.164, the one form we store, hash, rate-limit and send to.
// libphonenumber-js with its complete ("max") metadata: the default "min" set only checks lengths, and a number
// that merely has the right length costs an SMS and a provider's error before we learn it is not real.
// It loads with the first number read, not with the app: about 90 modules and 0.1 CPU-second that a process which
// never reads a phone number (most CLI commands, most servers in the tests) would spend at start.
import { createRequire } from 'node:module';
import type { CountryCode } from 'libphonenumber-js/max';

export type { CountryCode };

type PhoneLibrary = typeof import('libphonenumber-js/max');
let library: PhoneLibrary | undefined;
// the package's CommonJS build, as a require() loads it at once where the callers need an answer at once
const phoneLibrary = (): PhoneLibrary => (library ??= createRequire(import.meta.url)('libphonenumber-js/max') as PhoneLibrary);

/** Digits with the usual separators and one leading '+'; no letters (vanity numbers, "ext."), no text around it. */
const TYPED_NUMBER = /^\+?[\d\s().\-/]+$/;
const MAX_INPUT_LENGTH = 32;

/**
 * @param defaultCountry how to read national formats ("098765 43210" with 'IN') and that country's
 *   international prefix ("0044…" with 'IN', "011 44…" with 'US'); without it only "+…" is understood
 * @returns the E.164 form (`+919876543210`), or null when the input is not a valid phone number
 */
export function normalisePhone(input: string, defaultCountry?: CountryCode): string | null {
  const typed = input.trim();
  // libphonenumber-js happily extracts a number from surrounding text ("call me +1…") and ignores extensions;
  // an identifier must be the number and nothing else.
  if (typed.length === 0 || typed.length > MAX_INPUT_LENGTH || !TYPED_NUMBER.test(typed)) return null;
  const parsed = phoneLibrary().parsePhoneNumberFromString(typed, defaultCountry ? { defaultCountry } : undefined);
  if (!parsed || !parsed.isValid()) return null;
  return parsed.number;
}

/** The country calling code of an E.164 number with its '+', e.g. '+91'; throws when it is not E.164. */
export function callingCode(e164: string): string {
  const parsed = /^\+\d{6,15}$/.test(e164) ? phoneLibrary().parsePhoneNumberFromString(e164) : undefined;
  if (!parsed) throw new Error('callingCode: not an E.164 number');
  return `+${parsed.countryCallingCode}`;
}
