// Runs one of a tenant provider's own endpoints (token, revocation) for a JSON front door, on the current request
// with a form body, so tokens are minted, rotated, replay-checked and revoked by oidc-provider itself — with every
// middleware the tenant's provider has (the refresh-token reuse interval included) — and never by code of ours.
import compose from 'koa-compose';
import type { Context, Middleware, Next } from 'koa';
import type Provider from 'oidc-provider';
import { loginTransactionGrantType, loginTransactionParameter } from '../oidc/login-transaction-grant.js';

const composed = new WeakMap<Provider, (ctx: Context, next: Next) => Promise<unknown>>();

export interface ProviderAnswer { status: number; body: Record<string, unknown> }

/**
 * @param form the endpoint's parameters (RFC 6749 §4.1.3 / RFC 7009 §2.1), client credentials included
 * (client_secret_post; an empty client_secret is left out, for a public client). The request's own body must have been
 * read already: the provider takes `form` instead.
 */
export async function callProviderEndpoint(ctx: Context, tenantSlug: string, provider: Provider, path: '/token' | '/token/revocation', form: Record<string, string>): Promise<ProviderAnswer> {
  let run = composed.get(provider);
  if (!run) {
    run = compose(provider.middleware as Middleware[]) as unknown as (ctx: Context, next: Next) => Promise<unknown>;
    composed.set(provider, run);
  }
  const saved = { path: ctx.path, type: ctx.get('content-type'), body: ctx.request.body, authorization: ctx.request.headers.authorization };
  // the client authenticates with `form` alone: the front door's own Authorization header (Basic, Bearer) would be a
  // second mechanism, which the provider refuses (RFC 6749 §2.3)
  delete ctx.request.headers.authorization;
  const mountable = ctx as Context & { mountPath?: string };
  // what tenant-routes.ts does for the provider's own paths: the provider sees the path below its issuer
  mountable.mountPath = `/t/${tenantSlug}`;
  ctx.request.headers['content-type'] = 'application/x-www-form-urlencoded';
  // a public client (the REST API's built-in one) has no secret: it sends `client_id` alone (auth method `none`)
  const { client_secret: secret, ...rest } = form;
  ctx.request.body = secret ? form : rest;
  ctx.path = path;
  try {
    await run(ctx, async () => undefined);
  } finally {
    ctx.path = saved.path;
    ctx.request.headers['content-type'] = saved.type;
    ctx.request.body = saved.body;
    if (saved.authorization !== undefined) ctx.request.headers.authorization = saved.authorization;
    delete mountable.mountPath;
  }
  const answer: ProviderAnswer = { status: ctx.status, body: (ctx.body && typeof ctx.body === 'object' ? ctx.body : {}) as Record<string, unknown> };
  // the front door writes its own answer and headers
  ctx.remove('WWW-Authenticate');
  ctx.body = null;
  ctx.status = 404;
  return answer;
}

/** exchanges a completed login transaction started by the client for its tokens (login-transaction-grant.ts) */
export function redeemLoginAtTokenEndpoint(ctx: Context, tenantSlug: string, provider: Provider, transactionId: string, client: { clientId: string; clientSecret: string }): Promise<ProviderAnswer> {
  return callProviderEndpoint(ctx, tenantSlug, provider, '/token', {
    grant_type: loginTransactionGrantType, [loginTransactionParameter]: transactionId, client_id: client.clientId, client_secret: client.clientSecret,
  });
}
