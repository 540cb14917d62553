// `tessera/client/mfa`: second-factor management for the signed-in user, added to client.auth by withMfa(client):
// an authenticator app (TOTP) with its QR code or a phone (SMS), recovery codes shown once, the list of factors and
// their removal, over the REST auth API's /v1/auth/2fa/… endpoints; an enrolment can also answer a sign-in's
// `enrol_mfa` challenge.
import { clientCore, type ExtensibleClient, type TokenAnswer } from './client-core.js';
import { TesseraError } from './client-error.js';
import type { AuthResult, Challenge } from './client-types.js';

export interface MfaFactor {
  /** the id unenrollMfa takes */
  id: string;
  type: 'totp' | 'sms' | 'webauthn';
  name: string | null;
  created_at: string | null;
}

export interface MfaFactors {
  enabled: boolean;
  factors: MfaFactor[];
  recovery_codes_left: number;
}

export interface TotpEnrolment {
  factor_id: string;
  /** a data: URL of the QR code to show (PNG) */
  qr_code: string;
  /** the base32 secret, for typing in by hand */
  secret: string;
  uri: string;
}

type Listed = { id?: string; name?: string | null; created_at?: string; phone?: string };
type Status = { enabled: boolean; methods: Record<string, Listed[] | Listed | number | null | undefined>; backup_codes_left?: number };
type Enrolled = { backup_codes?: string[] | null; access_token?: string } & Record<string, unknown>;

/** an enrolment for the signed-in user, or one that answers a sign-in's `enrol_mfa` challenge (no token yet: the
 *  proven enrolment completes that sign-in) */
export interface EnrolOptions {
  challengeId?: string;
}

/** the path segment of DELETE /v1/auth/2fa/method/{…}: totp and sms are one method each, a passkey is webauthn:<id> */
const methodPath = (factor: MfaFactor) => (factor.type === 'webauthn' ? `webauthn:${factor.id}` : factor.type);

export function mfaMethods(client: ExtensibleClient) {
  const { call, accessToken, settle } = client[clientCore];
  /** factor ids of SMS enrolments started here: verifyMfaEnrollment proves them at /sms/verify */
  const smsEnrolments = new Set<string>();
  const authed = async <T>(path: string, method: 'GET' | 'POST' | 'DELETE', body?: Record<string, unknown>) =>
    call<T>(path, { method, token: await accessToken(), ...(body ? { body } : {}) });
  /** under a challenge the app names itself and the challenge; otherwise the user's Bearer token */
  const enrolCall = async <T>(path: string, body: Record<string, unknown>, options: EnrolOptions = {}) =>
    options.challengeId ? call<T>(path, { asApp: true, body: { ...body, challenge_id: options.challengeId } }) : authed<T>(path, 'POST', body);

  const methods = {
    /** starts an authenticator-app enrolment; nothing changes until verifyMfaEnrollment */
    async enrollMfaTotp(name?: string, options?: EnrolOptions): Promise<TotpEnrolment> {
      const setup = await enrolCall<{ factor_id: string; secret: string; otpauth_uri: string; qr_png: string }>('auth/2fa/totp/setup', name ? { name } : {}, options);
      return { factor_id: setup.factor_id, qr_code: setup.qr_png, secret: setup.secret, uri: setup.otpauth_uri };
    },
    /** sends a code to the phone; verifyMfaEnrollment(factor_id, code) makes it the account's SMS factor */
    async enrollMfaSms(phone: string, options?: EnrolOptions): Promise<{ factor_id: string; expires_in: number }> {
      const sent = await enrolCall<{ factor_id: string; expires_in: number }>('auth/2fa/sms/setup', { phone }, options);
      smsEnrolments.add(sent.factor_id);
      return { factor_id: sent.factor_id, expires_in: sent.expires_in };
    },
    /** activates it with a code from the app (or the text message); recovery_codes come with the user's first factor
     *  only, shown this once; under an enrol_mfa challenge the sign-in completes and `result` is signed_in
     *  @throws TesseraError('otp.invalid_code' | 'otp.expired') */
    async verifyMfaEnrollment(factorId: string, code: string, options?: EnrolOptions): Promise<{ recovery_codes: string[] | null; result: AuthResult | null }> {
      const path = smsEnrolments.has(factorId) ? 'auth/2fa/sms/verify' : 'auth/2fa/totp/verify';
      const answer = await enrolCall<Enrolled>(path, { factor_id: factorId, code: code.trim() }, options);
      smsEnrolments.delete(factorId);
      const result = typeof answer.access_token === 'string' ? await settle(answer as never) : null;
      return { recovery_codes: answer.backup_codes ?? null, result };
    },
    async listMfaFactors(): Promise<MfaFactors> {
      const status = await authed<Status>('auth/2fa/status', 'GET');
      const factors: MfaFactor[] = [];
      for (const [type, value] of Object.entries(status.methods ?? {})) {
        if (type !== 'totp' && type !== 'sms' && type !== 'webauthn') continue;
        const items = Array.isArray(value) ? value : value && typeof value === 'object' ? [value] : [];
        for (const item of items) factors.push({ id: item.id ?? type, type, name: item.name ?? item.phone ?? null, created_at: item.created_at ?? null });
      }
      return { enabled: status.enabled, factors, recovery_codes_left: status.backup_codes_left ?? 0 };
    },
    /** removes a factor by the id listMfaFactors gave
     *  @throws TesseraError('request.invalid') for an id that is not one of the user's factors */
    async unenrollMfa(id: string): Promise<void> {
      const factor = (await methods.listMfaFactors()).factors.find((f) => f.id === id);
      if (!factor) throw new TesseraError('request.invalid', 'That is not one of your second factors.', 400);
      await authed<null>(`auth/2fa/method/${encodeURIComponent(methodPath(factor))}`, 'DELETE');
    },
    /** step-up: asks the signed-in user to prove `method` again now (an SMS code is sent at once) */
    async stepUp(method: 'totp' | 'sms'): Promise<{ challenge: Challenge }> {
      const answer = await authed<{ challenge: Challenge }>(`auth/2fa/challenge?method=${method}`, 'GET');
      return { challenge: answer.challenge };
    },
    /** answers the step-up: fresh tokens whose amr holds the method replace the session, whose old refresh token is
     *  revoked (best effort: the new session stands either way)
     *  @throws TesseraError('otp.invalid_code' | 'login.expired') */
    async verifyStepUp(challengeId: string, code: string): Promise<AuthResult> {
      const token = await accessToken();
      const old = await client.auth.getSession();
      const answer = await call<TokenAnswer>(`auth/2fa/challenge/${encodeURIComponent(challengeId)}/verify`, { token, body: { code: code.trim() } });
      const result = await settle(answer);
      if (old) await call('auth/logout', { asApp: true, body: { refresh_token: old.refresh_token } }).catch(() => undefined);
      return result;
    },
    /** a new set of recovery codes, shown once; the old ones stop working */
    async regenerateMfaRecoveryCodes(): Promise<{ recovery_codes: string[] }> {
      const answer = await authed<{ backup_codes: string[] }>('auth/2fa/backup-codes', 'POST', {});
      return { recovery_codes: answer.backup_codes };
    },
  };
  return methods;
}

export type MfaMethods = ReturnType<typeof mfaMethods>;

/** adds the MFA methods to client.auth and returns the same client, typed with them */
export function withMfa<C extends ExtensibleClient>(client: C): C & { auth: C['auth'] & MfaMethods } {
  Object.assign(client.auth, mfaMethods(client));
  return client as C & { auth: C['auth'] & MfaMethods };
}
