// `tessera/client/passkeys`: passkeys through the browser's WebAuthn API, added to client.auth by
// withPasskeys(client): registerPasskey() for the signed-in user or an enrol_mfa challenge (POST
// /v1/auth/2fa/webauthn/register, then /register/finish), signInWithPasskey() as a first factor (POST
// /v1/auth/passkey/options, then /verify) and verifyChallengeWithPasskey() for a sign-in's second factor. The
// server's options are WebAuthn's JSON forms (base64url for binary fields), converted here by hand so that browsers
// without PublicKeyCredential.parseCreationOptionsFromJSON work too.
import { clientCore, type ExtensibleClient } from './client-core.js';
import { TesseraError } from './client-error.js';
import type { AuthResult } from './client-types.js';

type Json = Record<string, unknown>;

function fromBase64url(text: string): ArrayBuffer {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(text.length / 4) * 4, '=');
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

function toBase64url(buffer: ArrayBuffer | ArrayBufferView): string {
  const bytes = buffer instanceof ArrayBuffer ? new Uint8Array(buffer) : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const withIds = (list: unknown) => (Array.isArray(list) ? list.map((c: Json) => ({ ...c, id: fromBase64url(c.id as string) })) : undefined);

const requestOptions = (options: Json) =>
  ({ ...options, challenge: fromBase64url(options.challenge as string), allowCredentials: withIds(options.allowCredentials) }) as unknown as PublicKeyCredentialRequestOptions;

function webauthn(): CredentialsContainer {
  const container = (globalThis as { navigator?: Navigator }).navigator?.credentials;
  if (!container || typeof (globalThis as { PublicKeyCredential?: unknown }).PublicKeyCredential !== 'function') {
    throw new TesseraError('sdk.passkeys_unavailable', 'This browser does not offer passkeys (WebAuthn).');
  }
  return container;
}

/** the browser's ceremony; a dismissed prompt (NotAllowedError) is sdk.passkey_cancelled */
async function ceremony(run: () => Promise<Credential | null>): Promise<PublicKeyCredential> {
  try {
    const credential = await run();
    if (!credential) throw new TesseraError('sdk.passkey_cancelled', 'No passkey was chosen.');
    return credential as PublicKeyCredential;
  } catch (error) {
    if (error instanceof TesseraError) throw error;
    throw new TesseraError('sdk.passkey_cancelled', error instanceof Error ? `${error.name}: ${error.message}` : 'The passkey prompt failed.');
  }
}

function credentialJson(credential: PublicKeyCredential): Json {
  const response = credential.response as AuthenticatorAttestationResponse & AuthenticatorAssertionResponse;
  const encoded: Json = { clientDataJSON: toBase64url(response.clientDataJSON) };
  if ('attestationObject' in response && response.attestationObject) {
    encoded.attestationObject = toBase64url(response.attestationObject);
    if (typeof response.getTransports === 'function') encoded.transports = response.getTransports();
  } else {
    encoded.authenticatorData = toBase64url(response.authenticatorData);
    encoded.signature = toBase64url(response.signature);
    if (response.userHandle) encoded.userHandle = toBase64url(response.userHandle);
  }
  return {
    id: credential.id, rawId: toBase64url(credential.rawId), type: credential.type, response: encoded,
    authenticatorAttachment: credential.authenticatorAttachment ?? undefined,
    clientExtensionResults: credential.getClientExtensionResults(),
  };
}

export function passkeyMethods(client: ExtensibleClient) {
  const { call, accessToken, settle } = client[clientCore];
  return {
    /** registers a passkey for the signed-in user; backup_codes come with the user's first factor only */
    async registerPasskey(name?: string, enrol: { challengeId?: string } = {}): Promise<{ factor_id: string; backup_codes: string[] | null; result: AuthResult | null }> {
      const container = webauthn();
      // under an enrol_mfa challenge the app names itself and the challenge; otherwise the user's Bearer token
      const authOf = async (body: Json) => (enrol.challengeId ? { asApp: true, body: { ...body, challenge_id: enrol.challengeId } } : { token: await accessToken(), body });
      const { registration_id: id, options } = await call<{ registration_id: string; options: Json }>('auth/2fa/webauthn/register', await authOf({}));
      const user = options.user as Json;
      const publicKey = {
        ...options,
        challenge: fromBase64url(options.challenge as string),
        user: { ...user, id: fromBase64url(user.id as string) },
        excludeCredentials: withIds(options.excludeCredentials),
      } as unknown as PublicKeyCredentialCreationOptions;
      const credential = await ceremony(() => container.create({ publicKey }));
      const done = await call<{ factor_id: string; backup_codes?: string[] | null; access_token?: string }>('auth/2fa/webauthn/register/finish',
        await authOf({ registration_id: id, credential: credentialJson(credential), ...(name ? { name } : {}) }));
      return { factor_id: done.factor_id, backup_codes: done.backup_codes ?? null, result: typeof done.access_token === 'string' ? await settle(done as never) : null };
    },
    /** signs in with a passkey as the first factor (a discoverable credential: no email needed) */
    async signInWithPasskey(): Promise<AuthResult> {
      const container = webauthn();
      const { request_id: id, options } = await call<{ request_id: string; options: Json }>('auth/passkey/options', { asApp: true, body: {} });
      const credential = await ceremony(() => container.get({ publicKey: requestOptions(options) }));
      return settle(await call('auth/passkey/verify', { asApp: true, body: { request_id: id, credential: credentialJson(credential) } }));
    },
    /** answers a sign-in's second-factor challenge with a passkey */
    async verifyChallengeWithPasskey(challengeId: string): Promise<AuthResult> {
      const container = webauthn();
      const path = `auth/challenge/${encodeURIComponent(challengeId)}/`;
      const { options } = await call<{ options: Json }>(`${path}webauthn/options`, { asApp: true, body: {} });
      const credential = await ceremony(() => container.get({ publicKey: requestOptions(options) }));
      return settle(await call(`${path}verify`, { asApp: true, body: { method: 'webauthn', credential: credentialJson(credential) } }));
    },
  };
}

export type PasskeyMethods = ReturnType<typeof passkeyMethods>;

/** adds registerPasskey and signInWithPasskey to client.auth and returns the same client, typed with them */
export function withPasskeys<C extends ExtensibleClient>(client: C): C & { auth: C['auth'] & PasskeyMethods } {
  Object.assign(client.auth, passkeyMethods(client));
  return client as C & { auth: C['auth'] & PasskeyMethods };
}
