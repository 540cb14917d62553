// `tessera/verify`: verify Tessera access tokens in a resource server (see README, "Verifying access tokens").
export { createVerifier, listOf, TokenVerificationError, type AccessTokenClaims, type Verifier, type VerifierOptions } from './verifier.js';
export { authorize, requireAuthFor, type Decision, type Requirements } from './require-auth.js';
