// The answers of the backend OTP API: `{error, message}` from the one catalogue, and the token answer.
import { errorCatalogue, type ErrorCode } from '../errors/error-catalogue.js';
import type { Answer } from './idempotency.js';

export function errorAnswer(code: ErrorCode, message?: string, retryAfterSeconds?: number): Answer {
  return { status: errorCatalogue[code].status, body: { error: code, message: message ?? errorCatalogue[code].message }, ...(retryAfterSeconds ? { retryAfterSeconds } : {}) };
}

/** what the token endpoint answered, in this API's shape (RFC 6749 §5.1 names) */
export function tokenAnswer(tokens: Record<string, unknown>, user?: Record<string, unknown>): Answer {
  return {
    status: 200,
    body: {
      access_token: tokens.access_token, refresh_token: tokens.refresh_token, token_type: tokens.token_type, expires_in: tokens.expires_in,
      ...(user ? { user } : {}),
    },
  };
}
