// A WebAuthn authenticator in Node for the JSON APIs' tests (the hosted pages use Chromium's virtual authenticator,
// test/e2e/passkeys.e2e.test.ts): ES256 keys from node:crypto, registration with "none" attestation (WebAuthn §8.7)
// and assertions signed over authenticator data ‖ SHA-256(client data) (§6.3.3), from the options the server gave,
// as navigator.credentials.create/get would answer them. Discoverable: it remembers the user handle of each key.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

interface StoredCredential { id: string; rpId: string; userHandle: string; key: KeyObject; publicKey: KeyObject; counter: number }

interface CreationOptions { challenge: string; rp: { id?: string }; user: { id: string }; excludeCredentials?: { id: string }[] }
interface RequestOptions { challenge: string; rpId?: string; allowCredentials?: { id: string }[] }

export interface RegistrationJson {
  id: string; rawId: string; type: 'public-key'; authenticatorAttachment: 'platform'; clientExtensionResults: Record<string, never>;
  response: { clientDataJSON: string; attestationObject: string; transports: string[] };
}
export interface AuthenticationJson {
  id: string; rawId: string; type: 'public-key'; authenticatorAttachment: 'platform'; clientExtensionResults: Record<string, never>;
  response: { clientDataJSON: string; authenticatorData: string; signature: string; userHandle: string };
}

/** a CBOR byte string head (RFC 8949 §3.1, major type 2) */
function byteString(bytes: Buffer): Buffer {
  const n = bytes.length;
  const head = n < 24 ? Buffer.from([0x40 + n]) : n < 256 ? Buffer.from([0x58, n]) : Buffer.from([0x59, n >> 8, n & 0xff]);
  return Buffer.concat([head, bytes]);
}
const text = (value: string) => Buffer.concat([Buffer.from([0x60 + value.length]), Buffer.from(value)]);

/** COSE_Key {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y} (RFC 9053 §7.1.1) */
function coseKey(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  return Buffer.concat([Buffer.from('a5010203262001', 'hex'), Buffer.from([0x21]), byteString(Buffer.from(jwk.x!, 'base64url')), Buffer.from([0x22]), byteString(Buffer.from(jwk.y!, 'base64url'))]);
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest();
const flagsOf = (uv: boolean, attested: boolean) => 0x01 | (uv ? 0x04 : 0) | (attested ? 0x40 : 0);

export function createSoftwareAuthenticator(origin: string) {
  const credentials: StoredCredential[] = [];

  function counterBytes(value: number) {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32BE(value);
    return bytes;
  }

  return {
    credentials,
    /**
     * navigator.credentials.create: a new key for options.user on options.rp (`reuse`: the key of that credential id
     * again, as a misbehaving authenticator that ignores excludeCredentials would)
     */
    register(options: CreationOptions, opts: { uv?: boolean; challenge?: string; origin?: string; reuse?: string } = {}): RegistrationJson {
      const rpId = options.rp.id ?? new URL(origin).hostname;
      const reused = opts.reuse ? credentials.find((c) => c.id === opts.reuse) : undefined;
      const { privateKey, publicKey } = reused ? { privateKey: reused.key, publicKey: reused.publicKey } : generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const id = reused ? Buffer.from(reused.id, 'base64url') : randomBytes(16);
      if (!reused) credentials.push({ id: id.toString('base64url'), rpId, userHandle: options.user.id, key: privateKey, publicKey, counter: 0 });
      const authData = Buffer.concat([
        sha256(rpId), Buffer.from([flagsOf(opts.uv ?? true, true)]), counterBytes(0),
        Buffer.alloc(16), Buffer.from([id.length >> 8, id.length & 0xff]), id, coseKey(publicKey),
      ]);
      const attestation = Buffer.concat([Buffer.from([0xa3]), text('fmt'), text('none'), text('attStmt'), Buffer.from([0xa0]), text('authData'), byteString(authData)]);
      const clientData = JSON.stringify({ type: 'webauthn.create', challenge: opts.challenge ?? options.challenge, origin: opts.origin ?? origin, crossOrigin: false });
      return {
        id: id.toString('base64url'), rawId: id.toString('base64url'), type: 'public-key', authenticatorAttachment: 'platform', clientExtensionResults: {},
        response: { clientDataJSON: Buffer.from(clientData).toString('base64url'), attestationObject: attestation.toString('base64url'), transports: ['internal'] },
      };
    },
    /** navigator.credentials.get: the first key allowed by the options (any of this RP's when none are listed) */
    assert(options: RequestOptions, opts: { uv?: boolean; credentialId?: string } = {}): AuthenticationJson {
      const rpId = options.rpId ?? new URL(origin).hostname;
      const allowed = options.allowCredentials?.length ? new Set(options.allowCredentials.map((c) => c.id)) : null;
      const credential = credentials.find((c) => c.rpId === rpId && (!allowed || allowed.has(c.id)) && (!opts.credentialId || c.id === opts.credentialId));
      if (!credential) throw new Error('the software authenticator holds no key for these options');
      credential.counter += 1;
      const authData = Buffer.concat([sha256(rpId), Buffer.from([flagsOf(opts.uv ?? true, false)]), counterBytes(credential.counter)]);
      const clientData = Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge: options.challenge, origin, crossOrigin: false }));
      const signature = sign('sha256', Buffer.concat([authData, sha256(clientData)]), credential.key);
      return {
        id: credential.id, rawId: credential.id, type: 'public-key', authenticatorAttachment: 'platform', clientExtensionResults: {},
        response: { clientDataJSON: clientData.toString('base64url'), authenticatorData: authData.toString('base64url'), signature: signature.toString('base64url'), userHandle: credential.userHandle },
      };
    },
  };
}
