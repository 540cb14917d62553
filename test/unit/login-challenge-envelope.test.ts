// The one challenge envelope of the JSON APIs (login/login-challenges.ts) from a login transaction: the kind
// follows the state (and a step-up's method), the methods are the ones a JSON caller can answer or enrol, with a
// passkey named `webauthn`.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { challengeEnvelope, stepUpMethod } from '../../src/auth-methods/login-challenges.js';
import { beginLogin, type LoginTransaction } from '../../src/login/login-transaction.machine.js';

const at = Date.UTC(2026, 11, 7);
const issuer = 'https://id.example.test/t/acme~sandbox';
const tx = (changes: Partial<LoginTransaction>): LoginTransaction => ({
  ...beginLogin({ id: 'AAAAAAAAAAAAAAAAAAAAAA', tenantId: 't1', clientId: 'c1', front: 'rest_api', method: 'password', identifier: null, ttlSeconds: 900 }, at),
  ...changes,
});

describe('challenge envelope', () => {
  it('mfa (and the issuer holding the transaction): the user’s answerable factors, a passkey as webauthn, email codes left to the hosted page', () => {
    assert.deepEqual(challengeEnvelope(tx({ state: 'second_factor_required', methods: ['totp', 'sms', 'passkey', 'email', 'recovery_code'] }), issuer), {
      status: 'challenge_required',
      challenge: { id: 'AAAAAAAAAAAAAAAAAAAAAA', kind: 'mfa', methods: ['totp', 'sms', 'webauthn', 'recovery_code'], expires_at: new Date(at + 900_000).toISOString(), issuer },
    });
  });

  it('enrol_mfa: what can be enrolled here (never recovery codes, never email)', () => {
    assert.deepEqual(challengeEnvelope(tx({ state: 'enrolment_required', methods: ['totp', 'passkey', 'sms', 'email'] }), issuer).challenge.methods, ['totp', 'webauthn', 'sms']);
    assert.equal(challengeEnvelope(tx({ state: 'enrolment_required', methods: ['totp'] }), issuer).challenge.kind, 'enrol_mfa');
  });

  it('verify_email: a first factor waiting for the account’s email to be proven, by a code sent to it', () => {
    const envelope = challengeEnvelope(tx({ state: 'email_verification_required', methods: ['email'] }), issuer);
    assert.deepEqual([envelope.challenge.kind, envelope.challenge.methods], ['verify_email', ['email']]);
  });

  it('step_up: a transaction started for a step-up', () => {
    const envelope = challengeEnvelope(tx({ state: 'second_factor_required', method: stepUpMethod, stepUp: true, methods: ['passkey'] }), issuer);
    assert.deepEqual([envelope.challenge.kind, envelope.challenge.methods], ['step_up', ['webauthn']]);
  });
});
