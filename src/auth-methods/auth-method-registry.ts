// Every way in, one line each (issue #16 §1): adding a method is its folder plus one line here. The JSON front
// doors find the methods that take a proof by id (get); the hosted login page draws the ways a tenant offers from
// loginPage (login-page.ts), so the page and the APIs cannot disagree about what a tenant offers.
//
// API:
//   createAuthMethodRegistry(deps: AuthMethodRegistryDeps): AuthMethodRegistry
//   get(id): VerifyingMethod | null     offered(tenant, factor): AuthMethod[]     ids(): string[]
//   loginPage(tenant): LoginPageWay[]   (the offered first factors with a place on the login page, in registry order)
import type { UsersService } from '../accounts/users.service.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { CourierTenant } from '../notifications/courier.js';
import type { TenantChannels } from '../notifications/tenant-channels.js';
import type { RateLimiter } from '../store/rate-limiter.js';
import type { AuthMethod, FactorKind, LoginPageEntry, VerifyingMethod } from './auth-method.js';
import { createEmailCodeMethod } from './email-code/email-code.method.js';
import type { AccountLinking } from './federated/account-linking.js';
import type { Connections } from './federated/connections.js';
import { createFederatedMethod } from './federated/federated.method.js';
import type { FederationStore } from './federated/federation-store.js';
import { createMagicLinkMethod } from './magic-link/magic-link.method.js';
import type { Factors } from './mfa/factors.service.js';
import { createRecoveryCodeMethod, createTotpMethod } from './mfa/second-factor.methods.js';
import { createSmsSecondFactorMethod, type SmsFactor } from './mfa/sms-factor.js';
import { createPasskeyFactorMethod } from './passkeys/passkey-factor.method.js';
import type { WebAuthnService } from './passkeys/webauthn.service.js';
import type { CodeChallenges } from './one-time-codes/code-challenges.js';
import type { CodeMethod } from './one-time-codes/code.method.js';
import type { OneTimeCodes } from './one-time-codes/one-time-codes.js';
import { createPasskeyMethod } from './passkeys/passkey.method.js';
import { createPasswordMethod } from './password/password.method.js';
import { createPhoneCodeMethod } from './phone-code/phone-code.method.js';
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
  connections: Pick<Connections, 'buttons'>;
  federation: Pick<FederationStore, 'takeResult'>;
  env: string;
  revokeAccount(tenant: { id: string; slug: string }, userId: string): Promise<unknown>;
}

/** a way in as the login page draws it */
export interface LoginPageWay extends LoginPageEntry { method: string }

export function createAuthMethodRegistry(deps: AuthMethodRegistryDeps) {
  const offers = (tenant: CourierTenant) => availableMethods(tenant, deps.channels, deps.env);
  const methods = {
    password: createPasswordMethod(deps),
    email_otp: createEmailCodeMethod(deps, (t) => offers(t).emailOtp),
    magic_link: createMagicLinkMethod(deps, (t) => offers(t).magicLink),
    sms_otp: createPhoneCodeMethod(deps, 'sms', (t) => offers(t).sms),
    whatsapp_otp: createPhoneCodeMethod(deps, 'whatsapp', (t) => offers(t).whatsapp),
    federated: createFederatedMethod(deps),
    passkey_sign_in: createPasskeyMethod(),
    totp: createTotpMethod(deps.factors),
    recovery_code: createRecoveryCodeMethod(deps.factors),
    sms: createSmsSecondFactorMethod(deps.smsFactor),
    passkey: createPasskeyFactorMethod(deps),
  } satisfies Record<string, AuthMethod>;
  const all: AuthMethod[] = Object.values(methods);
  const verifies = (method: AuthMethod): method is VerifyingMethod => typeof method.verify === 'function';

  return {
    methods,
    ids: () => Object.keys(methods),
    /** a method a caller can hand a proof to (password, codes, second factors); null for unknown ids and the others */
    get(id: string): VerifyingMethod | null {
      const method: AuthMethod | undefined = Object.hasOwn(methods, id) ? methods[id as keyof typeof methods] : undefined;
      return method && verifies(method) ? method : null;
    },
    /** the code method for a channel (the OTP API's `channel`) */
    codeMethod: (channel: 'email' | 'sms' | 'whatsapp'): CodeMethod => methods[`${channel}_otp`],
    offered: (tenant: CourierTenant, factor: FactorKind): AuthMethod[] => all.filter((m) => m.factor === factor && m.availableFor(tenant)),
    /** what the tenant's login page offers: one entry per place on the page (SMS and WhatsApp share the phone page) */
    loginPage(tenant: CourierTenant): LoginPageWay[] {
      const ways = new Map<string, LoginPageWay>();
      for (const method of all) {
        if (method.factor !== 'first' || !method.loginPage || ways.has(method.loginPage.flag) || !method.availableFor(tenant)) continue;
        ways.set(method.loginPage.flag, { ...method.loginPage, method: method.id });
      }
      return [...ways.values()];
    },
  };
}

export type AuthMethodRegistry = ReturnType<typeof createAuthMethodRegistry>;
