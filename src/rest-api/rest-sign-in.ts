// Sign-in steps of the REST auth API (issue #16 §3) as steps of one login transaction (src/login/): a password
// (the hosted login's method, its per-account and per-IP limits) passes the first factor, the tenant's
// second-factor policy decides, and either the transaction is exchanged at the tenant's token endpoint for tokens
// (login-transaction grant: one token system) or the caller gets the challenge envelope, answered with a TOTP or
// recovery code at /challenge/{id}/verify.
import type { Context } from 'koa';
import type { Services } from '../services.js';
import { AppError } from '../errors/app-error.js';
import { enrolledSecondFactors } from '../auth-methods/mfa/enrolled-factors.js';
import type { LoginTransaction } from '../login/login-transaction.machine.js';
import type { CallingApp } from '../otp-api/app-credentials.js';
import { redeemLoginAtTokenEndpoint, type ProviderAnswer } from '../otp-api/provider-endpoint.js';

/** as long as the hosted second-factor step waits (mfa-gate.ts) */
const transactionSeconds = 900;
/** the second factors a caller can type here; a passkey needs the WebAuthn ceremony, not built for this API */
const typedFactors = new Set(['totp', 'recovery_code']);

export type RestAnswer = { status: number; body: Record<string, unknown> | null };

const text = (value: unknown, max: number): string | null => (typeof value === 'string' && value.length > 0 && value.length <= max ? value : null);
const requestOf = (ctx: Context) => ({ ip: ctx.ip, userAgent: ctx.get('User-Agent') || null });
const iso = (ms: number) => new Date(ms).toISOString();

function rateLimited(ctx: Context, seconds: number): AppError {
  ctx.set('Retry-After', String(seconds));
  return new AppError('auth.rate_limited');
}

/** the token endpoint's answer in this API's shape: absolute expiry times */
export function restTokens(app: CallingApp, minted: ProviderAnswer, now: number): RestAnswer {
  const accessSeconds = typeof minted.body.expires_in === 'number' ? minted.body.expires_in : app.tenant.settings.ttl.accessToken;
  return {
    status: 200,
    body: {
      access_token: minted.body.access_token, refresh_token: minted.body.refresh_token, token_type: minted.body.token_type,
      access_expires_at: iso(now + accessSeconds * 1000),
      // oidc-provider gives refresh tokens the tenant's refresh-token lifetime from their issue
      refresh_expires_at: iso(now + app.tenant.settings.ttl.refreshToken * 1000),
    },
  };
}

export function createRestSignIn(services: Services) {
  const { logins } = services;

  /** a completed transaction → tokens; otherwise the one challenge envelope (DESIGN.md) */
  async function finish(ctx: Context, app: CallingApp, tx: LoginTransaction): Promise<RestAnswer> {
    if (tx.state !== 'completed') {
      const methods = tx.methods.filter((m) => typedFactors.has(m));
      return { status: 200, body: { status: 'challenge_required', challenge: { id: tx.id, kind: tx.state === 'enrolment_required' ? 'enrol_mfa' : 'mfa', methods, expires_at: iso(tx.expiresAt) } } };
    }
    const minted = await redeemLoginAtTokenEndpoint(ctx, app.tenant.slug, app.provider, tx.id, { clientId: app.appId, clientSecret: app.appSecret });
    if (minted.status !== 200) throw new AppError('login.expired');
    await services.audit.record({ tenantId: app.tenant.id, type: 'login.succeeded', actor: tx.userId!, subject: tx.userId!, ...requestOf(ctx), data: { method: tx.method, amr: tx.amr, client: app.appId, front: 'rest_api' } });
    return restTokens(app, minted, Date.now());
  }

  /** a transaction for a user whose first factor passed, through the app's second-factor policy, to tokens or a challenge */
  async function begin(ctx: Context, app: CallingApp, first: { userId: string; method: string; identifier: LoginTransaction['identifier']; amr: string[] }): Promise<RestAnswer> {
    const { tenant } = app;
    const tx = await logins.begin({ tenantId: tenant.id, clientId: app.appId, front: 'rest_api', method: first.method, identifier: first.identifier, ttlSeconds: transactionSeconds });
    const passed = await logins.apply(tenant.id, tx.id, { type: 'first_factor_passed', userId: first.userId, method: first.method, amr: first.amr }, null);
    if (!passed.ok) throw new AppError('login.expired');
    const gate = await logins.apply(tenant.id, tx.id, { type: 'second_factor_assessed', enrolledFactors: await enrolledSecondFactors(services, tenant.id, first.userId), trustedDevice: false }, tenant.settings.mfa);
    if (!gate.ok) throw new AppError('login.expired');
    return finish(ctx, app, gate.tx);
  }

  return {
    begin,
    /** @throws AppError('request.invalid' | 'login.invalid_credentials' | 'auth.rate_limited' | 'login.expired') */
    async login(ctx: Context, app: CallingApp, body: Record<string, unknown>, chooseApp?: (userId: string) => Promise<CallingApp>): Promise<RestAnswer> {
      const email = text(body.email, 254);
      const password = text(body.password, 128);
      if (!email || !password) throw new AppError('request.invalid', 'Send "email" and "password" as strings.');
      const { tenant } = app;
      const method = services.authMethods.methods.password;
      if (!method.availableFor(tenant)) throw new AppError('request.invalid', 'This tenant does not offer password sign-in.');
      const outcome = await method.verify({ tenant, identifier: email, secret: password, request: requestOf(ctx) });
      if (!outcome.ok) {
        if (outcome.error === 'rate_limited') throw rateLimited(ctx, outcome.retryAfterSeconds);
        throw new AppError('login.invalid_credentials');
      }
      const userId = outcome.userId!;
      // issue #19: the tokens may be for another environment of the tenant (same users), whose MFA policy applies
      const target = chooseApp ? await chooseApp(userId) : app;
      return begin(ctx, target, { userId, method: method.id, identifier: outcome.identifier, amr: outcome.amr });
    },

    /** @throws AppError('request.invalid' | 'login.expired' | 'login.invalid_state' | 'otp.invalid_code' | 'auth.rate_limited') */
    async verifyChallenge(ctx: Context, app: CallingApp, id: string, body: Record<string, unknown>): Promise<RestAnswer> {
      const methodId = text(body.method, 32);
      const code = text(body.code, 64);
      if (!methodId || !code || !typedFactors.has(methodId)) throw new AppError('request.invalid', 'Send "method" (totp or recovery_code) and "code" as strings.');
      const { tenant } = app;
      const tx = await logins.get(tenant.id, id);
      // another app's transaction reads like an unknown one
      if (!tx || tx.clientId !== app.appId || tx.front !== 'rest_api' || tx.state === 'expired' || tx.state === 'failed') throw new AppError('login.expired');
      if (tx.state !== 'second_factor_required' || !tx.methods.includes(methodId)) throw new AppError('login.invalid_state');
      const method = services.authMethods.get(methodId)!;
      const outcome = await method.verify({ tenant, userId: tx.userId, secret: code, request: requestOf(ctx) });
      if (!outcome.ok) {
        if (outcome.error === 'rate_limited') throw rateLimited(ctx, outcome.retryAfterSeconds);
        if (outcome.error === 'wrong') throw new AppError('otp.invalid_code');
        throw new AppError('login.expired');
      }
      const passed = await logins.apply(tenant.id, tx.id, { type: 'second_factor_passed', method: methodId, amr: outcome.amr }, null);
      if (!passed.ok) throw new AppError(passed.error === 'login.invalid_transition' ? 'login.invalid_state' : 'login.expired');
      return finish(ctx, app, passed.tx);
    },
  };
}
