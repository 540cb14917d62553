// Composition root of the hosted sign-in flow: every router of it, built from one set of dependencies — the
// interaction's steps (consent, abort), each way in, the MFA gate on the interaction's login transaction, the account
// pages. Mounted by app.ts. It sits beside services.ts (not in auth-methods/) so that no folder imports the root.
import type Router from '@koa/router';
import type { Services } from './services.js';
import type { Pages } from './http/pages.js';
import type { Csrf } from './interactions/csrf.js';
import { createInteractionContext } from './interactions/interaction-context.js';
import { interactionsRouter } from './interactions/interactions.routes.js';
import type { AuthMethodDeps } from './auth-methods/auth-method-deps.js';
import { createChallengeCompletion } from './auth-methods/complete-challenge.js';
import { createLoginPage } from './auth-methods/login-page.js';
import { emailCodeRoutes } from './auth-methods/email-code/email-code.routes.js';
import { magicLinkRoutes } from './auth-methods/magic-link/magic-link.routes.js';
import { codeRoutes } from './auth-methods/one-time-codes/code.routes.js';
import { passwordRoutes } from './auth-methods/password/password.routes.js';
import { passwordResetRoutes } from './auth-methods/password-reset/password-reset.routes.js';
import { createResetPermissions } from './auth-methods/password-reset/reset-permission.js';
import { phoneCodeRoutes } from './auth-methods/phone-code/phone-code.routes.js';
import { signUpRoutes } from './auth-methods/sign-up/sign-up.routes.js';
import { accountRoutes } from './auth-methods/federated/account.routes.js';
import { federatedRoutes } from './auth-methods/federated/federated.routes.js';
import { createPendingLinks } from './auth-methods/federated/pending-link.js';
import { createHostedLogins } from './auth-methods/hosted-login.js';
import { createMfaGate } from './auth-methods/mfa/mfa-gate.js';
import { passkeyRoutes } from './auth-methods/passkeys/passkey.routes.js';
import { mfaRoutes } from './auth-methods/mfa/mfa.routes.js';
import { accountSecurityRoutes } from './auth-methods/mfa/account-security.routes.js';
import { accountSessionsRoutes } from './auth-methods/account/account-sessions.routes.js';
import { verifyEmailRoutes } from './auth-methods/account/verify-email.routes.js';

export function hostedFlowRouters(services: Services, deps: { pages: Pages; csrf: Csrf }): Router[] {
  const { config, federation, linking, connections } = services;
  // each interaction's one login transaction (src/login/): the gate's waiting sign-in and a link waiting for proof
  const logins = createHostedLogins(services.logins);
  const pendingLinks = createPendingLinks({ logins, linking });
  const mfaGate = createMfaGate({ logins, mfa: services.mfa, passkeys: services.passkeys, factors: services.factors, smsFactor: services.smsFactor, audit: services.audit, https: config.publicUrl.protocol === 'https:', now: services.now });
  // first what waited for this account's proof (a link), then whether a second factor is due
  const ix = createInteractionContext({
    ...deps,
    beforeLogin: async (ctx, login) => mfaGate.check(ctx, { ...login, amr: await pendingLinks.onSignIn(ctx, login) }),
    rememberLocale: (tenantId, userId, locale) => services.users.rememberLocale(tenantId, userId, locale),
  });
  mfaGate.attach(ix);
  const methodDeps: AuthMethodDeps = {
    ix, challenges: services.challenges, codes: services.codes, users: services.users, audit: services.audit,
    courier: services.courier, channels: services.channels, store: services.store, oidcModels: services.oidcModels, linking, mfa: services.mfa,
    env: config.env, publicOrigin: config.publicUrl.origin, now: services.now,
  };
  const loginPage = createLoginPage({ ix, channels: services.channels, connections, registry: services.authMethods, env: config.env });
  const resets = createResetPermissions({ logins: services.logins });
  const completion = createChallengeCompletion(methodDeps, mfaGate, resets);
  const federatedDeps = { ...methodDeps, connections, federation, linking, pendingLinks, https: config.publicUrl.protocol === 'https:' };
  const federated = federatedRoutes(federatedDeps, loginPage);
  return [
    ...federated.routers,
    accountRoutes({ ...federatedDeps, identities: services.identities, toUpstream: federated.toUpstream }, loginPage),
    mfaRoutes({ ...methodDeps, factors: services.factors, gate: mfaGate, passkeys: services.passkeys, smsFactor: services.smsFactor }),
    accountSecurityRoutes({ ...methodDeps, factors: services.factors, mfa: services.mfa }),
    accountSessionsRoutes({ ...methodDeps, sessions: services.sessions }),
    verifyEmailRoutes({ ix, emailVerification: services.emailVerification, audit: services.audit }),
    interactionsRouter({ ix, renderLogin: (ctx, details) => loginPage.render(ctx, details), abandon: mfaGate.abandon }),
    passwordRoutes({ ix, users: services.users, limiter: services.limiter, audit: services.audit, challenges: services.challenges }, loginPage),
    emailCodeRoutes(methodDeps, loginPage),
    magicLinkRoutes(methodDeps, completion),
    phoneCodeRoutes(methodDeps, loginPage),
    codeRoutes({ ...methodDeps, limiter: services.limiter }, completion),
    signUpRoutes(methodDeps, loginPage),
    passwordResetRoutes({ ...methodDeps, resets }, completion, loginPage),
    ...passkeyRoutes({ ...methodDeps, passkeys: services.passkeys, limiter: services.limiter, gate: mfaGate }, loginPage),
  ];
}
