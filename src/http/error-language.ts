// The `{error, message}` body of a refusal on our JSON endpoints, in the caller's language (issue #14). The language
// is chosen as for the messages a call sends (request-info.ts messageRequest): the call's `locale`, then its
// `ui_locales` (query parameters, or fields of a JSON or form body), then Accept-Language, then `fallback` (the tenant's
// default language where the tenant is known, else English). The `error` code never changes. English is the
// catalogue's reference text; another language gets the catalogue's message for the code, and a message written for
// this one case (naming a field, a limit, an attempt count) stays with the caller as `detail`, in English.
import type { Context } from 'koa';
import type { AppError } from '../errors/app-error.js';
import { errorCatalogue } from '../errors/error-catalogue.js';
import { chooseLocale } from '../i18n/choose-locale.js';
import { translator, type Locale, type TextOverrides } from '../i18n/i18n.js';
import { errorMessageKey } from '../i18n/catalogues/en.errors.js';

export interface ErrorBody { error: string; message: string; detail?: string }

const asked = (source: unknown, name: string): string => {
  const value = source && typeof source === 'object' ? (source as Record<string, unknown>)[name] : undefined;
  // a malformed language field cannot refuse a refusal: it is passed over
  return typeof value === 'string' && value.length <= 200 ? value : '';
};

/** the language the caller asked for, or `fallback` */
export function errorLanguage(ctx: Pick<Context, 'query' | 'get' | 'state' | 'request'>, fallback: Locale): Locale {
  const body = ctx.state.jsonBody ?? ctx.request.body;
  const tags = (['locale', 'ui_locales'] as const).flatMap((name) => [asked(ctx.query, name), asked(body, name)]);
  return chooseLocale({ uiLocales: tags.filter(Boolean).join(' '), acceptLanguage: ctx.get('Accept-Language'), tenantDefault: fallback });
}

/** the answer's body for `error` in `locale`, the tenant's own texts on top */
export function errorBody(error: AppError, locale: Locale, overrides?: TextOverrides): ErrorBody {
  if (locale === 'en') return { error: error.code, message: error.message };
  const message = translator(locale, overrides).t(errorMessageKey(error.code));
  const specific = error.message !== errorCatalogue[error.code].message;
  return { error: error.code, message, ...(specific ? { detail: error.message } : {}) };
}
