// Every way in, one line each (issue #16 §1): adding a method is its folder plus one line here. The JSON front
// doors find methods by id; which a tenant offers is each method's availableFor (for the hosted page's methods:
// sign-in-methods.ts, so the page and the APIs cannot disagree).
//
// API:
//   createAuthMethodRegistry(deps: AuthMethodRegistryDeps): AuthMethodRegistry
//   get(id): AuthMethod | null     offered(tenant, factor): AuthMethod[]     ids(): string[]
import type { UsersService } from '../accounts/users.service.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { CourierTenant } from '../notifications/courier.js';
import type { TenantChannels } from '../notifications/tenant-channels.js';
import type { RateLimiter } from '../store/rate-limiter.js';
import type { AuthMethod, FactorKind } from './auth-method.js';
import type { AccountLinking } from './federated/account-linking.js';
import type { Factors } from './mfa/factors.service.js';
import { createRecoveryCodeMethod, createTotpMethod } from './mfa/second-factor.methods.js';
import { createSmsSecondFactorMethod, type SmsFactor } from './mfa/sms-factor.js';
import { createPasskeyFactorMethod } from './passkeys/passkey-factor.method.js';
import type { WebAuthnService } from './passkeys/webauthn.service.js';
import type { CodeChallenges } from './one-time-codes/code-challenges.js';
import { createCodeMethod, type CodeMethod } from './one-time-codes/code.method.js';
import type { OneTimeCodes } from './one-time-codes/one-time-codes.js';
import { createPasswordMethod } from './password/password.method.js';
import { availableMethods } from './sign-in-methods.js';

export interface AuthMethodRegistryDeps {
  users: UsersService;
  codes: OneTimeCodes;
  challenges: CodeChallenges;
  linking: AccountLinking;
  audit: AuditLog;
  factors: Factors;
  smsFactor: SmsFactor;
  webauthn: WebAuthnService;
  limiter: RateLimiter;
  channels: TenantChannels;
  env: string;
  revokeAccount(tenant: { id: string; slug: string }, userId: string): Promise<unknown>;
}

export function createAuthMethodRegistry(deps: AuthMethodRegistryDeps) {
  const offers = (tenant: CourierTenant) => availableMethods(tenant, deps.channels, deps.env);
  const phonePage = { flag: 'phone', path: '/phone', label: 'Sign in with your phone' } as const;
  const methods = {
    password: createPasswordMethod(deps),
    email_otp: createCodeMethod(deps, { id: 'email_otp', channel: 'email', amr: ['otp'], availableFor: (t) => offers(t).emailOtp, loginPage: { flag: 'emailOtp', path: '/email-code', label: 'Email me a code' } }),
    sms_otp: createCodeMethod(deps, { id: 'sms_otp', channel: 'sms', amr: ['sms'], availableFor: (t) => offers(t).sms, loginPage: phonePage }),
    whatsapp_otp: createCodeMethod(deps, { id: 'whatsapp_otp', channel: 'whatsapp', amr: ['otp'], availableFor: (t) => offers(t).whatsapp, loginPage: phonePage }),
    totp: createTotpMethod(deps.factors),
    recovery_code: createRecoveryCodeMethod(deps.factors),
    sms: createSmsSecondFactorMethod(deps.smsFactor),
    passkey: createPasskeyFactorMethod(deps),
  } satisfies Record<string, AuthMethod>;
  const all: AuthMethod[] = Object.values(methods);

  return {
    methods,
    ids: () => Object.keys(methods),
    get: (id: string): AuthMethod | null => (Object.hasOwn(methods, id) ? methods[id as keyof typeof methods] : null),
    /** the code method for a channel (the OTP API's `channel`) */
    codeMethod: (channel: 'email' | 'sms' | 'whatsapp'): CodeMethod => methods[`${channel}_otp`],
    offered: (tenant: CourierTenant, factor: FactorKind): AuthMethod[] => all.filter((m) => m.factor === factor && m.availableFor(tenant)),
  };
}

export type AuthMethodRegistry = ReturnType<typeof createAuthMethodRegistry>;
