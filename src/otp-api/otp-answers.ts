// The answers of the backend OTP API: `{error, message}` from the one catalogue, and the token answer.
import { errorCatalogue, type ErrorCode } from '../errors/error-catalogue.js';
import type { Answer } from './idempotency.js';
import { AppError } from '../errors/app-error.js';
import { errorBody, errorLanguage } from '../http/error-language.js';
import type { Locale, TextOverrides } from '../i18n/i18n.js';

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

/**
 * An error answer in the caller's language (http/error-language.ts: locale, ui_locales, Accept-Language, then the
 * tenant's default), before it is stored for a retry; every other answer as it is.
 */
export function answerInLanguage(ctx: Parameters<typeof errorLanguage>[0], answer: Answer, texts: { defaultLocale: Locale; overrides: TextOverrides }): Answer {
  const body = answer.body as { error?: unknown; message?: unknown } | null;
  if (answer.status < 400 || !body || typeof body.error !== 'string' || !(body.error in errorCatalogue)) return answer;
  const error = new AppError(body.error as ErrorCode, typeof body.message === 'string' ? body.message : undefined);
  return { ...answer, body: errorBody(error, errorLanguage(ctx, texts.defaultLocale), texts.overrides) };
}
