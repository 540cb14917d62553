// tessera/verify against tokens a resource server must refuse (issue #18 §2): alg none, HS256 keyed with the
// issuer's public key, algorithms the issuer does not publish, another issuer or audience, expired or not yet
// valid, the wrong typ, a key the issuer never published; and the JWKS cache: refetched on an unknown kid, at
// most once per cool-down. The issuer is a local stand-in (test/support/stub-issuer.ts) over real HTTP.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import * as jose from 'jose';
import { createVerifier, TokenVerificationError } from '../../src/verify/index.js';
import { startStubIssuer, type StubIssuer } from '../support/stub-issuer.js';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function refused(promise: Promise<unknown>, pattern: RegExp) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof TokenVerificationError, String(error));
    assert.equal(error.code, 'invalid_token');
    assert.match(error.message, pattern);
    return true;
  });
}

describe('tessera/verify refuses forged tokens', () => {
  let stub: StubIssuer;
  let verify: ReturnType<typeof createVerifier>['verify'];
  before(async () => {
    stub = await startStubIssuer();
    ({ verify } = createVerifier({ issuer: stub.issuer, audience: stub.audience }));
  });
  after(() => stub.close());

  it('returns typed claims of a good token', async () => {
    const claims = await verify(await stub.sign({ roles: ['admin'], permissions: ['read:notes'], scope: 'openid notes', amr: ['pwd', 'otp'], acr: 'urn:mfa' }));
    assert.equal(claims.sub, 'user-1');
    assert.equal(claims.client_id, 'app');
    assert.deepEqual(claims.roles, ['admin']);
    assert.deepEqual(claims.permissions, ['read:notes']);
    assert.deepEqual(claims.scopes, ['openid', 'notes']);
    assert.deepEqual(claims.amr, ['pwd', 'otp']);
    assert.equal(claims.acr, 'urn:mfa');
  });

  it('refuses alg none', async () => {
    const good = jose.decodeJwt(await stub.sign());
    await refused(verify(`${b64({ alg: 'none', typ: 'at+jwt', kid: stub.current().kid })}.${b64(good)}.`), /algorithm|signature/);
  });

  it('refuses HS256 signed with the public key (algorithm confusion)', async () => {
    const payload = jose.decodeJwt(await stub.sign());
    const jwk = stub.current().publicJwk;
    const pem = await jose.exportSPKI(await jose.importJWK(jwk, 'RS256') as CryptoKey);
    for (const secret of [pem, JSON.stringify(jwk), Buffer.from(jwk.n!, 'base64url')]) {
      const input = `${b64({ alg: 'HS256', typ: 'at+jwt', kid: jwk.kid })}.${b64(payload)}`;
      const signature = createHmac('sha256', secret).update(input).digest('base64url');
      await refused(verify(`${input}.${signature}`), /algorithm/);
    }
  });

  it('refuses an algorithm the issuer does not publish, even with its own key (PS256 with an RS256 key)', async () => {
    const privateJwk = await jose.exportJWK(stub.current().privateKey);
    const pss = await jose.importJWK({ ...privateJwk, alg: 'PS256' }, 'PS256');
    const token = await new jose.SignJWT(jose.decodeJwt(await stub.sign())).setProtectedHeader({ alg: 'PS256', kid: stub.current().kid, typ: 'at+jwt' }).sign(pss);
    await refused(verify(token), /algorithm/);
  });

  it('refuses a key the issuer never published under a known kid', async () => {
    await refused(verify(await stub.sign({}, {}, await stub.unpublishedKey())), /signature/);
  });

  it('refuses another issuer, another audience, the wrong typ, a missing sub', async () => {
    await refused(verify(await stub.sign({ iss: 'https://evil.example.com' })), /iss/);
    await refused(verify(await stub.sign({ aud: 'https://other-api.example.com' })), /aud/);
    await refused(verify(await stub.sign({}, { typ: 'JWT' })), /typ at\+jwt/);
    await refused(verify(await stub.sign({ sub: undefined })), /sub/);
  });

  it('checks exp and nbf with a small leeway', async () => {
    const now = Math.floor(Date.now() / 1000);
    await refused(verify(await stub.sign({ exp: now - 60 })), /expired/);
    await refused(verify(await stub.sign({ nbf: now + 60 })), /nbf/);
    assert.equal((await verify(await stub.sign({ exp: now - 2 }))).sub, 'user-1');
    assert.equal((await verify(await stub.sign({ nbf: now + 2 }))).sub, 'user-1');
  });

  it('refuses what is not a JWT at all', async () => {
    for (const junk of ['', 'a.b.c', 'not-a-token', `${b64({ alg: 'RS256', kid: 'k1' })}..`, '..']) await refused(verify(junk), /malformed|signature|algorithm/);
  });

  it('refuses a DPoP-bound token presented as a bearer token', async () => {
    await refused(verify(await stub.sign({ cnf: { jkt: 'abc' } })), /bound/);
  });
});

describe('tessera/verify key cache', () => {
  it('refetches the JWKS for an unknown kid, at most once per cool-down', async () => {
    const stub = await startStubIssuer();
    try {
      const { verify } = createVerifier({ issuer: stub.issuer, audience: stub.audience, refetchCooldownSeconds: 3600 });
      await verify(await stub.sign());
      await verify(await stub.sign());
      assert.equal(stub.jwksFetches(), 1, 'the JWKS is cached');
      // a token with a kid nobody knows can only cost one refetch per cool-down
      const rogue = await stub.sign({}, { kid: 'nobody' });
      await refused(verify(rogue), /signature/);
      await refused(verify(rogue), /signature/);
      await refused(verify(rogue), /signature/);
      assert.equal(stub.jwksFetches(), 1, 'still within the cool-down since the first fetch');
    } finally {
      await stub.close();
    }
  });

  it('picks up a rotated key once the cool-down has passed', async () => {
    const stub = await startStubIssuer();
    try {
      const { verify } = createVerifier({ issuer: stub.issuer, audience: stub.audience, refetchCooldownSeconds: 0 });
      await verify(await stub.sign());
      const key = await stub.rotate({ replace: true });
      assert.equal((await verify(await stub.sign({}, {}, key))).sub, 'user-1');
      assert.equal(stub.jwksFetches(), 2);
      await verify(await stub.sign({}, {}, key));
      assert.equal(stub.jwksFetches(), 2, 'a known kid does not refetch');
    } finally {
      await stub.close();
    }
  });

  it('answers temporarily_unavailable when the issuer cannot be reached', async () => {
    const { verify } = createVerifier({ issuer: 'http://127.0.0.1:9', audience: 'x' });
    await assert.rejects(verify('a.b.c'), (error: unknown) => error instanceof TokenVerificationError && error.code === 'temporarily_unavailable');
  });
});
