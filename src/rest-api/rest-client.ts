// Which app calls the REST auth API (issue #16 §3): a headless app of the tenant named by `client_id` +
// `client_secret` in the JSON body or by HTTP Basic (RFC 6749 §2.3.1), checked like the backend OTP API's apps;
// with no credentials at all, the tenant's built-in first-party REST client, created on first use (race-free across
// processes: clients.service.ts ensureBuiltInRestApp; its slug is reserved, so no app can pose as it). Tokens always
// belong to the client named here, so refresh, logout and challenges work only with the client that signed in.
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { Services } from '../services.js';
import { AppError } from '../errors/app-error.js';
import type { ResolvedTenant } from '../http/tenant-routes.js';
import { isDevelopmentToken, looksLikeDevelopmentToken } from '../config/development-token.js';
import { authenticateApp, type CallingApp } from '../otp-api/app-credentials.js';
import { builtInRestAppSlug } from '../clients/clients.service.js';
import { approveOriginFor } from './rest-cors.js';

export { builtInRestAppSlug };

const basicSyntax = /^Basic ([A-Za-z0-9+/]+=*)$/i;

function basicCredentials(header: string): { id: string; secret: string } | null {
  const encoded = basicSyntax.exec(header)?.[1];
  if (!encoded) return null;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  try {
    // RFC 6749 §2.3.1: each part is form-url-encoded before joining
    return { id: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')), secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')) };
  } catch {
    return null;
  }
}

/** what the client authenticates with at the token endpoint besides its id: '' for a public client (auth method none) */
export function tokenEndpointSecret(client: unknown): string | undefined {
  const known = client as { clientAuthMethod?: string; clientSecret?: string } | undefined;
  return known?.clientAuthMethod === 'none' ? '' : known?.clientSecret || undefined;
}

function developmentBearer(header: string): string | null {
  const token = /^Bearer (\S+)$/i.exec(header)?.[1];
  return token && looksLikeDevelopmentToken(token) ? token : null;
}

export function createRestClients(services: Services) {
  /** the built-in client's id per tenant, once this process has made sure it exists */
  const known = new Map<string, string>();

  async function builtInClientId(tenant: ResolvedTenant): Promise<string> {
    const cached = known.get(tenant.id);
    if (cached) return cached;
    const clientId = await services.clients.ensureBuiltInRestApp(tenant.id, tenant.slug, await services.clientValidator(tenant.slug));
    known.set(tenant.id, clientId);
    return clientId;
  }

  /** the tenant's built-in REST client as the calling app (also an environment switched to, issue #19) */
  async function builtIn(tenant: ResolvedTenant, provider: Provider): Promise<CallingApp> {
    let clientId = await builtInClientId(tenant);
    let client = await provider.Client.find(clientId);
    if (!client) {
      // deleted by an operator since: made again
      known.delete(tenant.id);
      clientId = await builtInClientId(tenant);
      client = await provider.Client.find(clientId);
    }
    // a public client: no secret (clients.service.ts ensureBuiltInRestApp)
    const secret = tokenEndpointSecret(client);
    if (!client || secret === undefined) throw new Error('the built-in REST client could not be loaded');
    return { tenant, provider, client, appId: clientId, appSecret: secret, appSlug: builtInRestAppSlug };
  }

  /**
   * Issue #19: the development token of this tenant stands for any of its headless apps (named by `client_id`, no
   * secret) or the built-in one — only where config says development (config/development-mode.ts).
   */
  async function developmentApp(ctx: Context, tenant: ResolvedTenant, token: string, body: Record<string, unknown>): Promise<CallingApp> {
    const dev = services.config.developmentToken;
    if (dev.state !== 'on' || dev.tenant !== tenant.slug || !isDevelopmentToken(token, dev.tenant, dev.secret)) throw new AppError('app.invalid_credentials', 'Development tokens are not accepted here.');
    const provider = ctx.state.provider!;
    const clientId = typeof body.client_id === 'string' ? body.client_id : await builtInClientId(tenant);
    const client = await provider.Client.find(clientId);
    const app = client as unknown as { headless?: boolean; app_slug?: string } | undefined;
    const secret = tokenEndpointSecret(client);
    if (!client || !app?.headless || !app.app_slug || secret === undefined) throw new AppError('app.invalid_credentials');
    return { tenant, provider, client, appId: clientId, appSecret: secret, appSlug: app.app_slug };
  }

  /** the app named by the request's credentials, or the built-in client */
  async function callingApp(ctx: Context, tenant: ResolvedTenant, body: Record<string, unknown>): Promise<CallingApp> {
    const dev = developmentBearer(ctx.get('Authorization'));
    if (dev !== null) return developmentApp(ctx, tenant, dev, body);
    const basic = ctx.get('Authorization') ? basicCredentials(ctx.get('Authorization')) : null;
    if (ctx.get('Authorization') && !basic) throw new AppError('app.invalid_credentials', 'Authorization must be HTTP Basic with the client id and secret.');
    const credentials = basic ?? (body.client_id !== undefined || body.client_secret !== undefined ? { id: body.client_id, secret: body.client_secret } : null);
    if (credentials) {
      const app = await authenticateApp(services.providers, { app_id: credentials.id, app_secret: credentials.secret });
      if (app.tenant.id !== tenant.id) throw new AppError('app.invalid_credentials');
      return app;
    }
    return builtIn(tenant, ctx.state.provider!);
  }

  return {
    /**
     * The calling app, whose allowed_origins then decide a browser Origin the tenant does not list (rest-cors.ts).
     * @throws AppError('app.invalid_credentials') for credentials that do not name a headless app of this tenant
     * @throws AppError('rest.origin_not_allowed')
     */
    async identify(ctx: Context, tenant: ResolvedTenant, body: Record<string, unknown>): Promise<CallingApp> {
      const app = await callingApp(ctx, tenant, body);
      approveOriginFor(ctx, app.client);
      return app;
    },
    builtIn,
  };
}

export type RestClients = ReturnType<typeof createRestClients>;
