// `tessera/client`: the app SDK's core. MFA management is `tessera/client/mfa`, passkeys `tessera/client/passkeys`.
export { createClient, type TesseraClient } from './create-client.js';
export { clientCore, type ClientCore } from './client-core.js';
export { TesseraError, isTesseraError, type TesseraErrorCode, type SdkErrorCode } from './client-error.js';
export { memoryStorage } from './session-keeper.js';
export type * from './client-types.js';
