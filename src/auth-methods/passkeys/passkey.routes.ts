// Passkeys in the hosted flow (issue #5): "Sign in with a passkey" as a first factor, a passkey as the second factor of
// a login waiting at the MFA gate, and the account page where a signed-in user adds, renames and removes them. Each
// ceremony is two requests: GET …/options (JSON for navigator.credentials) and a form POST of the browser's answer
// (views/assets/passkeys.js), answered like any hosted form: a redirect onwards or the page with an error.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Router from '@koa/router';
import type { Context } from 'koa';
import { viewsDir } from '../../http/page-renderer.js';
import { assetsPath } from '../../http/pages.js';
import { field } from '../../interactions/interaction-context.js';
import { requestInfo } from '../../http/request-info.js';
import type { LoginPage } from '../login-page.js';
import { ACR_MFA } from '../mfa/mfa-gate.js';
import { createWebAuthnService, parseAuthentication, type WebAuthnService } from './webauthn.service.js';
import { passkeyAccountRouter } from './passkey-account.routes.js';
import { credentialBody, jsonError, jsonOptions } from './passkey-http.js';
import type { PasskeyDeps } from './passkey-deps.js';
import { createPasskeyGuard, passkeyLimits } from './passkey-guard.js';

export type { PasskeyDeps } from './passkey-deps.js';
export { createPasskeyGuard, passkeyLimits } from './passkey-guard.js';


const expiredJson = (ctx: Context) => jsonError(ctx, 400, 'request.invalid', 'This sign-in has expired. Start again from the app.');
const busyJson = (ctx: Context) => {
  ctx.set('Retry-After', String(passkeyLimits.options.windowSeconds));
  jsonError(ctx, 429, 'auth.rate_limited', 'Too many passkey requests. Please wait a few minutes and try again.');
};

const failedSignIn = 'That passkey could not be used to sign in. Try again, or sign in another way.';
const noCredential = 'Your browser did not send a passkey. Try again, or sign in another way.';

export function passkeyRoutes(deps: PasskeyDeps, loginPage: LoginPage): Router[] {
  const { ix, users, audit } = deps;
  const webauthn: WebAuthnService = createWebAuthnService({ store: deps.store, passkeys: deps.passkeys, publicOrigin: deps.publicOrigin });
  const router = new Router({ prefix: '/t/:slug/interaction/:uid' });
  const firstFactor = (ctx: Context) => { const { settings } = ix.tenantOf(ctx); return settings.signIn.methods.passkey && settings.mfa.factors.passkey; };
  const secondFactor = (ctx: Context) => ix.tenantOf(ctx).settings.mfa.factors.passkey;

  router.get('/passkey/options', async (ctx) => {
    const details = await ix.load(ctx);
    if (!details || details.prompt.name !== 'login') return expiredJson(ctx);
    if (!firstFactor(ctx)) return jsonError(ctx, 404, 'route.not_found', ix.t(ctx, 'error.passkeyUnavailable'));
    const tenant = ix.tenantOf(ctx);
    if (!(await createPasskeyGuard(deps.limiter, tenant.id).mayIssue(ctx.ip))) return busyJson(ctx);
    jsonOptions(ctx, await webauthn.authenticationOptions(tenant, 'login', details.uid, { userVerification: 'preferred' }));
  });

  router.post('/passkey', credentialBody, async (ctx) => {
    const details = await ix.load(ctx);
    if (!details || details.prompt.name !== 'login') return ix.expired(ctx);
    ix.verifyCsrf(ctx, details);
    const tenant = ix.tenantOf(ctx);
    if (!firstFactor(ctx)) return loginPage.render(ctx, details, { error: ix.t(ctx, 'error.passkeyUnavailable'), status: 400 });
    const guard = createPasskeyGuard(deps.limiter, tenant.id);
    const response = parseAuthentication(field(ctx, 'credential'));
    if (!response) return loginPage.render(ctx, details, { error: noCredential, status: 400 });
    const attempt = await guard.reserve(null, ctx.ip);
    if (!attempt.allowed) {
      ctx.set('Retry-After', String(attempt.retryAfterSeconds));
      await audit.record({ tenantId: tenant.id, type: 'login.locked', ...requestInfo(ctx), outcome: 'failure', data: { method: 'passkey' } });
      return loginPage.render(ctx, details, { error: ix.t(ctx, 'error.locked', { count: Math.ceil(attempt.retryAfterSeconds / 60) }), status: 429 });
    }
    const result = await webauthn.authenticate(tenant, 'login', details.uid, response);
    const user = result.ok ? await users.findById(tenant.id, result.passkey.userId) : null;
    if (!result.ok || !user || user.disabled) {
      const userId = result.ok ? result.passkey.userId : result.userId;
      if (userId) await guard.failedFor(userId);
      await audit.record({ tenantId: tenant.id, type: 'login.failed', subject: userId, ...requestInfo(ctx), outcome: 'failure', data: { method: 'passkey', reason: result.ok ? 'user' : result.reason } });
      return loginPage.render(ctx, details, { error: failedSignIn, status: 400 });
    }
    await Promise.all([attempt.succeeded(), guard.succeededFor(user.id)]);
    await audit.record({ tenantId: tenant.id, type: 'login.succeeded', actor: user.id, subject: user.id, ...requestInfo(ctx), data: { method: 'passkey', userVerified: result.userVerified } });
    // a passkey the authenticator unlocked (PIN, biometrics) is two factors in one: possession and the user (RFC 8176)
    const login = result.userVerified
      ? { accountId: user.id, amr: ['hwk', 'mfa'], acr: ACR_MFA, remember: true }
      : { accountId: user.id, amr: ['hwk'], remember: true };
    return ix.finish(ctx, { login });
  });

  router.get('/mfa/passkey/options', async (ctx) => {
    const tenant = ix.tenantOf(ctx);
    const details = await ix.load(ctx);
    const pending = details ? await deps.gate.pending(tenant.id, details.uid) : null;
    if (!details || !pending) return expiredJson(ctx);
    if (!secondFactor(ctx)) return jsonError(ctx, 404, 'route.not_found', 'Passkeys are not available.');
    if ((await deps.passkeys.countForUser(tenant.id, pending.accountId)) === 0) return jsonError(ctx, 400, 'request.invalid', 'There is no passkey on this account.');
    if (!(await createPasskeyGuard(deps.limiter, tenant.id).mayIssue(ctx.ip))) return busyJson(ctx);
    // after a passkey first factor without user verification, the same key again proves nothing new: only a
    // verified one (the user, not just the key) counts; otherwise the key is the second factor and is enough
    const userVerification = pending.amr.includes('hwk') ? 'required' : 'discouraged';
    jsonOptions(ctx, await webauthn.authenticationOptions(tenant, 'mfa', details.uid, { userId: pending.accountId, userVerification }));
  });

  router.post('/mfa/passkey', credentialBody, async (ctx) => {
    const tenant = ix.tenantOf(ctx);
    const details = await ix.load(ctx);
    const pending = details ? await deps.gate.pending(tenant.id, details.uid) : null;
    if (!details || !pending) return ix.expired(ctx);
    ix.verifyCsrf(ctx, details);
    // the challenge page (the gate's, views/mfa.ejs) shows what went wrong from ?passkey=
    const back = (outcome: string) => ix.seeOther(ctx, `/mfa?passkey=${outcome}`);
    if (!secondFactor(ctx)) return back('unavailable');
    const userId = pending.accountId;
    const response = parseAuthentication(field(ctx, 'credential'));
    if (!response) return back('missing');
    const attempt = await createPasskeyGuard(deps.limiter, tenant.id).reserve(userId, ctx.ip);
    if (!attempt.allowed) {
      ctx.set('Retry-After', String(attempt.retryAfterSeconds));
      await audit.record({ tenantId: tenant.id, type: 'mfa.locked', subject: userId, ...requestInfo(ctx), outcome: 'failure', data: { factor: 'passkey' } });
      return back('locked');
    }
    const result = await webauthn.authenticate(tenant, 'mfa', details.uid, response);
    if (!result.ok) {
      await audit.record({ tenantId: tenant.id, type: 'mfa.failed', subject: userId, ...requestInfo(ctx), outcome: 'failure', data: { factor: 'passkey', reason: result.reason } });
      return back('failed');
    }
    await attempt.succeeded();
    return deps.gate.complete(ctx, pending, { kind: 'passkey', amr: ['hwk'], remember: field(ctx, 'remember') === 'on' });
  });

  return [router, passkeyAccountRouter({ ...deps, webauthn }), passkeyAssetRouter()];
}

/** /assets/passkeys.js: the one script of the hosted pages, served like the stylesheet */
function passkeyAssetRouter() {
  const router = new Router();
  let script: Promise<string> | undefined;
  router.get(`${assetsPath}/passkeys.js`, async (ctx) => {
    script ??= readFile(join(viewsDir, 'assets', 'passkeys.js'), 'utf8');
    ctx.type = 'text/javascript';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = await script;
  });
  return router;
}
