// What a new password must satisfy, following NIST SP 800-63B §5.1.1.2: a minimum length, a generous
// maximum, and no password from a list of commonly used ones; no composition rules.
import { createRequire } from 'node:module';

export type PasswordProblem = 'password.too_short' | 'password.too_long' | 'password.too_common';

export type PasswordPolicyResult = { ok: true } | { ok: false; code: PasswordProblem; message: string };

export const DEFAULT_MIN_PASSWORD_LENGTH = 8;
export const DEFAULT_MAX_PASSWORD_LENGTH = 128;

let commonPasswords: Set<string> | undefined;

/** ~49,000 passwords seen most often in breaches, all lower-case, from zxcvbn-ts's common dictionary.
 *  Loaded on first use, not at import: decompressing it takes tens of milliseconds and a few MB. */
function common(): Set<string> {
  if (!commonPasswords) {
    // The package ships CommonJS as its entry point; require keeps this check synchronous.
    const require = createRequire(import.meta.url);
    const { dictionary } = require('@zxcvbn-ts/language-common') as { dictionary: Record<string, string[]> };
    const list = dictionary['passwords-common'];
    if (!Array.isArray(list) || list.length < 10_000) {
      throw new Error('@zxcvbn-ts/language-common no longer ships the passwords-common list');
    }
    commonPasswords = new Set(list.map((p) => p.normalize('NFC').toLowerCase()));
  }
  return commonPasswords;
}

/**
 * Checks a new password (sign-up, reset, change). Lengths count Unicode code points of the NFC form, so an
 * emoji is one character and "é" is one whether typed precomposed or not. `context` holds values the user
 * is known by (email, name, username): the password may not equal any of them, nor an email's local part.
 */
export function checkPasswordPolicy(
  password: string,
  options: { minLength?: number; maxLength?: number; context?: string[] } = {},
): PasswordPolicyResult {
  const min = options.minLength ?? DEFAULT_MIN_PASSWORD_LENGTH;
  const max = options.maxLength ?? DEFAULT_MAX_PASSWORD_LENGTH;
  const normalized = password.normalize('NFC');
  const length = [...normalized].length;

  if (length < min) {
    return fail('password.too_short', `Your password needs at least ${min} characters.`);
  }
  if (length > max) {
    return fail('password.too_long', `Your password can have at most ${max} characters.`);
  }
  const lower = normalized.toLowerCase();
  if (contextValues(options.context ?? []).has(lower)) {
    return fail('password.too_common', 'Your password can’t be your email address or name. Choose something only you would know.');
  }
  if (common().has(lower)) {
    return fail('password.too_common', 'This password is one of the most commonly used ones and easy to guess. Please choose another.');
  }
  return { ok: true };
}

function contextValues(context: string[]): Set<string> {
  const values = new Set<string>();
  for (const raw of context) {
    const value = raw.normalize('NFC').trim().toLowerCase();
    if (!value) continue;
    values.add(value);
    const at = value.lastIndexOf('@');
    if (at > 0) values.add(value.slice(0, at));
  }
  return values;
}

function fail(code: PasswordProblem, message: string): PasswordPolicyResult {
  return { ok: false, code, message };
}
