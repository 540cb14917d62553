// What every hosted-flow route needs: the interaction of this browser, its tenant, CSRF, rendering in the
// tenant's branding, and handing a result back to oidc-provider. The interaction cookie binds a flow to the
// browser that started it: `load` finds nothing in any other browser.
import { koaBody } from 'koa-body';
import type { Context, Middleware } from 'koa';
import { AppError } from '../errors/app-error.js';
import { inputProblem } from '../validation/input-rules.js';
import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';
import { translatorFor, type Pages } from '../http/pages.js';
import type { ResolvedTenant } from '../http/tenant-routes.js';
import type { Csrf } from './csrf.js';
import { ACR_MFA, ACR_SINGLE } from '../oidc/step-up-policy.js';

export type Details = Awaited<ReturnType<Provider['interactionDetails']>>;
export type InteractionResult = Parameters<Provider['interactionResult']>[2];

const parseForm = koaBody({ urlencoded: true, json: false, multipart: false, formLimit: '16kb', text: false });

/**
 * form bodies of the hosted pages and the console: urlencoded only, small, and refused as a whole when any field holds
 * what no field may (a NUL, input-rules.ts) — before a handler stores it, sends a code for it or compares it
 */
export const formBody: Middleware = (ctx, next) => parseForm(ctx, async () => {
  if (inputProblem(ctx.request.body)) throw new AppError('request.invalid', unusableCharacter);
  await next();
});

export const unusableCharacter = 'What was sent holds a character that cannot be used (NUL). Go back and correct it.';

export function field(ctx: Context, name: string): string {
  const value = (ctx.request.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

/**
 * Runs as every sign-in of an interaction is handed back, whatever the method: may do what was waiting for the
 * user to prove who they are (link an upstream account) and returns the amr to record (RFC 8176) — or, when the
 * sign-in must not finish yet (a second factor is due), where to send the browser instead.
 */
export type BeforeLogin = (ctx: Context, login: { tenantId: string; uid: string; accountId: string; amr: string[] }) => Promise<string[] | { redirect: string }>;

/** records the language a user's sign-in pages were shown in (issue #14): emails an operator sends them use it */
export type RememberLocale = (tenantId: string, userId: string, locale: string) => Promise<void>;

export function createInteractionContext(deps: { pages: Pages; csrf: Csrf; beforeLogin?: BeforeLogin; rememberLocale?: RememberLocale }) {
  const tenantOf = (ctx: Context) => ctx.state.tenant as ResolvedTenant;
  /** /t/{slug}/interaction/{uid}: where this interaction's pages live */
  const base = (ctx: Context) => `/t/${tenantOf(ctx).slug}/interaction/${ctx.params.uid}`;

  return {
    tenantOf,
    base,
    /** the interaction of this browser, or null when it expired or belongs to another browser */
    async load(ctx: Context): Promise<Details | null> {
      // read once a request: the sign-in's post loads it, then the MFA gate asks again (finish() forgets it)
      const read = ctx.state.interactionRead as Details | undefined;
      if (read) return read.uid === ctx.params.uid ? read : null;
      try {
        const details = await ctx.state.provider!.interactionDetails(ctx.req, ctx.res);
        ctx.state.interactionRead = details;
        if (details.uid !== ctx.params.uid) return null;
        // the app's preferred languages decide this sign-in's pages (i18n/choose-locale.ts)
        if (typeof details.params.ui_locales === 'string') ctx.state.uiLocales = details.params.ui_locales;
        return details;
      } catch (error) {
        if (error instanceof errors.SessionNotFound) return null;
        throw error;
      }
    },
    async expired(ctx: Context): Promise<void> {
      await deps.pages.render(ctx, 'expired', { tenant: tenantOf(ctx), title: 'expired.title', status: 400, data: { backUrl: null } });
    },
    async clientName(ctx: Context, details: Details): Promise<string> {
      const client = await ctx.state.provider!.Client.find(String(details.params.client_id));
      return client?.clientName ?? String(details.params.client_id);
    },
    /** the CSRF token of an interaction's forms (bound to its uid) */
    csrfToken: (details: Pick<Details, 'uid'>) => deps.csrf.token(details.uid),
    /** @throws AppError('request.csrf_failed') */
    verifyCsrf(ctx: Context, details: Pick<Details, 'uid'>): void {
      deps.csrf.verify(ctx, details.uid, field(ctx, '_csrf'));
    },
    /** `title` is a catalogue key */
    async render(ctx: Context, view: string, options: { title: string; status?: number; refreshSeconds?: number; data: Record<string, unknown> }): Promise<void> {
      await deps.pages.render(ctx, view, { tenant: tenantOf(ctx), title: options.title, status: options.status, refreshSeconds: options.refreshSeconds, data: options.data });
    },
    /** this request's words, for a message a handler puts on a page (after load(), in the sign-in's language) */
    t: (ctx: Context, key: string, vars?: Record<string, string | number>) => translatorFor(ctx, tenantOf(ctx)).t(key, vars),
    /** this request's translator (its language, plain and HTML forms) */
    words: (ctx: Context) => translatorFor(ctx, tenantOf(ctx)),
    /** hands the result to oidc-provider and follows it back to the authorization request */
    async finish(ctx: Context, result: InteractionResult, merge = false): Promise<void> {
      const login = result.login as { accountId: string; amr?: string[]; acr?: string } | undefined;
      if (login && deps.beforeLogin) {
        const decided = await deps.beforeLogin(ctx, { tenantId: tenantOf(ctx).id, uid: String(ctx.params.uid), accountId: login.accountId, amr: login.amr ?? [] });
        if (!Array.isArray(decided)) {
          ctx.status = 303;
          return ctx.redirect(decided.redirect);
        }
        login.amr = decided;
      }
      // a sign-in (or the sign-in that ends a sign-up) in these pages' language: the user's language from now on
      if (login && deps.rememberLocale) await deps.rememberLocale(tenantOf(ctx).id, login.accountId, translatorFor(ctx, tenantOf(ctx)).locale);
      // acr says how many factors the sign-in had (a step-up is asked for by acr_values)
      if (login) login.acr ??= login.amr?.includes('mfa') ? ACR_MFA : ACR_SINGLE;
      ctx.state.interactionRead = undefined;
      const location = await ctx.state.provider!.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: merge });
      ctx.status = 303;
      ctx.redirect(location);
    },
    /** the Post/Redirect/Get step back to a page of this interaction */
    seeOther(ctx: Context, path: string): void {
      ctx.status = 303;
      ctx.redirect(`${base(ctx)}${path}`);
    },
  };
}

export type InteractionContext = ReturnType<typeof createInteractionContext>;
