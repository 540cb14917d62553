// A stand-in token issuer for tests of tessera/verify and tessera/rls: discovery and a JWKS over real HTTP,
// keys the test generates and rotates, a count of JWKS fetches, and a signer for any token a test needs —
// including those Tessera would never issue (expired, alg none, HS256 keyed with the public key).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as jose from 'jose';

export interface StubIssuer {
  readonly issuer: string;
  readonly audience: string;
  /** JWKS fetches so far */
  readonly jwksFetches: () => number;
  /** a signed at+jwt: good in every respect but what `claims` and `header` change */
  sign(claims?: jose.JWTPayload, header?: Partial<jose.JWTHeaderParameters>, key?: SigningKey): Promise<string>;
  /** a new key, published from now on (the old one stays unless `replace`) */
  rotate(options?: { replace?: boolean }): Promise<SigningKey>;
  /** a key of the right shape that the issuer never published */
  unpublishedKey(): Promise<SigningKey>;
  readonly current: () => SigningKey;
  close(): Promise<void>;
}

export interface SigningKey { readonly kid: string; readonly privateKey: CryptoKey; readonly publicJwk: jose.JWK }

async function newKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await jose.generateKeyPair('RS256', { extractable: true });
  return { kid, privateKey, publicJwk: { ...(await jose.exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

export async function startStubIssuer(audience = 'https://api.example.com'): Promise<StubIssuer> {
  let keys = [await newKey('k1')];
  let fetches = 0;
  let serial = 1;
  const server: Server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') return res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
    if (req.url === '/jwks') {
      fetches += 1;
      return res.end(JSON.stringify({ keys: keys.map((k) => k.publicJwk) }));
    }
    res.statusCode = 404;
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const current = () => keys[keys.length - 1]!;
  return {
    issuer,
    audience,
    jwksFetches: () => fetches,
    current,
    async sign(claims = {}, header = {}, key = current()) {
      const now = Math.floor(Date.now() / 1000);
      const payload = { iss: issuer, aud: audience, iat: now, exp: now + 300, sub: 'user-1', client_id: 'app', jti: `j${now}`, ...claims };
      return new jose.SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'at+jwt', ...header }).sign(key.privateKey);
    },
    async rotate({ replace = false } = {}) {
      serial += 1;
      const key = await newKey(`k${serial}`);
      keys = replace ? [key] : [...keys, key];
      return key;
    },
    unpublishedKey: () => newKey('k1'),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
