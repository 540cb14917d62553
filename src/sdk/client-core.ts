// The seam between the SDK's core and its separate imports (mfa, passkeys): what an extension builds on, under a
// Symbol.for key so that the core and an extension bundled apart still meet. Only types and one symbol live here,
// so an extension's bundle does not carry the core.
import type { AuthResult, Challenge, Session, User } from './client-types.js';
import type { HttpCall } from './http-call.js';

export type TokenAnswer = Omit<Session, 'user'> & { user?: User };
export type ChallengeAnswer = { status: 'challenge_required'; challenge: Challenge };

export interface ClientCore {
  call: HttpCall;
  /** a valid access token, refreshed first when due
   *  @throws TesseraError('sdk.not_signed_in') */
  accessToken(): Promise<string>;
  /** tokens → signed in (stored, announced); a challenge envelope → returned as it is */
  settle(answer: TokenAnswer | ChallengeAnswer): Promise<AuthResult>;
}

export const clientCore: unique symbol = Symbol.for('tessera.client.core') as never;

/** anything createClient made: an extension needs only its auth object and core */
export interface ExtensibleClient {
  auth: { getSession(): Promise<Session | null> };
  [clientCore]: ClientCore;
}
