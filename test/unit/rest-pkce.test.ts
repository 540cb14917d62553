// PKCE checks of the REST auth API (src/rest-api/rest-pkce.ts): the S256 transform against RFC 7636 Appendix B, what
// a start may carry, and which verifiers finish which sign-ins.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../src/errors/app-error.js';
import { codeChallengeOf, s256, verifierRefusal } from '../../src/rest-api/rest-pkce.js';

// RFC 7636 Appendix B
const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

const refusedWith = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof AppError);
    return error.code;
  }
  return assert.fail('not refused');
};
const codeOf = (answer: ReturnType<typeof verifierRefusal>) => (answer?.body as { error: string } | undefined)?.error ?? null;

describe('REST API PKCE', () => {
  it('S256 is RFC 7636 Appendix B\'s transform', () => {
    assert.equal(s256(verifier), challenge);
  });

  it('a start: no challenge unless required; S256 (any case) only; 43 base64url characters', () => {
    assert.equal(codeChallengeOf({}, false), null);
    assert.equal(refusedWith(() => codeChallengeOf({}, true)), 'pkce.required');
    assert.equal(codeChallengeOf({ code_challenge: challenge, code_challenge_method: 'S256' }, true), challenge);
    assert.equal(codeChallengeOf({ code_challenge: challenge, code_challenge_method: 's256' }, false), challenge);
    assert.equal(refusedWith(() => codeChallengeOf({ code_challenge: verifier, code_challenge_method: 'plain' }, false)), 'pkce.method_not_supported');
    assert.equal(refusedWith(() => codeChallengeOf({ code_challenge: challenge }, false)), 'pkce.method_not_supported');
    assert.equal(refusedWith(() => codeChallengeOf({ code_challenge: challenge, code_challenge_method: ['S256'] }, false)), 'pkce.method_not_supported');
    assert.equal(refusedWith(() => codeChallengeOf({ code_challenge_method: 'S256' }, false)), 'pkce.invalid_challenge');
    for (const bad of [challenge.slice(1), `${challenge}A`, `${challenge.slice(1)}/`, `${challenge.slice(1)}=`, 42, null]) {
      assert.equal(refusedWith(() => codeChallengeOf({ code_challenge: bad, code_challenge_method: 'S256' }, false)), 'pkce.invalid_challenge', String(bad));
    }
  });

  it('a finish: the right verifier only; none for a sign-in without a challenge; the email code is lenient', () => {
    const bound = { codeChallenge: challenge };
    assert.equal(verifierRefusal(bound, verifier, { requirePkce: false }), null);
    for (const bad of [undefined, null, 7, '', challenge, `${verifier.slice(0, -1)}Y`, `${verifier}~`, 'a'.repeat(129)]) {
      assert.equal(codeOf(verifierRefusal(bound, bad, { requirePkce: false })), 'pkce.invalid_verifier', String(bad));
    }
    assert.equal(codeOf(verifierRefusal(bound, undefined, { requirePkce: false, lenient: true })), 'pkce.invalid_verifier');
    const plain = { codeChallenge: null };
    assert.equal(verifierRefusal(plain, undefined, { requirePkce: false }), null);
    assert.equal(codeOf(verifierRefusal(plain, verifier, { requirePkce: false })), 'pkce.invalid_verifier');
    assert.equal(verifierRefusal(plain, verifier, { requirePkce: false, lenient: true }), null);
    assert.equal(codeOf(verifierRefusal(plain, undefined, { requirePkce: true })), 'pkce.required');
    assert.equal(verifierRefusal({}, undefined, { requirePkce: true, lenient: true }), null);
  });
});
