// Email addresses as every door takes them (hosted pages, JSON APIs, settings, the console): trimmed, lower-case,
// one plausible address, no control characters. Kept here, below every feature folder, so none imports another
// just to read an address.

const emailPattern = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]+$/;

/** @returns the normalised email (trimmed, lower-case) or null when it is not an address */
export function normaliseEmail(input: string): string | null {
  const email = input.trim().toLowerCase();
  // no address holds control characters (and PostgreSQL text cannot hold NUL)
  return email.length <= 254 && emailPattern.test(email) && !/[\u0000-\u001f\u007f]/.test(email) ? email : null;
}
