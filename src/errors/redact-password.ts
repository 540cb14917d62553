/** Removes a connection URL's password (raw and percent-decoded) from a driver's error text. */
export function redactPassword(message: string, url: string): string {
  let password = '';
  try {
    password = new URL(url).password;
  } catch {
    return message;
  }
  if (!password) return message;
  let decoded = password;
  try {
    decoded = decodeURIComponent(password);
  } catch {
    // a malformed escape: the raw form is all there is to hide
  }
  let out = message;
  for (const form of new Set([password, decoded])) out = out.split(form).join('***');
  return out;
}
