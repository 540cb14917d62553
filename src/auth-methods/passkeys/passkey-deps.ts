// What the passkey routes need, shared by the sign-in ceremonies (passkey.routes.ts) and the account page
// (passkey-account.routes.ts).
import type { PasskeysRepository } from '../../db/passkeys.repository.js';
import type { RateLimiter } from '../../store/rate-limiter.js';
import type { AuthMethodDeps } from '../auth-method-deps.js';
import type { MfaGate } from '../mfa/mfa-gate.js';

export type PasskeyDeps = Pick<AuthMethodDeps, 'ix' | 'users' | 'audit' | 'store' | 'publicOrigin'> & {
  passkeys: PasskeysRepository;
  limiter: RateLimiter;
  gate: MfaGate;
};
