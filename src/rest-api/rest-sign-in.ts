// Sign-in steps of the REST auth API (issue #16 §3) as steps of one login transaction (src/login/): a password
// (the hosted login's method, its per-account and per-IP limits) passes the first factor, the tenant's
// second-factor policy decides, and either the transaction is exchanged at the tenant's token endpoint for tokens
// (login-transaction grant: one token system) or the caller gets the challenge envelope, answered at
// /challenge/{id}/verify with a TOTP, SMS or recovery code or a passkey (login/login-challenges.ts), or,
// for enrol_mfa, by enrolling a factor with the challenge id (rest-2fa-subject.ts). An account whose email the
// tenant requires verified (signIn.requireVerifiedEmail) gets the verify_email challenge first: a code sent to the
// email at /challenge/{id}/send, answered at /challenge/{id}/verify; the second-factor decision follows.
import type { Context } from 'koa';
import type { Services } from '../services.js';
import { AppError } from '../errors/app-error.js';
import { enrolledSecondFactors } from '../auth-methods/mfa/enrolled-factors.js';
import { challengeEnvelope, stepUpMethod } from '../auth-methods/login-challenges.js';
import type { LoginTransaction } from '../login/login-transaction.machine.js';
import type { CallingApp } from '../otp-api/app-credentials.js';
import { redeemLoginAtTokenEndpoint, type ProviderAnswer } from '../otp-api/provider-endpoint.js';

/** as long as the hosted second-factor step waits (mfa-gate.ts) */
const transactionSeconds = 900;

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
    if (tx.state !== 'completed') return { status: 200, body: challengeEnvelope(tx, app.tenant.issuer) };
    const minted = await redeemLoginAtTokenEndpoint(ctx, app.tenant.slug, app.provider, tx.id, { clientId: app.appId, clientSecret: app.appSecret });
    if (minted.status !== 200) throw new AppError('login.expired');
    await services.audit.record({ tenantId: app.tenant.id, type: 'login.succeeded', actor: tx.userId!, subject: tx.userId!, ...requestOf(ctx), data: { method: tx.method, amr: tx.amr, client: app.appId, front: 'rest_api' } });
    return restTokens(app, minted, Date.now());
  }

  /** a transaction for a user whose first factor passed, through the app's second-factor policy, to tokens or a challenge */
  async function beginPassed(ctx: Context, app: CallingApp, first: { userId: string; method: string; identifier: LoginTransaction['identifier']; amr: string[]; verifyEmail?: boolean }): Promise<RestAnswer> {
    const tx = await logins.begin({ tenantId: app.tenant.id, clientId: app.appId, front: 'rest_api', method: first.method, identifier: first.identifier, ttlSeconds: transactionSeconds });
    return firstFactorPassed(ctx, app, tx.id, { userId: first.userId, method: first.method, amr: first.amr, verifyEmail: first.verifyEmail });
  }

  /**
   * the first factor of transaction `id` was proven: an email the method wants proven first is the verify_email
   * challenge; else the tenant's second-factor policy decides, then finish
   */
  async function firstFactorPassed(ctx: Context, app: CallingApp, id: string, passed: { userId: string; method: string; amr: string[]; verifyEmail?: boolean }): Promise<RestAnswer> {
    const { tenant } = app;
    const first = await logins.apply(tenant.id, id, { type: 'first_factor_passed', ...passed }, null);
    if (!first.ok) throw new AppError(first.error === 'login.invalid_transition' ? 'login.invalid_state' : 'login.expired');
    if (first.tx.state === 'email_verification_required') return finish(ctx, app, first.tx);
    const gate = await logins.apply(tenant.id, id, { type: 'second_factor_assessed', enrolledFactors: await enrolledSecondFactors(services, tenant.id, passed.userId), trustedDevice: false }, tenant.settings.mfa);
    if (!gate.ok) throw new AppError('login.expired');
    return finish(ctx, app, gate.tx);
  }

  return {
    /** a transaction of this front door, before its first factor (codes bind their challenge to its id) */
    begin: (app: CallingApp, method: string, identifier: LoginTransaction['identifier'] = null) =>
      logins.begin({ tenantId: app.tenant.id, clientId: app.appId, front: 'rest_api', method, identifier, ttlSeconds: transactionSeconds }),

    /** @throws AppError('login.expired' | 'login.invalid_state') */
    firstFactorPassed,

    /** begin + firstFactorPassed in one (an environment switch, issue #19) */
    beginPassed,

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
      return beginPassed(ctx, target, { userId, method: method.id, identifier: outcome.identifier, amr: outcome.amr, verifyEmail: outcome.verifyEmail });
    },

    finish,

    /** the caller's live transaction `id` (another app's reads like an unknown one) @throws AppError('login.expired') */
    open: (app: CallingApp, id: string) => services.loginChallenges.open(app.tenant.id, id, app.appId, 'rest_api'),

    /** @throws AppError('request.invalid' | 'login.expired' | 'login.invalid_state' | 'otp.invalid_code' | 'otp.expired' | 'webauthn.failed' | 'auth.rate_limited') */
    async verifyChallenge(ctx: Context, app: CallingApp, id: string, body: Record<string, unknown>): Promise<RestAnswer> {
      const tx = await services.loginChallenges.open(app.tenant.id, id, app.appId, 'rest_api');
      // a step-up is answered by its own endpoint, for the token's user (rest-step-up.routes.ts)
      if (tx.method === stepUpMethod) throw new AppError('login.expired');
      return finish(ctx, app, await services.loginChallenges.answer(app.tenant, tx, body, requestOf(ctx)));
    },
  };
}

export type RestSignIn = ReturnType<typeof createRestSignIn>;
