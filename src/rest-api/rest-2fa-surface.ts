// Every 2FA route of the REST auth API (issue #16 §3), added to its router in one place: status, TOTP, backup codes
// and trusted devices (rest-2fa.routes.ts), SMS (rest-2fa-sms.routes.ts), WebAuthn registration and passkey sign-in
// (rest-webauthn.routes.ts), the login challenge's send and WebAuthn options (rest-login-challenge.routes.ts),
// step-up (rest-step-up.routes.ts), and the tenant's policy and compliance (rest-2fa-policy.routes.ts).
import type Router from '@koa/router';
import type { Services } from '../services.js';
import { addTwoFactorRoutes } from './rest-2fa.routes.js';
import { addSmsFactorRoutes } from './rest-2fa-sms.routes.js';
import { addTwoFactorPolicyRoutes } from './rest-2fa-policy.routes.js';
import type { RestTwoFactorDeps } from './rest-2fa-subject.js';
import { addLoginChallengeRoutes } from './rest-login-challenge.routes.js';
import { addStepUpRoutes } from './rest-step-up.routes.js';
import { addWebAuthnRoutes } from './rest-webauthn.routes.js';

export function addTwoFactorSurface(router: Router, services: Services, deps: RestTwoFactorDeps) {
  addTwoFactorRoutes(router, services, deps);
  addSmsFactorRoutes(router, services, deps);
  addWebAuthnRoutes(router, services, deps);
  addLoginChallengeRoutes(router, services, deps);
  addStepUpRoutes(router, services, deps);
  addTwoFactorPolicyRoutes(router, services, deps);
}
