// `tessera/verify`: verify Tessera access tokens in a resource server (see README, "Verifying access tokens"), and Tessera
// license tokens and keys on a device (README, "Software licenses").
export { createVerifier, listOf, TokenVerificationError, type AccessTokenClaims, type Verifier, type VerifierOptions } from './verifier.js';
export { authorize, requireAuthFor, type Decision, type Requirements } from './require-auth.js';
export { createDeactivationReceipt, deviceFingerprintHash, LicenseVerificationError, verifyLicense, verifyLicenseAnswer, type LicenseClaims, type LicenseVerificationCode, type LicenseVerifyOptions } from './license-verifier.js';
export { checkLicenseKey, licenseKeyAlphabet, type LicenseKeyCheck } from './license-key-format.js';
