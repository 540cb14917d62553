// The rules the resource-server guard and /permissions/check share (src/rbac/access-token-check.ts), with keys
// made here: what a token must be to pass, and how held permissions are read and compared.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as jose from 'jose';
import { listClaim, missingPermissions, verifyAccessToken } from '../../src/rbac/access-token-check.js';

const issuer = 'https://id.example.com/t/acme';
const audience = 'https://api.example.com';

describe('access-token check', () => {
  let keys: jose.JWTVerifyGetKey;
  let sign: (claims: jose.JWTPayload, typ?: string) => Promise<string>;

  before(async () => {
    const { publicKey, privateKey } = await jose.generateKeyPair('ES256');
    keys = jose.createLocalJWKSet({ keys: [{ ...(await jose.exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] });
    sign = (claims, typ = 'at+jwt') => {
      const now = Math.floor(Date.now() / 1000);
      return new jose.SignJWT({ iss: issuer, aud: audience, sub: 'u1', client_id: 'c1', iat: now, exp: now + 60, ...claims })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ }).sign(privateKey);
    };
  });

  it('accepts a good token, with the media type form of typ too (RFC 9068 §2.1)', async () => {
    for (const typ of ['at+jwt', 'application/at+jwt']) {
      const verdict = await verifyAccessToken(await sign({}, typ), keys, { issuer, audience });
      assert.ok(verdict.ok, typ);
      assert.equal(verdict.claims.sub, 'u1');
    }
  });

  it('accepts an audience list that includes the API', async () => {
    assert.ok((await verifyAccessToken(await sign({ aud: ['https://other.example.com', audience] }), keys, { issuer, audience })).ok);
  });

  it('refuses tokens missing what a resource server relies on, saying what', async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases: [jose.JWTPayload, string | undefined, RegExp][] = [
      [{ exp: undefined }, undefined, /exp claim/],
      [{ sub: undefined }, undefined, /sub claim/],
      [{ client_id: undefined }, undefined, /client_id claim/],
      [{ exp: now - 1 }, undefined, /expired/],
      [{ iss: 'https://id.example.com/t/other' }, undefined, /iss claim/],
      [{ aud: 'https://other.example.com' }, undefined, /aud claim/],
      [{}, 'JWT', /not an access token/],
      [{ cnf: { 'x5t#S256': 'abc' } }, undefined, /bound to a key/],
    ];
    for (const [claims, typ, description] of cases) {
      const verdict = await verifyAccessToken(await sign(claims, typ), keys, { issuer, audience });
      assert.ok(!verdict.ok && verdict.reason === 'invalid', JSON.stringify(claims));
      assert.match(verdict.description, description);
    }
  });

  it('tolerates clock difference only when asked', async () => {
    const token = await sign({ exp: Math.floor(Date.now() / 1000) - 10 });
    assert.equal((await verifyAccessToken(token, keys, { issuer, audience })).ok, false);
    assert.equal((await verifyAccessToken(token, keys, { issuer, audience, clockToleranceSeconds: 60 })).ok, true);
  });

  it('calls an unreachable key set unavailable rather than the token invalid', async () => {
    const unreachable = jose.createRemoteJWKSet(new URL('http://127.0.0.1:9/jwks'));
    const verdict = await verifyAccessToken(await sign({}), unreachable, { issuer, audience });
    assert.ok(!verdict.ok);
    assert.equal(verdict.reason, 'unavailable');
  });

  it('reads permissions from an array or a space-delimited string, and ignores anything else', () => {
    assert.deepEqual(listClaim({ permissions: ['a', 'b', 3] }, 'permissions'), ['a', 'b']);
    assert.deepEqual(listClaim({ scope: 'a  b' }, 'scope'), ['a', 'b']);
    assert.deepEqual(listClaim({ permissions: { a: true } }, 'permissions'), []);
    assert.deepEqual(listClaim({}, 'permissions'), []);
    assert.deepEqual(missingPermissions(['a', 'b'], ['c', 'a', 'd']), ['c', 'd']);
    assert.deepEqual(missingPermissions([], []), []);
  });
});
