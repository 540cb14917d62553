// PKCE for the SDK's redirect-borne sign-ins (sign-in links, social sign-in; RFC 7636): starting one makes a
// random verifier, keeps it in the client's storage (the session's, so the tab the link or provider opens finds it)
// and sends its S256 challenge; the verify call sends it back and, once signed in, it is forgotten. One verifier at a
// time: a new start replaces it, as the newest link or code is the one that counts. Web Crypto only, so the core
// stays free of server code; no `plain` fallback (the server refuses plain).
import { TesseraError } from './client-error.js';
import type { SessionStorage } from './client-types.js';

const base64url = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

function webCrypto(): Crypto {
  const crypto = (globalThis as { crypto?: Crypto }).crypto;
  // a page served over plain http (other than localhost) has no crypto.subtle
  if (!crypto?.subtle || !crypto.getRandomValues) throw new TesseraError('sdk.pkce_unavailable', 'This runtime has no Web Crypto (a page on http:// other than localhost?): serve the app over https, or create the client with flowType: "implicit".');
  return crypto;
}

export interface PkceStore {
  /** a new verifier, stored; its challenge for the start call (`code_challenge`, method S256) */
  start(): Promise<{ code_challenge: string; code_challenge_method: 'S256' }>;
  /** the stored verifier, if a start left one */
  verifier(): Promise<string | null>;
  forget(): Promise<void>;
}

export function createPkceStore(storage: SessionStorage, key: string): PkceStore {
  /** where the verifier lives when the storage refuses it (a disabled or full one): this tab only */
  let fallback: string | null = null;
  return {
    async start() {
      const crypto = webCrypto();
      // 32 random bytes: 43 characters, the 256 bits RFC 7636 §7.1 asks for
      const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
      try {
        await storage.setItem(key, verifier);
        fallback = null;
      } catch {
        fallback = verifier;
      }
      return { code_challenge: base64url(digest), code_challenge_method: 'S256' };
    },
    async verifier() {
      try {
        const value = fallback ?? await storage.getItem(key);
        return typeof value === 'string' && /^[A-Za-z0-9._~-]{43,128}$/.test(value) ? value : null;
      } catch {
        return null;
      }
    },
    async forget() {
      fallback = null;
      try {
        await storage.removeItem(key);
      } catch {
        // a storage that throws kept nothing
      }
    },
  };
}
