// What every console page needs: the signed-in operator and what they may do, rendering inside the console's
// layout, CSRF, tenant access, the audit entry of a write, and POST-redirect-GET with a flash message.
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

  async function render(ctx: Context, view: string, options: { title: string; status?: number; tenant?: TenantSummary | null; section?: string; framesPreview?: boolean; data?: Record<string, unknown> }) {
    const operator = ctx.state.operator as Operator | undefined;
    const flash = operator ? await deps.sessions.takeFlash(operator.session) : null;
    const html = await deps.adminViews.render(view, {
      page: { title: options.title, assetsUrl: '/assets', adminAssets, section: options.section ?? '' },
      operator: operator ? { label: operator.label, roles: operator.roles, can: (p: string) => can(operator, p) } : null,
      csrfToken: operator ? deps.csrf.token(`admin:${operator.session.id}`) : '',
      flash,
      tenant: options.tenant ? {
        slug: options.tenant.slug, name: options.tenant.name, base: `/admin/tenants/${options.tenant.slug}`,
        outbox: !!operator && can(operator, outboxPermission) && keepsOutbox(deps.services.config.env === 'production', options.tenant),
      } : null,
      ...options.data,
    });
    ctx.status = options.status ?? 200;
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
      if (!can(operatorOf(ctx), permission)) throw new AppError('auth.forbidden', `Your operator role does not allow this (${permission} is needed).`);
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
    async done(ctx: Context, location: string, message: string, isError = false) {
      await deps.sessions.flash(operatorOf(ctx).session, message, isError);
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

/** the message of a refusal a form can show, or rethrows what is not one */
export function formError(error: unknown): string {
  if (error instanceof AppError && error.status < 500) return error.message;
  throw error;
}

/** whether a destructive form's "I mean it" box was ticked (views/admin/partials/delete-form.ejs) */
export const confirmed = (ctx: Context) => field(ctx, 'confirm') === 'yes';
export const notConfirmed = 'Tick the box to confirm the deletion.';

/** every value of a repeated form field (checkboxes) */
export function values(ctx: Context, name: string, max = 1000): string[] {
  const value = (ctx.request.body as Record<string, unknown> | undefined)?.[name];
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.filter((v): v is string => typeof v === 'string').slice(0, max);
}
