// What every console page needs: the signed-in operator and what they may do, rendering inside the console's
// layout in the operator's language, CSRF, tenant access, the audit entry of a write, and POST-redirect-GET with a
// flash message. The console's language (issue #14): the `ui_locales` the operator opened /admin/sign-in with, then
// Accept-Language, then the system tenant's default language; its words are the catalogues' `console.*` texts, with
// the system tenant's own texts on top.
import type { Context } from 'koa';
import type { Services } from '../services.js';
import type { PageRenderer } from '../http/page-renderer.js';
import type { Csrf } from '../interactions/csrf.js';
import { field } from '../interactions/interaction-context.js';
import type { TenantSummary } from '../tenants/tenants.service.js';
import { systemSlug } from '../tenants/issuer.js';
import { AppError } from '../errors/app-error.js';
import { recordAdminAction } from '../audit/admin-actions.js';
import type { AdminSessionRecord, AdminSessions } from './admin-session.js';
import { mayActOn, type TenantAccess } from '../management/operator-access.js';
import { keepsOutbox, outboxPermission } from './outbox-access.js';
import { chooseLocale } from '../i18n/choose-locale.js';
import { translator, type Translator, type Vars } from '../i18n/i18n.js';
import { errorCatalogue } from '../errors/error-catalogue.js';
import { errorMessageKey } from '../i18n/catalogues/en.errors.js';

export interface Operator {
  userId: string;
  /** what the layout shows: email, phone or name */
  label: string;
  session: AdminSessionRecord;
  roles: string[];
  /** Management API permissions of the operator's roles, e.g. `users:write` */
  permissions: ReadonlySet<string>;
  /** slugs the operator may manage; null = every tenant (operator-access.ts decides) */
  tenants: TenantAccess;
}

export interface AdminDeps {
  services: Services;
  sessions: AdminSessions;
  csrf: Csrf;
  /** renders views/admin/<view>.ejs */
  adminViews: PageRenderer;
  /** renders the hosted pages (the branding preview) */
  hostedViews: PageRenderer;
  publicUrl: URL;
}

export const adminAssets = '/admin/assets';

/** a flash message: text already in the operator's language, or a catalogue key and its values */
export type ConsoleMessage = string | { key: string; vars?: Vars };

/**
 * A refusal the console words itself: the AppError carries the catalogue key of its text (English `message` for
 * every other reader).
 */
export function consoleRefusal(code: ConstructorParameters<typeof AppError>[0], key: string, english: string, vars: Vars = {}): AppError {
  return new AppError(code, english, { consoleText: { key, vars } });
}

/**
 * What a refusal says on a console page: the console's own text for it, else in English the message as thrown, else
 * the catalogue's message for the code in the operator's language (with a message written for this one case after it,
 * in English).
 */
export function refusalText(error: AppError, words: Translator): string {
  const own = error.details?.consoleText as { key: string; vars?: Vars } | undefined;
  if (own) return words.t(own.key, own.vars);
  if (words.locale === 'en') return error.message;
  const translated = words.t(errorMessageKey(error.code));
  return error.message === errorCatalogue[error.code].message ? translated : `${translated} (${error.message})`;
}

// Scripts only from our origin (progressive enhancement files under views/assets), never inline; forms post only
// here; the console is never framed (the branding preview frames one page of its own: branding.routes.ts).
const consoleCsp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export function createAdminKit(deps: AdminDeps) {
  const operatorOf = (ctx: Context): Operator => {
    const operator = ctx.state.operator as Operator | undefined;
    if (!operator) throw new AppError('auth.unauthorized');
    return operator;
  };
  const can = (operator: Operator, permission: string) => operator.permissions.has(permission);
  const mayManage = (operator: Operator, slug: string) => mayActOn(operator.tenants, slug);

  /** this request's words (cached on the request) */
  async function words(ctx: Context): Promise<Translator> {
    if (ctx.state.consoleWords) return ctx.state.consoleWords as Translator;
    const operator = ctx.state.operator as Operator | undefined;
    const texts = (await deps.services.providers.get(systemSlug))?.tenant.settings.texts;
    const locale = chooseLocale({ uiLocales: operator?.session.uiLocales, acceptLanguage: ctx.get('Accept-Language'), tenantDefault: texts?.defaultLocale ?? 'en' });
    const made = translator(locale, texts?.overrides);
    ctx.state.consoleWords = made;
    return made;
  }

  /** `title` is a catalogue key (with `titleVars`), or the page's own text in `titleText` (a user's email) */
  async function render(ctx: Context, view: string, options: { title: string; titleVars?: Vars; titleText?: string; status?: number; tenant?: TenantSummary | null; section?: string; framesPreview?: boolean; data?: Record<string, unknown> }) {
    const operator = ctx.state.operator as Operator | undefined;
    const flash = operator ? await deps.sessions.takeFlash(operator.session) : null;
    const { t, th, locale } = await words(ctx);
    const html = await deps.adminViews.render(view, {
      t, th,
      page: { title: options.titleText ?? t(options.title, options.titleVars), lang: locale, assetsUrl: '/assets', adminAssets, section: options.section ?? '' },
      operator: operator ? { label: operator.label, roles: operator.roles, can: (p: string) => can(operator, p) } : null,
      csrfToken: operator ? deps.csrf.token(`admin:${operator.session.id}`) : '',
      flash,
      tenant: options.tenant ? {
        slug: options.tenant.slug, name: options.tenant.name, base: `/admin/tenants/${options.tenant.slug}`,
        outbox: !!operator && can(operator, outboxPermission) && keepsOutbox(deps.services.config.env, options.tenant),
      } : null,
      ...options.data,
    });
    ctx.status = options.status ?? 200;
    ctx.set('Content-Language', locale);
    ctx.vary('Accept-Language');
    ctx.set('Content-Security-Policy', options.framesPreview ? `${consoleCsp}; frame-src 'self'` : consoleCsp);
    ctx.type = 'html';
    ctx.body = html;
  }

  return {
    deps,
    services: deps.services,
    operatorOf,
    can,
    render,
    words,
    /** a refusal's text for a form or a flash (refusalText); rethrows what is no refusal (a 500) */
    async formError(ctx: Context, error: unknown): Promise<string> {
      if (error instanceof AppError && error.status < 500) return refusalText(error, await words(ctx));
      throw error;
    },
    /**
     * A tenant the operator may see, with `permission` held when given.
     * @throws AppError('tenant.not_found' | 'tenant.forbidden' | 'auth.forbidden')
     */
    async tenant(ctx: Context, permission?: string): Promise<TenantSummary> {
      const operator = operatorOf(ctx);
      const slug = String(ctx.params.slug ?? '');
      if (!mayManage(operator, slug)) throw new AppError('tenant.forbidden');
      if (permission) this.require(ctx, permission);
      // the installation's own operators are managed with operators:write, not with the tenant scopes alone
      if (slug === systemSlug && permission?.endsWith(':write') && !can(operator, 'operators:write')) throw new AppError('auth.forbidden');
      return deps.services.tenants.get(slug);
    },
    /** @throws AppError('auth.forbidden') */
    require(ctx: Context, permission: string): void {
      if (!can(operatorOf(ctx), permission)) throw consoleRefusal('auth.forbidden', 'console.common.forbidden', `Your operator role does not allow this (${permission} is needed).`, { permission });
    },
    /** @throws AppError('request.csrf_failed') */
    verifyCsrf(ctx: Context): void {
      deps.csrf.verify(ctx, `admin:${operatorOf(ctx).session.id}`, field(ctx, '_csrf'));
    },
    mayManage,
    /** the operator as a service writing its own audit entries names them */
    actor: (ctx: Context) => ({ actor: `operator:${operatorOf(ctx).userId}`, ip: ctx.ip, userAgent: ctx.get('User-Agent') || null }),
    /** the admin action in its tenant's audit log, the operator as actor */
    async audit(ctx: Context, tenantId: string, type: `admin.${string}`, entry: { subject?: string | null; clientId?: string | null; data?: Record<string, unknown> } = {}) {
      await recordAdminAction(deps.services.audit, {
        tenantId, type, actor: `operator:${operatorOf(ctx).userId}`, subject: entry.subject ?? null, clientId: entry.clientId ?? null,
        ip: ctx.ip, userAgent: ctx.get('User-Agent') || null, data: entry.data ?? {},
      });
    },
    /** POST-redirect-GET with a message for the next page */
    async done(ctx: Context, location: string, message: ConsoleMessage, isError = false) {
      const text = typeof message === 'string' ? message : (await words(ctx)).t(message.key, message.vars);
      await deps.sessions.flash(operatorOf(ctx).session, text, isError);
      ctx.status = 303;
      ctx.redirect(location);
    },
  };
}

export type AdminKit = ReturnType<typeof createAdminKit>;

/** a form field, trimmed and capped */
export function text(ctx: Context, name: string, max = 500): string {
  return field(ctx, name).trim().slice(0, max);
}

/** whether a destructive form's "I mean it" box was ticked (views/admin/partials/delete-form.ejs) */
export const confirmed = (ctx: Context) => field(ctx, 'confirm') === 'yes';
export const notConfirmed: ConsoleMessage = { key: 'console.common.confirmDelete' };
/** the console's own limit on a typed password (the policies' is the tenant's) */
export const passwordTooLong = () => consoleRefusal('request.invalid', 'console.common.passwordTooLong', 'A password is at most 128 characters.');

/** every value of a repeated form field (checkboxes) */
export function values(ctx: Context, name: string, max = 1000): string[] {
  const value = (ctx.request.body as Record<string, unknown> | undefined)?.[name];
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.filter((v): v is string => typeof v === 'string').slice(0, max);
}
