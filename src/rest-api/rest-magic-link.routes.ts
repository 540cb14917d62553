// Sign-in links of the REST auth API (issue #16 §3): POST /v1/auth/magic-link {email, redirect_to} emails a link to
// `redirect_to` — a redirect URI registered for the calling app, exact match — with a one-time token added
// (`?type=magiclink&token=…`, the shape of Supabase Auth's email links); the app's page at that URI, in the browser
// that opened the link, answers POST /v1/auth/magic-link/verify {token} and gets tokens, or the challenge envelope
// when a second factor is due. The link signs in the browser that opens it and nobody else: the asking side gets no
// handle that a click elsewhere completes (issue #13 finding 1). The code in the same email, typed where the link
// was asked for, works at POST /v1/auth/otp/verify. The magic-link method does the work (send limits, hashed
// single-use token and code, the tenant's magic-link TTL, sign-up on a first sign-in where allowed); known and
// unknown addresses get the same answer. One login transaction per link (front rest_api).
// PKCE (rest-pkce.ts): a start with `code_challenge` (S256) binds the link, and the email's code, to the holder of its
// `code_verifier`; the tenant's headless.requirePkce makes that the only way. The email says which kind of link it
// carries (issue #13: its wording matches what the link does): one that signs in where it is opened, or one that works
// only on the device, and in the app or browser, that asked.
import type Router from '@koa/router';
import { AppError } from '../errors/app-error.js';
import { messageRequest } from '../http/request-info.js';
import type { CallingApp } from '../otp-api/app-credentials.js';
import { errorAnswer } from '../otp-api/otp-answers.js';
import { builtInRestAppSlug } from '../clients/clients.service.js';
import { requestOf, secondsUntil, withUser, type RestAccountKit } from './rest-account-kit.js';
import { codeChallengeOf, pkceRefused, verifierRefusal } from './rest-pkce.js';

/** a transaction lives at least as long as the hosted second-factor step waits, and at least as long as its link */
const transactionSeconds = 900;

/** where the app may have links lead: its client's redirect_uris; the built-in client's are the tenant's headless.redirectUris */
export function registeredRedirectUris(app: Pick<CallingApp, 'client' | 'appSlug' | 'tenant'>): readonly string[] {
  const own = (app.client as unknown as { redirectUris?: string[] }).redirectUris ?? [];
  return app.appSlug === builtInRestAppSlug ? [...own, ...app.tenant.settings.headless.redirectUris] : own;
}

/** the link's URL up to its token: the registered URI with `type` and `token` appended to its query */
function linkBase(redirectTo: string): string {
  return `${redirectTo}${redirectTo.includes('?') ? '&' : '?'}type=magiclink&token=`;
}

export function addMagicLinkRoutes(router: Router, kit: RestAccountKit) {
  const { services, signIn, pointers } = kit;
  const method = services.authMethods.methods.magic_link;

  router.post('/auth/magic-link', kit.idempotent('magic-link', async (ctx, app, body) => {
    const { tenant } = app;
    if (typeof body.email !== 'string' || typeof body.redirect_to !== 'string' || body.redirect_to.length > 500) throw new AppError('request.invalid', 'Send "email" and "redirect_to" as strings.');
    if (!method.availableFor(tenant)) throw new AppError('magiclink.disabled');
    // exact match (RFC 9700 §4.1.3): the link carries a credential, so it goes nowhere the app did not register
    if (!registeredRedirectUris(app).includes(body.redirect_to)) throw new AppError('rest.redirect_not_allowed');
    const codeChallenge = codeChallengeOf(body, tenant.settings.headless.requirePkce);
    const request = messageRequest(ctx, body, tenant.settings.texts.defaultLocale);
    const tx = await services.logins.begin({ tenantId: tenant.id, clientId: app.appId, front: 'rest_api', method: method.id, identifier: null, codeChallenge, ttlSeconds: Math.max(transactionSeconds, tenant.settings.signIn.magicLinkTtlSeconds) });
    const started = await method.start({ tenant, identifier: body.email, transactionId: tx.id, request, linkTo: { base: linkBase(body.redirect_to), signsIn: codeChallenge ? 'asking-device' : 'opener' } });
    if (!started.ok) {
      await services.logins.discard(tenant.id, tx.id);
      if (started.error === 'rate_limited') return errorAnswer('auth.rate_limited', undefined, started.retryAfterSeconds);
      throw new AppError('user.invalid_email');
    }
    await services.logins.apply(tenant.id, tx.id, { type: 'challenge_started', challengeId: started.challengeId }, null);
    // the email's code, typed where the link was asked for, is answered at /v1/auth/otp/verify
    await pointers.remember({ tenantId: tenant.id, clientId: app.appId, purpose: 'login', identifier: started.identifier!.value }, { challengeId: started.challengeId, transactionId: tx.id }, started.expiresAt);
    return { status: 202, body: { status: 'link_sent', expires_in: secondsUntil(started.expiresAt) } };
  }));

  router.post('/auth/magic-link/verify', kit.idempotent('magic-link/verify', async (ctx, app, body) => {
    // `token_hash` is what Supabase's email templates name it, `auth_code` what its PKCE exchange does
    const token = body.token ?? body.token_hash ?? body.auth_code;
    if (typeof token !== 'string' || token.length > 100 || (body.type !== undefined && body.type !== 'magiclink')) throw new AppError('request.invalid', 'Send "token" as a string (and "type", if at all, as "magiclink").');
    const { tenant } = app;
    const challenge = await services.codes.findByLink(tenant.id, token);
    const tx = challenge?.interactionUid ? await services.logins.get(tenant.id, challenge.interactionUid) : null;
    // another app's link, a hosted page's link, or one whose sign-in moved on: not valid here (and left unused)
    if (!challenge || !tx || tx.clientId !== app.appId || tx.front !== 'rest_api' || tx.method !== method.id || tx.state !== 'identified') return errorAnswer('magiclink.invalid');
    // before the method looks at the token: a refused verifier spends nothing
    const refused = verifierRefusal(tx, body.code_verifier, { requirePkce: tenant.settings.headless.requirePkce });
    if (refused) return pkceRefused(ctx, services, tenant.id, method.id, refused);
    const outcome = await method.verify({ tenant, secret: token, transactionId: tx.id, request: requestOf(ctx) });
    if (!outcome.ok) return errorAnswer('magiclink.invalid');
    await pointers.forget({ tenantId: tenant.id, clientId: app.appId, purpose: 'login', identifier: challenge.identifier });
    const answer = await signIn.firstFactorPassed(ctx, app, tx.id, { userId: outcome.userId!, method: method.id, amr: outcome.amr });
    return withUser(services, tenant.id, answer, outcome.userId!, outcome.signUp);
  }));
}
