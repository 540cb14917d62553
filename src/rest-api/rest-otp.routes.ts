// Passwordless sign-in of the REST auth API (issue #16 §3, shared REST contract): POST /v1/auth/otp sends a code by
// email, SMS or WhatsApp through the hosted email/phone-code methods (their send limits, hashed codes, attempt
// limits and delivery); POST /v1/auth/otp/verify answers it with the same email or phone and the code. The first
// verified sign-in creates the user where the tenant allows sign-up, as on the hosted pages. A step of one login
// transaction (front rest_api), so the tenant's second-factor policy may answer the challenge envelope instead of
// tokens. Both take an Idempotency-Key. Known and unknown identifiers get the same answer.
import type Router from '@koa/router';
import { normaliseEmail } from '../validation/email-address.js';
import { AppError } from '../errors/app-error.js';
import { messageRequest } from '../http/request-info.js';
import { normalisePhone } from '../validation/phone-number.js';
import { errorAnswer } from '../otp-api/otp-answers.js';
import { codeDestination, codeRefusal } from '../otp-api/otp-sign-in.js';
import { requestOf, secondsUntil, withUser, type RestAccountKit } from './rest-account-kit.js';
import { pkceRefused, verifierRefusal } from './rest-pkce.js';

export function addOtpRoutes(router: Router, kit: RestAccountKit) {
  const { services, signIn, pointers } = kit;

  router.post('/auth/otp', kit.idempotent('otp', async (ctx, app, body) => {
    const { identifier, channel, kind } = codeDestination(body);
    const method = services.authMethods.codeMethod(channel);
    if (!method.availableFor(app.tenant)) throw new AppError('otp.invalid_channel');
    const request = messageRequest(ctx, body, app.tenant.settings.texts.defaultLocale);
    const tx = await signIn.begin(app, method.id);
    // sign-up on a first verified sign-in: the tenant's setting (allowSignUp left to the method)
    const started = await method.start({ tenant: app.tenant, identifier, transactionId: tx.id, request });
    if (!started.ok) {
      await services.logins.discard(app.tenant.id, tx.id);
      if (started.error === 'rate_limited') return errorAnswer('auth.rate_limited', undefined, started.retryAfterSeconds);
      throw new AppError(kind === 'email' ? 'user.invalid_email' : 'user.invalid_phone');
    }
    await services.logins.apply(app.tenant.id, tx.id, { type: 'challenge_started', challengeId: started.challengeId }, null);
    // a first-factor code method always names where its code went (null is for second factors: auth-method.ts)
    await pointers.remember({ tenantId: app.tenant.id, clientId: app.appId, purpose: 'login', identifier: started.identifier!.value }, { challengeId: started.challengeId, transactionId: tx.id }, started.expiresAt);
    return { status: 202, body: { status: 'code_sent', expires_in: secondsUntil(started.expiresAt) } };
  }));

  router.post('/auth/otp/verify', kit.idempotent('otp/verify', async (ctx, app, body) => {
    const code = typeof body.code === 'string' && body.code.length <= 16 ? body.code : null;
    const email = body.email === undefined ? undefined : typeof body.email === 'string' ? normaliseEmail(body.email.slice(0, 254)) : null;
    const phone = body.phone === undefined ? undefined : typeof body.phone === 'string' ? normalisePhone(body.phone.slice(0, 32)) : null;
    if (!code || (email === undefined) === (phone === undefined)) throw new AppError('request.invalid', 'Send "code" and exactly one of "email" or "phone", as strings.');
    if (email === null) throw new AppError('user.invalid_email');
    if (phone === null) throw new AppError('user.invalid_phone');
    const { tenant } = app;
    const scope = { tenantId: tenant.id, clientId: app.appId, purpose: 'login' as const, identifier: (email ?? phone)! };
    const pointer = await pointers.recall(scope);
    const tx = pointer?.transactionId ? await services.logins.get(tenant.id, pointer.transactionId) : null;
    // the pointer is forgotten once its code is accepted: a transaction past its first factor is not answered here
    if (!tx || tx.clientId !== app.appId || tx.front !== 'rest_api' || tx.state !== 'identified') return errorAnswer('otp.expired');
    const method = services.authMethods.get(tx.method);
    if (!method) return errorAnswer('otp.expired');
    // a sign-in link's email code answers only where the link was asked for with PKCE: the same verifier (rest-pkce.ts)
    const refused = verifierRefusal(tx, body.code_verifier, { requirePkce: tenant.settings.headless.requirePkce, lenient: true });
    if (refused) return pkceRefused(ctx, services, tenant.id, method.id, refused);
    const outcome = await method.verify({ tenant, challengeId: tx.challengeId, transactionId: tx.id, secret: code, request: requestOf(ctx) });
    if (!outcome.ok) {
      if (outcome.error === 'locked') await services.logins.apply(tenant.id, tx.id, { type: 'failed', reason: 'locked' }, null);
      return codeRefusal(outcome);
    }
    await pointers.forget(scope);
    const answer = await signIn.firstFactorPassed(ctx, app, tx.id, { userId: outcome.userId!, method: method.id, amr: outcome.amr });
    return withUser(services, tenant.id, answer, outcome.userId!, outcome.signUp);
  }));
}
