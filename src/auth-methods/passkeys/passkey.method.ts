// A passkey as a way in (AuthMethod): WebAuthn without a password (issue #5), offered when the tenant allows passkey
// sign-in and passkeys as a factor. The ceremony runs in the browser (views/assets/passkeys.js) against
// passkey.routes.ts; a key the authenticator unlocked (user verification) proves `hwk` and `mfa` at once. A passkey
// as the second factor of a transaction is passkey-factor.method.ts (id `passkey`, the factor name policies use).
import type { AuthMethod } from '../auth-method.js';

export function createPasskeyMethod(): AuthMethod {
  return {
    id: 'passkey_sign_in',
    amr: ['hwk'],
    factor: 'first',
    availableFor: (tenant) => tenant.settings.signIn.methods.passkey && tenant.settings.mfa.factors.passkey,
    loginPage: { flag: 'passkey', path: '/passkey', label: 'login.passkey' },
  };
}
