// WebAuthn ceremonies for a tenant's passkeys (issue #5), on @simplewebauthn/server: the options a browser passes to
// navigator.credentials.create/get, and the checks of what it sends back. Each challenge is single-use, lives five
// minutes in the KvStore, and is bound to what the caller names (an interaction uid, an account session) and to
// one purpose: a challenge issued for a page of one browser verifies nothing in another, nor for another step.
import type {
  AuthenticationResponseJSON, PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON, RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { z } from 'zod';
import type { PasskeyRecord, PasskeysRepository } from '../../db/passkeys.repository.js';
import { AppError } from '../../errors/app-error.js';
import type { KvStore } from '../../store/kv-store.js';
import type { MfaSettings } from '../../tenants/mfa-settings.js';

/** register: the account page; login: passwordless first factor; mfa: second factor of a waiting login */
export type CeremonyPurpose = 'register' | 'login' | 'mfa';
type UserVerification = 'required' | 'preferred' | 'discouraged';

export interface WebAuthnTenant {
  readonly id: string;
  readonly name: string;
  readonly settings: { readonly mfa: MfaSettings };
}

export interface RelyingParty { id: string; name: string; origins: string[] }

/** @simplewebauthn/server and its ASN.1 and COSE libraries (about 4 MB of heap) load with the first ceremony, not at start */
let library: Promise<typeof import('@simplewebauthn/server')> | undefined;
const simpleWebAuthn = () => (library ??= import('@simplewebauthn/server'));

export const CHALLENGE_TTL_SECONDS = 300;
/** passkeys one user may hold: enough for every device, not a storage sink */
export const MAX_PASSKEYS_PER_USER = 20;
const TIMEOUT_MS = 120_000;

/** why a ceremony failed; for the audit log, never shown to the user as such */
export type CeremonyFailure =
  | 'malformed' | 'challenge' | 'unknown_credential' | 'wrong_user' | 'counter' | 'user_verification' | 'verification' | 'taken' | 'limit';

const b64url = z.string().max(16_384).regex(/^[A-Za-z0-9_-]*$/);
const base = { id: b64url.min(1).max(1366), rawId: b64url.min(1).max(1366), type: z.literal('public-key'), authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(), clientExtensionResults: z.record(z.string(), z.unknown()).default({}) };
const registrationSchema = z.object({
  ...base,
  response: z.object({ clientDataJSON: b64url, attestationObject: b64url, transports: z.array(z.string().max(32)).max(10).optional() }).loose(),
});
const authenticationSchema = z.object({
  ...base,
  response: z.object({ clientDataJSON: b64url, authenticatorData: b64url, signature: b64url, userHandle: b64url.max(128).optional() }).loose(),
});

/** the browser's credential, as posted (a JSON string), checked for shape; null when it is not one */
export function parseRegistration(raw: string): RegistrationResponseJSON | null {
  return parseJson(raw, registrationSchema) as RegistrationResponseJSON | null;
}
export function parseAuthentication(raw: string): AuthenticationResponseJSON | null {
  return parseJson(raw, authenticationSchema) as AuthenticationResponseJSON | null;
}
function parseJson(raw: string, schema: z.ZodType): unknown {
  if (!raw || raw.length > 65_536) return null;
  try {
    const parsed = schema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** the tenant's RP id and allowed origins; by default PUBLIC_URL's host name and origin */
export function relyingParty(tenant: WebAuthnTenant, publicOrigin: string): RelyingParty {
  const { rpId, origins } = tenant.settings.mfa.webauthn;
  return {
    id: rpId ?? new URL(publicOrigin).hostname,
    name: tenant.name,
    origins: origins.length ? [...new Set(origins.map((o) => new URL(o).origin))] : [publicOrigin],
  };
}

/** the user handle we give authenticators: the user id's bytes, no personal data (WebAuthn §14.6.1) */
export const userHandleOf = (userId: string) => new TextEncoder().encode(userId);

function challengeOf(clientDataJSON: string): string | null {
  try {
    const data = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8')) as { challenge?: unknown };
    return typeof data.challenge === 'string' && /^[A-Za-z0-9_-]{16,128}$/.test(data.challenge) ? data.challenge : null;
  } catch {
    return null;
  }
}

/** the signature counter in authenticator data (WebAuthn §6.1: bytes 33–36, big-endian), or null */
function signCountOf(authenticatorData: string): number | null {
  const bytes = Buffer.from(authenticatorData, 'base64url');
  return bytes.length >= 37 ? bytes.readUInt32BE(33) : null;
}

/** `issuedAt` (ms by the service's clock): a challenge is refused past its five minutes even if the store still holds it */
interface Issued { userId: string | null; userVerification: UserVerification; issuedAt?: number }

export type RegistrationResult = { ok: true; passkey: PasskeyRecord } | { ok: false; reason: CeremonyFailure };
export type AssertionResult =
  | { ok: true; passkey: PasskeyRecord; userVerified: boolean }
  | { ok: false; reason: CeremonyFailure; userId: string | null };

/** @param deps.now the clock challenges expire by (ms); default Date.now */
export function createWebAuthnService(deps: { store: KvStore; passkeys: PasskeysRepository; publicOrigin: string; now?: () => number }) {
  const { store, passkeys } = deps;
  const now = deps.now ?? Date.now;
  const key = (tenantId: string, purpose: CeremonyPurpose, binding: string, challenge: string) => `webauthn:${tenantId}:${purpose}:${binding}:${challenge}`;

  async function issue(tenantId: string, purpose: CeremonyPurpose, binding: string, challenge: string, issued: Issued): Promise<void> {
    await store.set(key(tenantId, purpose, binding, challenge), JSON.stringify({ ...issued, issuedAt: now() }), CHALLENGE_TTL_SECONDS);
  }

  /**
   * Takes the challenge the client data names, once: the first caller to claim it gets what was issued with it,
   * every other (a replay, a concurrent second post) gets null — as does a challenge of another binding or purpose.
   */
  async function consume(tenantId: string, purpose: CeremonyPurpose, binding: string, clientDataJSON: string): Promise<(Issued & { challenge: string }) | null> {
    const challenge = challengeOf(clientDataJSON);
    if (!challenge) return null;
    const k = key(tenantId, purpose, binding, challenge);
    const raw = await store.get(k);
    if (!raw || !(await store.setIfAbsent(`${k}:spent`, '1', CHALLENGE_TTL_SECONDS))) return null;
    await store.del([k]);
    const issued = JSON.parse(raw) as Issued;
    if (issued.issuedAt !== undefined && now() - issued.issuedAt > CHALLENGE_TTL_SECONDS * 1000) return null;
    return { ...issued, challenge };
  }

  return {
    relyingParty: (tenant: WebAuthnTenant) => relyingParty(tenant, deps.publicOrigin),

    /** options for navigator.credentials.create: a discoverable credential, none of the user's existing ones */
    async registrationOptions(tenant: WebAuthnTenant, binding: string, user: { id: string; name: string; displayName: string }): Promise<PublicKeyCredentialCreationOptionsJSON | null> {
      const rp = relyingParty(tenant, deps.publicOrigin);
      const existing = await passkeys.listForUser(tenant.id, user.id);
      if (existing.length >= MAX_PASSKEYS_PER_USER) return null;
      const options = await (await simpleWebAuthn()).generateRegistrationOptions({
        rpName: rp.name, rpID: rp.id, userID: userHandleOf(user.id), userName: user.name, userDisplayName: user.displayName,
        attestationType: 'none', timeout: TIMEOUT_MS,
        excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: p.transports })),
        authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'preferred' },
      });
      await issue(tenant.id, 'register', binding, options.challenge, { userId: user.id, userVerification: 'preferred' });
      return options;
    },

    /** checks a new credential against the challenge issued to this binding for this user, and stores it */
    async register(tenant: WebAuthnTenant, binding: string, userId: string, response: RegistrationResponseJSON, name: string): Promise<RegistrationResult> {
      const issued = await consume(tenant.id, 'register', binding, response.response.clientDataJSON);
      if (!issued) return { ok: false, reason: 'challenge' };
      if (issued.userId !== userId) return { ok: false, reason: 'wrong_user' };
      if ((await passkeys.countForUser(tenant.id, userId)) >= MAX_PASSKEYS_PER_USER) return { ok: false, reason: 'limit' };
      const rp = relyingParty(tenant, deps.publicOrigin);
      let verified;
      try {
        verified = await (await simpleWebAuthn()).verifyRegistrationResponse({
          response, expectedChallenge: issued.challenge, expectedOrigin: rp.origins, expectedRPID: rp.id, requireUserVerification: false,
        });
      } catch {
        return { ok: false, reason: 'verification' };
      }
      if (!verified.verified) return { ok: false, reason: 'verification' };
      const info = verified.registrationInfo;
      try {
        const passkey = await passkeys.create(tenant.id, userId, {
          credentialId: info.credential.id, publicKey: info.credential.publicKey, counter: info.credential.counter,
          transports: (response.response.transports ?? []).slice(0, 10), deviceType: info.credentialDeviceType, backedUp: info.credentialBackedUp, name,
        });
        return { ok: true, passkey };
      } catch (error) {
        if (error instanceof AppError && error.code === 'passkey.taken') return { ok: false, reason: 'taken' };
        throw error;
      }
    },

    /**
     * Options for navigator.credentials.get. With a user (second factor): that user's credentials only. Without
     * (passwordless): none listed, so the authenticator offers its discoverable credentials for this RP.
     */
    async authenticationOptions(tenant: WebAuthnTenant, purpose: 'login' | 'mfa', binding: string, options: { userId?: string; userVerification: UserVerification }): Promise<PublicKeyCredentialRequestOptionsJSON> {
      const rp = relyingParty(tenant, deps.publicOrigin);
      const allow = options.userId ? await passkeys.listForUser(tenant.id, options.userId) : [];
      const generated = await (await simpleWebAuthn()).generateAuthenticationOptions({
        rpID: rp.id, timeout: TIMEOUT_MS, userVerification: options.userVerification,
        allowCredentials: allow.map((p) => ({ id: p.credentialId, transports: p.transports })),
      });
      await issue(tenant.id, purpose, binding, generated.challenge, { userId: options.userId ?? null, userVerification: options.userVerification });
      return generated;
    },

    /**
     * Checks an assertion: the challenge issued to this binding and purpose (consumed either way), a credential of
     * this tenant — of the expected user when the challenge named one — whose user handle, if sent, is its owner's,
     * the signature, RP id and origin, user verification when it was required, and the signature counter: it must
     * grow unless the authenticator keeps none (both 0), else the credential may have been cloned (WebAuthn §6.1.1).
     * Records the new counter and the time of use.
     */
    async authenticate(tenant: WebAuthnTenant, purpose: 'login' | 'mfa', binding: string, response: AuthenticationResponseJSON): Promise<AssertionResult> {
      const issued = await consume(tenant.id, purpose, binding, response.response.clientDataJSON);
      const passkey = await passkeys.findByCredentialId(tenant.id, response.id);
      const fail = (reason: CeremonyFailure): AssertionResult => ({ ok: false, reason, userId: issued?.userId ?? passkey?.userId ?? null });
      if (!issued) return fail('challenge');
      if (!passkey) return fail('unknown_credential');
      if (issued.userId && passkey.userId !== issued.userId) return fail('wrong_user');
      const handle = response.response.userHandle;
      if (handle && Buffer.from(handle, 'base64url').toString('utf8') !== passkey.userId) return fail('wrong_user');
      const counter = signCountOf(response.response.authenticatorData);
      if (counter === null) return fail('malformed');
      if ((counter > 0 || passkey.counter > 0) && counter <= passkey.counter) return fail('counter');
      const rp = relyingParty(tenant, deps.publicOrigin);
      let verified;
      try {
        verified = await (await simpleWebAuthn()).verifyAuthenticationResponse({
          response, expectedChallenge: issued.challenge, expectedOrigin: rp.origins, expectedRPID: rp.id,
          credential: { id: passkey.credentialId, publicKey: new Uint8Array(passkey.publicKey), counter: passkey.counter, transports: passkey.transports },
          requireUserVerification: issued.userVerification === 'required',
        });
      } catch (error) {
        return fail(/user verification/i.test((error as Error).message) ? 'user_verification' : 'verification');
      }
      if (!verified.verified) return fail('verification');
      await passkeys.recordUse(passkey.id, verified.authenticationInfo.newCounter);
      return { ok: true, passkey, userVerified: verified.authenticationInfo.userVerified };
    },
  };
}

export type WebAuthnService = ReturnType<typeof createWebAuthnService>;
