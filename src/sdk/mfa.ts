// `tessera/client/mfa`: second-factor management for the signed-in user, added to client.auth by withMfa(client):
// an authenticator app (TOTP) with its QR code, recovery codes shown once, the list of factors and their removal,
// over the REST auth API's /v1/auth/2fa/… endpoints.
import { clientCore, type ExtensibleClient } from './client-core.js';
import { TesseraError } from './client-error.js';

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
type Status = { enabled: boolean; methods: Record<string, Listed[] | number | undefined>; backup_codes_left?: number };

/** the path segment of DELETE /v1/auth/2fa/method/{…}: totp and sms are one method each, a passkey is webauthn:<id> */
const methodPath = (factor: MfaFactor) => (factor.type === 'webauthn' ? `webauthn:${factor.id}` : factor.type);

export function mfaMethods(client: ExtensibleClient) {
  const { call, accessToken } = client[clientCore];
  const authed = async <T>(path: string, method: 'GET' | 'POST' | 'DELETE', body?: Record<string, unknown>) =>
    call<T>(path, { method, token: await accessToken(), ...(body ? { body } : {}) });

  const methods = {
    /** starts an authenticator-app enrolment; nothing changes until verifyMfaEnrollment */
    async enrollMfaTotp(name?: string): Promise<TotpEnrolment> {
      const setup = await authed<{ factor_id: string; secret: string; otpauth_uri: string; qr_png: string }>('auth/2fa/totp/setup', 'POST', name ? { name } : {});
      return { factor_id: setup.factor_id, qr_code: setup.qr_png, secret: setup.secret, uri: setup.otpauth_uri };
    },
    /** activates it with a code from the app; recovery_codes come with the user's first factor only, shown this once
     *  @throws TesseraError('otp.invalid_code') */
    async verifyMfaEnrollment(factorId: string, code: string): Promise<{ recovery_codes: string[] | null }> {
      const answer = await authed<{ backup_codes?: string[] | null }>('auth/2fa/totp/verify', 'POST', { factor_id: factorId, code: code.trim() });
      return { recovery_codes: answer.backup_codes ?? null };
    },
    async listMfaFactors(): Promise<MfaFactors> {
      const status = await authed<Status>('auth/2fa/status', 'GET');
      const factors: MfaFactor[] = [];
      for (const [key, value] of Object.entries(status.methods ?? {})) {
        const type = key === 'passkeys' ? 'webauthn' : key;
        if (!Array.isArray(value) || (type !== 'totp' && type !== 'sms' && type !== 'webauthn')) continue;
        for (const item of value) factors.push({ id: item.id ?? type, type, name: item.name ?? item.phone ?? null, created_at: item.created_at ?? null });
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
