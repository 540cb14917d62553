// What the audit log and the limits record of a request: its client address (trust-proxy aware, client-address.ts)
// and its User-Agent. One helper for every door (hosted pages, account pages, JSON APIs).
import type { Context } from 'koa';
import { AppError } from '../errors/app-error.js';
import { chooseLocale } from '../i18n/choose-locale.js';
import type { Locale } from '../i18n/i18n.js';

export interface RequestInfo { ip: string; userAgent: string | null }

export function requestInfo(ctx: Pick<Context, 'ip' | 'get'>): RequestInfo {
  return { ip: ctx.ip, userAgent: ctx.get('User-Agent') || null };
}

/**
 * requestInfo and the language of the email or SMS a JSON API call sends (issue #14), chosen as a hosted page's
 * (i18n/choose-locale.ts): the call's own `locale`, then its `ui_locales` (body fields, or query parameters of a GET;
 * language tags, space-separated by preference), then Accept-Language, then `fallback` — the tenant's default language,
 * or the language a challenge was started in. A tag Tessera does not ship is passed over.
 * @throws AppError('request.invalid') when `locale` or `ui_locales` is not a string of at most 200 characters
 */
export function messageRequest(ctx: Pick<Context, 'ip' | 'get'>, fields: Record<string, unknown>, fallback: Locale): RequestInfo & { locale: Locale } {
  const asked = (['locale', 'ui_locales'] as const).map((name) => {
    const value = fields[name];
    if (value === undefined) return '';
    if (typeof value !== 'string' || value.length > 200) throw new AppError('request.invalid', `Send "${name}" as a language tag string, e.g. "es" or "pt-BR".`);
    return value;
  });
  return { ...requestInfo(ctx), locale: chooseLocale({ uiLocales: asked.join(' '), acceptLanguage: ctx.get('Accept-Language'), tenantDefault: fallback }) };
}
