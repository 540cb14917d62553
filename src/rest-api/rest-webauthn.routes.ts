// WebAuthn over the REST auth API (issue #16 §3), on the hosted passkeys' service (auth-methods/passkeys/): registering
// a passkey as a second factor (for a Bearer user or an enrol_mfa challenge; the registration state is the ceremony's
// challenge, single-use and gone after five minutes) and signing in with a passkey as the first factor. Each ceremony
// is bound to a random id the caller holds (`registration_id`, `request_id`), and for sign-in to the calling app.
// Assertions are reserved on the IP's and, once known, the account's passkey limits, like the hosted page's.
import { randomBytes } from 'node:crypto';
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Services } from '../services.js';
import { AppError } from '../errors/app-error.js';
import { createPasskeyGuard, passkeyLimits } from '../auth-methods/passkeys/passkey-guard.js';
import { parseAuthentication, parseRegistration } from '../auth-methods/passkeys/webauthn.service.js';
import { createEnrolmentSubjects, jsonObject, requestOf, type RestTwoFactorDeps } from './rest-2fa-subject.js';

const ceremonyId = /^[A-Za-z0-9_-]{22}$/;
const rateLimited = (retryAfterSeconds: number) => new AppError('auth.rate_limited', undefined, { retryAfterSeconds });

/** the body's `credential` object as the JSON string the WebAuthn parsers take */
const credentialText = (body: Record<string, unknown>) => (body.credential && typeof body.credential === 'object' && !Array.isArray(body.credential) ? JSON.stringify(body.credential) : '');

export function addWebAuthnRoutes(router: Router, services: Services, deps: RestTwoFactorDeps) {
  const { webauthn, audit } = services;
  const subjects = createEnrolmentSubjects(services, deps);

  async function mayIssue(ctx: Context) {
    if (!(await createPasskeyGuard(services.limiter, ctx.state.tenant!.id).mayIssue(ctx.ip))) throw rateLimited(passkeyLimits.options.windowSeconds);
  }

  router.post('/auth/2fa/webauthn/register', async (ctx) => {
    const body = await jsonObject(ctx);
    const { tenant, user } = await subjects.subject(ctx, body, 'passkey');
    if (!tenant.settings.mfa.factors.passkey) throw new AppError('mfa.method_unavailable', 'This tenant does not offer passkeys.');
    await mayIssue(ctx);
    const registrationId = randomBytes(16).toString('base64url');
    const name = user.email ?? user.phone ?? user.id;
    const options = await webauthn.registrationOptions(tenant, `rest-register:${registrationId}`, { id: user.id, name, displayName: typeof user.profile.name === 'string' ? user.profile.name : name });
    if (!options) throw new AppError('request.invalid', 'This account holds as many passkeys as it may: remove one first.');
    ctx.body = { registration_id: registrationId, options };
  });

  router.post('/auth/2fa/webauthn/register/finish', async (ctx) => {
    const body = await jsonObject(ctx);
    const response = parseRegistration(credentialText(body));
    if (typeof body.registration_id !== 'string' || !ceremonyId.test(body.registration_id) || !response) {
      throw new AppError('request.invalid', 'Send "registration_id" (from /register) and "credential": the RegistrationResponseJSON of navigator.credentials.create.');
    }
    if (body.name !== undefined && (typeof body.name !== 'string' || body.name.length > 64)) throw new AppError('request.invalid', '"name" is a string of at most 64 characters.');
    const who = await subjects.subject(ctx, body, 'passkey');
    const { tenant, user } = who;
    const result = await webauthn.register(tenant, `rest-register:${body.registration_id}`, user.id, response, (body.name as string | undefined)?.trim() || 'Passkey');
    if (!result.ok) {
      await audit.record({ tenantId: tenant.id, type: 'mfa.failed', subject: user.id, ...requestOf(ctx), outcome: 'failure', data: { factor: 'passkey', enrolment: true, reason: result.reason } });
      if (result.reason === 'challenge' || result.reason === 'wrong_user') throw new AppError('webauthn.registration_expired');
      if (result.reason === 'taken') throw new AppError('passkey.taken');
      if (result.reason === 'limit') throw new AppError('request.invalid', 'This account holds as many passkeys as it may: remove one first.');
      throw new AppError('webauthn.failed');
    }
    const answer = await subjects.enrolled(ctx, who, { method: 'passkey', amr: ['hwk'], id: result.passkey.id });
    ctx.status = answer.status;
    ctx.body = answer.body;
  });

  // a passkey as the first factor: discoverable credentials, the user found from the assertion
  const firstFactorOffered = (ctx: Context) => ctx.state.tenant!.settings.signIn.methods.passkey && ctx.state.tenant!.settings.mfa.factors.passkey;

  router.post('/auth/passkey/options', async (ctx) => {
    const body = await jsonObject(ctx);
    const app = await deps.clients.identify(ctx, ctx.state.tenant!, body);
    if (!firstFactorOffered(ctx)) throw new AppError('mfa.method_unavailable', 'This tenant does not offer passkey sign-in.');
    await mayIssue(ctx);
    const requestId = randomBytes(16).toString('base64url');
    const options = await webauthn.authenticationOptions(app.tenant, 'login', `rest-passkey:${app.appId}:${requestId}`, { userVerification: 'preferred' });
    ctx.body = { request_id: requestId, options };
  });

  router.post('/auth/passkey/verify', async (ctx) => {
    const body = await jsonObject(ctx);
    const app = await deps.clients.identify(ctx, ctx.state.tenant!, body);
    const response = parseAuthentication(credentialText(body));
    if (typeof body.request_id !== 'string' || !ceremonyId.test(body.request_id) || !response) {
      throw new AppError('request.invalid', 'Send "request_id" (from /passkey/options) and "credential": the AuthenticationResponseJSON of navigator.credentials.get.');
    }
    if (!firstFactorOffered(ctx)) throw new AppError('mfa.method_unavailable', 'This tenant does not offer passkey sign-in.');
    const { tenant } = app;
    const guard = createPasskeyGuard(services.limiter, tenant.id);
    const attempt = await guard.reserve(null, ctx.ip);
    if (!attempt.allowed) throw rateLimited(attempt.retryAfterSeconds);
    const result = await webauthn.authenticate(tenant, 'login', `rest-passkey:${app.appId}:${body.request_id}`, response);
    const user = result.ok ? await services.users.findById(tenant.id, result.passkey.userId) : null;
    if (!result.ok || !user || user.disabled) {
      const userId = result.ok ? result.passkey.userId : result.userId;
      if (userId) await guard.failedFor(userId);
      await audit.record({ tenantId: tenant.id, type: 'login.failed', subject: userId, ...requestOf(ctx), outcome: 'failure', data: { method: 'passkey', reason: result.ok ? 'user' : result.reason, front: 'rest_api' } });
      throw new AppError('webauthn.failed');
    }
    await Promise.all([attempt.succeeded(), guard.succeededFor(user.id)]);
    // a passkey the authenticator unlocked (PIN, biometrics) is two factors in one: possession and the user (RFC 8176)
    const amr = result.userVerified ? ['hwk', 'mfa'] : ['hwk'];
    const tx = await deps.signIn.begin(app, 'passkey');
    const answer = await deps.signIn.firstFactorPassed(ctx, app, tx.id, { userId: user.id, method: 'passkey', amr });
    ctx.status = answer.status;
    ctx.body = answer.body && 'access_token' in answer.body ? { ...answer.body, user: { id: user.id, email: user.email, phone: user.phone } } : answer.body;
  });
}
