// Moving between a tenant's environments without signing in again (issue #19 §3): /v1/auth/login's `environment`
// (default: the user's last used), POST /v1/auth/switch {refresh_token, environment}, and GET /v1/environments.
// The user and their first factor carry over (users are the tenant's); the target environment's own client (its
// built-in REST client), second-factor policy and token system mint the tokens. Only where the user may enter
// (tenants/environment-access.ts); every switch, allowed or refused, is audited.
import type { Context } from 'koa';
import type { Services } from '../services.js';
import { AppError } from '../errors/app-error.js';
import type { CallingApp } from '../otp-api/app-credentials.js';
import type { AppAccess } from '../otp-api/app-access-token.js';
import { environmentNamePattern, liveEnvironment } from '../tenants/environment-names.js';
import type { RestClients } from './rest-client.js';
import type { RestAnswer } from './rest-sign-in.js';

type Begin = (ctx: Context, app: CallingApp, first: { userId: string; method: string; identifier: null; amr: string[] }) => Promise<RestAnswer>;

interface RefreshTokenView { accountId?: string; clientId?: string; grantId?: string; amr?: string[]; consumed?: unknown; isExpired?: boolean }

/** the `environment` of a body: undefined when absent @throws AppError('request.invalid') */
export function environmentOf(body: Record<string, unknown>): string | undefined {
  if (body.environment === undefined) return undefined;
  if (typeof body.environment !== 'string' || !(body.environment === liveEnvironment || environmentNamePattern.test(body.environment))) {
    throw new AppError('request.invalid', 'Send "environment" as an environment name, e.g. live or sandbox.');
  }
  return body.environment;
}

export function createRestEnvironments(services: Services, clients: RestClients) {
  const requestOf = (ctx: Context) => ({ ip: ctx.ip, userAgent: ctx.get('User-Agent') || null });

  /** where a move from `from` to `environment` leads, and whether the user may take it (no side effects) */
  async function destination(from: CallingApp, environment: string, userId: string) {
    const current = (await services.providers.get(from.tenant.slug))!.tenant;
    if (environment === current.environment) return { current, target: null, allowed: true };
    const known = await services.environments.list(current.tenantSlug);
    const slug = known.find((env) => env.environment === environment)?.slug;
    const resolved = slug ? await services.providers.get(slug) : null;
    if (!resolved) return { current, target: null, allowed: false };
    const allowed = await services.environmentAccess.mayEnter(resolved.tenant, userId) && resolved.tenant.settings.headless.restApi;
    return { current, target: resolved, allowed };
  }

  /**
   * The app that gets tokens in `environment` for the user: the caller's own app in its own environment, else the
   * target's built-in REST client. Audited either way.
   * @throws AppError('environment.not_found' | 'environment.forbidden' | 'rest.disabled')
   */
  async function appIn(ctx: Context, from: CallingApp, environment: string, userId: string): Promise<CallingApp> {
    const { current, target, allowed } = await destination(from, environment, userId);
    if (environment === current.environment) return from;
    if (!target) throw new AppError('environment.not_found', `The tenant has no environment "${environment}".`);
    const audit = { actor: userId, subject: userId, clientId: from.appId, ...requestOf(ctx), data: { from: current.environment, to: environment } };
    if (!allowed) {
      await services.audit.record({ tenantId: current.id, type: 'environment.switch_refused', outcome: 'failure', ...audit });
      if (!target.tenant.settings.headless.restApi) throw new AppError('rest.disabled', `The environment "${environment}" does not offer the REST auth API (headless.restApi).`);
      throw new AppError('environment.forbidden');
    }
    await services.audit.record({ tenantId: target.tenant.id, type: 'environment.switched', ...audit });
    return clients.builtIn({ ...target.tenant, branding: target.tenant.settings.branding }, target.provider);
  }

  return {
    /** for /v1/auth/login: picks the environment once the first factor passed (named, else last used, else this one) */
    loginChooser(ctx: Context, app: CallingApp, body: Record<string, unknown>): (userId: string) => Promise<CallingApp> {
      const named = environmentOf(body);
      return async (userId) => {
        let environment = named;
        const last = await services.environmentAccess.lastEnvironment(userId);
        if (environment === undefined) {
          // a last-used environment since deleted or closed to the user falls back to the one asked at
          environment = last && (await destination(app, last, userId)).allowed ? last : undefined;
        }
        const chosen = environment === undefined ? app : await appIn(ctx, app, environment, userId);
        const entered = (await services.providers.get(chosen.tenant.slug))!.tenant.environment;
        if (entered !== last) await services.environmentAccess.remember(userId, entered);
        return chosen;
      };
    },

    /** @throws AppError('request.invalid' | 'token.invalid_refresh' | 'environment.not_found' | 'environment.forbidden' | 'rest.disabled') */
    async switchTo(ctx: Context, app: CallingApp, body: Record<string, unknown>, begin: Begin): Promise<RestAnswer> {
      const environment = environmentOf(body);
      if (environment === undefined) throw new AppError('request.invalid', 'Send "environment", the name of the environment to switch to.');
      if (typeof body.refresh_token !== 'string' || !body.refresh_token || body.refresh_token.length > 512) throw new AppError('request.invalid', 'Send "refresh_token" as a string.');
      // the refresh token proves the sign-in: live (not consumed, not expired), this app's, its grant not revoked
      const token = await app.provider.RefreshToken.find(body.refresh_token) as RefreshTokenView | undefined;
      const live = token && !token.consumed && !token.isExpired && token.clientId === app.appId && token.accountId && token.grantId
        && await app.provider.Grant.find(token.grantId);
      if (!live) throw new AppError('token.invalid_refresh');
      const userId = token.accountId!;
      const user = await services.users.findById(app.tenant.id, userId);
      if (!user || user.disabled) throw new AppError('token.invalid_refresh');
      const target = await appIn(ctx, app, environment, userId);
      await services.environmentAccess.remember(userId, environment);
      return begin(ctx, target, { userId, method: 'environment_switch', identifier: null, amr: token.amr ?? [] });
    },

    /** GET /v1/environments: where the bearer may go, and which one this token is for */
    async list(access: AppAccess): Promise<Record<string, unknown>> {
      const { tenant, user } = access;
      const items = await services.environmentAccess.enterable(tenant.tenantSlug, user.id);
      return { items: items.map((env) => ({ environment: env.environment, issuer: env.issuer, current: env.environment === tenant.environment })) };
    },
  };
}
