// Sign-up of the REST auth API (issue #16 §3, shared REST contract): POST /v1/auth/signup sends a code to the email,
// and the account exists only once POST /v1/auth/signup/verify answers it. The hosted sign-up's rules throughout:
// the tenant's password policy (checked, and hashed, before anything is sent), the code services and their send and
// attempt limits, and no enumeration — an address that already has an account gets the same answer, in comparable
// time (the password is hashed and a code is issued either way, nothing waits for delivery), and its owner an
// "you already have an account" email instead of a code. A verified sign-up signs in: tokens, or the challenge
// envelope (kind enrol_mfa) where the tenant requires a second factor.
import type Router from '@koa/router';
import { normaliseEmail } from '../validation/email-address.js';
import { availableMethods } from '../auth-methods/sign-in-methods.js';
import { accountForSignUp } from '../auth-methods/sign-up/sign-up-account.js';
import { AppError } from '../errors/app-error.js';
import { messageRequest } from '../http/request-info.js';
import { revokeAccount } from '../oidc/account-revocation.js';
import type { CallingApp } from '../otp-api/app-credentials.js';
import { errorAnswer } from '../otp-api/otp-answers.js';
import { checkPointedCode, requestOf, secondsUntil, withUser, type RestAccountKit } from './rest-account-kit.js';

const email = (value: unknown): string | null => (typeof value === 'string' ? normaliseEmail(value.slice(0, 254)) : null);
const password = (value: unknown): string | null | undefined => (value === undefined ? undefined : typeof value === 'string' && value.length <= 1024 ? value : null);

/** `user_metadata`: the hosted sign-up's one profile field, `name`; operator data goes through the Management API */
function displayName(value: unknown): string {
  if (value === undefined) return '';
  if (!value || typeof value !== 'object' || Array.isArray(value) || Object.keys(value).some((k) => k !== 'name') || !['string', 'undefined'].includes(typeof (value as { name?: unknown }).name)) {
    throw new AppError('request.invalid', '"user_metadata" is an object with at most "name" (a string).');
  }
  return ((value as { name?: string }).name ?? '').trim().slice(0, 200);
}

export function addSignUpRoutes(router: Router, kit: RestAccountKit) {
  const { services } = kit;
  const { users, challenges, audit, courier } = services;

  /** @throws AppError('signup.disabled') */
  function open(app: CallingApp) {
    if (!availableMethods(app.tenant, services.channels, services.config.env).signUp) throw new AppError('signup.disabled');
  }

  /** @throws AppError('password.*') */
  const hashed = (app: CallingApp, typed: string, address: string) => users.hashNewPassword(typed, [address, address.split('@')[0]!], app.tenant.settings.signIn);

  router.post('/auth/signup', kit.idempotent('signup', async (ctx, app, body) => {
    open(app);
    const address = email(body.email);
    const typed = password(body.password);
    if (body.email === undefined || typed === null) throw new AppError('request.invalid', 'Send "email" (and optionally "password") as strings.');
    if (!address) throw new AppError('user.invalid_email');
    const name = displayName(body.user_metadata);
    const { tenant } = app;
    const request = messageRequest(ctx, body, tenant.settings.texts.defaultLocale);
    const passwordHash = typed === undefined ? null : await hashed(app, typed, address);
    const existing = await users.findByEmail(tenant.id, address);
    // an unverified account is finished by the code (as on the hosted page); a verified or disabled one gets none
    const deliverable = !existing || (!existing.emailVerified && !existing.disabled);
    const started = await challenges.start({
      tenant, purpose: 'signup', channel: 'email', identifier: address, interactionUid: null,
      deliverable, data: { passwordHash, name, ...(existing ? { existingUserId: existing.id } : {}) },
      request, subject: existing?.id ?? audit.pseudonym(tenant.id, address),
    });
    if (!started.ok) return errorAnswer('auth.rate_limited', undefined, started.retryAfterSeconds);
    if (existing && !deliverable && !existing.disabled) void courier.accountExists(tenant, address, request.locale);
    await kit.pointers.remember({ tenantId: tenant.id, clientId: app.appId, purpose: 'signup', identifier: address }, { challengeId: started.challenge.id, transactionId: null }, started.challenge.expiresAt);
    return { status: 202, body: { status: 'code_sent', expires_in: secondsUntil(started.challenge.expiresAt) } };
  }));

  router.post('/auth/signup/verify', kit.idempotent('signup/verify', async (ctx, app, body) => {
    open(app);
    const address = email(body.email);
    const typed = password(body.password);
    const code = typeof body.code === 'string' && body.code.length <= 16 ? body.code : null;
    if (body.email === undefined || !code || typed === null) throw new AppError('request.invalid', 'Send "email" and "code" (and optionally "password") as strings.');
    if (!address) throw new AppError('user.invalid_email');
    const { tenant } = app;
    // checked before the code, so a refused password does not use up an attempt
    const passwordHash = typed === undefined ? null : await hashed(app, typed, address);
    const scope = { tenantId: tenant.id, clientId: app.appId, purpose: 'signup' as const, identifier: address };
    const checked = await checkPointedCode(kit, ctx, app, scope, code);
    if (!checked.ok) return checked.answer;
    const { challenge } = checked;
    const revoke = async (userId: string) => revokeAccount(app.provider, services.oidcModels, tenant.id, userId);
    const user = await accountForSignUp(services, { tenantId: tenant.id, challenge, passwordHash, request: requestOf(ctx), revoke });
    await kit.pointers.forget(scope);
    if (!user || user.disabled) return errorAnswer('otp.expired');
    // pwd only when this sign-up chose the password now in force
    const amr = passwordHash || typeof challenge.data.passwordHash === 'string' ? ['pwd', 'otp'] : ['otp'];
    const tx = await kit.signIn.begin(app, 'signup', { kind: 'email', value: address });
    const answer = await kit.signIn.firstFactorPassed(ctx, app, tx.id, { userId: user.id, method: 'signup', amr });
    return withUser(services, tenant.id, answer, user.id, typeof challenge.data.existingUserId !== 'string');
  }));
}
