// Turns anything thrown below into a clear answer: `{error, message}` JSON for programs, the branded error
// page for browsers. Unknown errors become 500 with a request id to quote; only they are logged as errors.
// A store outage, caught here or marked by the provider, ends as 503 with Retry-After (store-outage.ts).
import type { Context, Middleware } from 'koa';
import type { Logger } from 'pino';
import { AppError } from '../errors/app-error.js';
import { errorCatalogue, type ErrorCode } from '../errors/error-catalogue.js';
import { errorMessageKey } from '../i18n/catalogues/en.errors.js';
import { translatorFor, type PageTenant, type Pages } from './pages.js';
import { loggablePath } from './request-log.js';
import { errorBody, errorLanguage } from './error-language.js';
import { isDataException } from '../db/prisma-errors.js';
import { storeOutageOf } from '../store/store-outage.js';
import { answerStoreOutage } from './store-outage.js';

type PageTextSettings = NonNullable<NonNullable<PageTenant['settings']>['texts']>;
/** a catalogue text and its values */
interface PageText { key: string; vars?: Record<string, string> }
/** `details.pageTexts` of a refusal: its page's message and link label from the catalogue, in the visitor's language */
interface PageTexts { message?: PageText; linkLabel?: PageText }

const byStatus: Record<number, ErrorCode> = {
  400: 'request.invalid',
  404: 'route.not_found',
  405: 'route.method_not_allowed',
  413: 'request.too_large',
  415: 'request.unsupported_media_type',
};

/** the answer for what was thrown, or null when it is not a known kind of refusal (a 500) */
export function toAppError(error: unknown): AppError | null {
  if (error instanceof AppError) return error;
  if (storeOutageOf(error)) return new AppError('store.unavailable');
  const status = (error as { status?: unknown })?.status;
  if (typeof status === 'number' && byStatus[status]) return new AppError(byStatus[status]);
  // a value the database refused (SQLSTATE 22xxx) came from the request: its fault, not ours
  if (isDataException(error)) return new AppError('request.invalid', 'A value in the request cannot be stored or compared (out of range or holding a NUL character).');
  return null;
}

export function wantsHtml(ctx: Context): boolean {
  // the Management API answers JSON whatever a browser prefers
  if (ctx.path === '/api' || ctx.path.startsWith('/api/')) return false;
  return ctx.accepts('json', 'html') === 'html';
}

export function errorHandler(deps: { logger: Logger; pages: Pages }): Middleware {
  /** the answer for what was thrown below (or for a route nobody answered), then the store-outage answer */
  async function answerError(ctx: Context, thrown: unknown): Promise<void> {
    const known = toAppError(thrown);
    const error = known ?? new AppError('internal.error');
    const outage = storeOutageOf(thrown);
    if (outage) ctx.state.storeOutage = outage;
    if (!known) deps.logger.error({ err: thrown, requestId: ctx.state.requestId, path: loggablePath(ctx.path) }, 'unhandled error');
    // validation should have refused it: worth a look, but the caller's mistake
    else if (isDataException(thrown)) deps.logger.warn({ requestId: ctx.state.requestId, path: loggablePath(ctx.path) }, 'database refused a value from the request');
    ctx.set('Cache-Control', 'no-store');
    // a refusal that knows when to come back (a Koa-free service's auth.rate_limited) says so
    const retry = error.details?.retryAfterSeconds;
    if (typeof retry === 'number' && retry > 0) ctx.set('Retry-After', String(Math.ceil(retry)));
    if (wantsHtml(ctx)) {
      const tenant = (ctx.state.tenant as PageTenant | undefined) ?? null;
      const { t } = translatorFor(ctx, tenant);
      const heading = error.status >= 500 ? 'error.titleServer' : 'error.title';
      // the catalogue's own message reads in the page's language; a message written for this one case stays as written
      const own = error.message !== errorCatalogue[error.code].message;
      const texts = (error.details?.pageTexts ?? {}) as PageTexts;
      const link = (error.details?.link ?? null) as { href: string; label: string } | null;
      await deps.pages.render(ctx, 'error', {
        tenant, title: heading, status: error.status,
        data: {
          heading: t(heading),
          message: texts.message ? t(texts.message.key, texts.message.vars) : own ? error.message : t(errorMessageKey(error.code)),
          requestId: ctx.state.requestId ?? null, backUrl: null,
          link: link && texts.linkLabel ? { ...link, label: t(texts.linkLabel.key, texts.linkLabel.vars) } : link,
        },
      });
    } else {
      const texts = (ctx.state.errorTexts as PageTextSettings | undefined) ?? (ctx.state.tenant as PageTenant | undefined)?.settings?.texts;
      const locale = errorLanguage(ctx, texts?.defaultLocale ?? 'en');
      ctx.status = error.status;
      ctx.set('Content-Language', locale);
      ctx.vary('Accept-Language');
      ctx.body = errorBody(error, locale, texts?.overrides);
    }
    answerStoreOutage(ctx);
  }

  /** a request answered without a throw: a bare 404, 405 or 501 still gets the error answer */
  function answered(ctx: Context): Promise<void> | undefined {
    if (ctx.status === 404 && ctx.body == null) return answerError(ctx, new AppError('route.not_found'));
    // @koa/router's allowedMethods answers a known path with a wrong (405) or unknown (501) method by a bare
    // status that Koa would send as text/plain: give it the same JSON/page answer as every other error.
    if ((ctx.status === 405 || ctx.status === 501) && ctx.body == null) return answerError(ctx, new AppError('route.method_not_allowed'));
    answerStoreOutage(ctx);
    return undefined;
  }

  // not async: one promise per request instead of an async function's two and its frame (docs/benchmarks.md)
  return function handleErrors(ctx, next) {
    return next().then(() => answered(ctx), (thrown: unknown) => answerError(ctx, thrown));
  };
}
