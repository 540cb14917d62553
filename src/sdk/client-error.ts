// The one error type of the app SDK: the REST auth API's `{error, message}` as a typed object, its code from the
// server's error catalogue (src/errors/error-catalogue.ts, imported as a type only: nothing of the server reaches a
// browser bundle), or one of the few codes the SDK raises itself before or instead of a request.
import type { ErrorCode } from '../errors/error-catalogue.js';

/** raised by the SDK itself: no answer, an answer that is not the API's, no session, no WebAuthn or Web Crypto in this
 *  runtime, a callback URL that is not a sign-in's */
export type SdkErrorCode =
  | 'sdk.network_error'
  | 'sdk.invalid_response'
  | 'sdk.not_signed_in'
  | 'sdk.session_lost'
  | 'sdk.disposed'
  | 'sdk.passkeys_unavailable'
  | 'sdk.passkey_cancelled'
  | 'sdk.pkce_unavailable'
  | 'sdk.invalid_callback';

export type TesseraErrorCode = ErrorCode | SdkErrorCode;

export class TesseraError extends Error {
  override readonly name = 'TesseraError';
  /** the catalogue code (`login.invalid_credentials`, `otp.invalid_code` …) or an `sdk.*` code */
  readonly code: TesseraErrorCode;
  /** the HTTP status, 0 when no answer came */
  readonly status: number;
  /** seconds from the Retry-After header of a rate-limited answer */
  readonly retryAfter: number | null;

  constructor(code: TesseraErrorCode, message: string, status = 0, retryAfter: number | null = null) {
    super(message);
    this.code = code;
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

export const isTesseraError = (value: unknown): value is TesseraError => value instanceof TesseraError;
