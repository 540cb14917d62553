// The WebAuthn ceremonies without a browser: option shapes, the tenant's relying party, and assertions built here
// with a P-256 key (what an authenticator signs: authenticator data ‖ SHA-256(client data), WebAuthn §6.3.3) —
// single-use challenges bound to one binding and purpose, the owner check, counters and user verification.
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { beforeEach, describe, it } from 'node:test';
import type { PasskeyRecord, PasskeysRepository } from '../../src/db/passkeys.repository.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import { mfaSettingsSchema } from '../../src/tenants/mfa-settings.js';
import {
  createWebAuthnService, MAX_PASSKEYS_PER_USER, parseAuthentication, parseRegistration, relyingParty, type WebAuthnService,
} from '../../src/auth-methods/passkeys/webauthn.service.js';

const ORIGIN = 'https://id.example.com';
const tenant = (mfa: Record<string, unknown> = {}) => ({ id: 't1', name: 'Acme', settings: { mfa: mfaSettingsSchema.parse(mfa) } });
const ALICE = '0b8a3c52-6a0f-4f5e-9d55-1f0c2a7e6d11';
const BOB = '5f0d8e21-2b7c-4c3e-8a11-7e2d9c4b3a22';

function fakeRepository() {
  const rows: PasskeyRecord[] = [];
  const repository = {
    listForUser: async (_t: string, userId: string) => rows.filter((r) => r.userId === userId),
    countForUser: async (_t: string, userId: string) => rows.filter((r) => r.userId === userId).length,
    findByCredentialId: async (_t: string, credentialId: string) => rows.find((r) => r.credentialId === credentialId) ?? null,
    recordUse: async (id: string, counter: number) => {
      const i = rows.findIndex((r) => r.id === id);
      rows[i] = { ...rows[i]!, counter, lastUsedAt: new Date() };
    },
  };
  return { rows, repository: repository as unknown as PasskeysRepository };
}

/** a P-256 authenticator: its credential as we would store it, and assertions it signs */
function authenticator(userId: string, credentialId: string, counter = 0) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  // COSE_Key {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y} in CBOR (RFC 9053 §7.1.1)
  const cose = Buffer.concat([Buffer.from('a50102032620012158', 'hex'), Buffer.from([0x20]), Buffer.from(jwk.x!, 'base64url'), Buffer.from('225820', 'hex'), Buffer.from(jwk.y!, 'base64url')]);
  const record: PasskeyRecord = {
    id: `pk-${credentialId}`, userId, credentialId, publicKey: new Uint8Array(cose), counter, transports: ['internal'],
    deviceType: 'singleDevice', backedUp: false, name: 'Key', createdAt: new Date(), lastUsedAt: null,
  };
  return { record, assert: (challenge: string, options: { counter: number; uv?: boolean; origin?: string; rpId?: string }) => assertion(privateKey, credentialId, userId, challenge, options) };
}

function assertion(key: KeyObject, credentialId: string, userId: string, challenge: string, options: { counter: number; uv?: boolean; origin?: string; rpId?: string }) {
  const clientData = Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge, origin: options.origin ?? ORIGIN, crossOrigin: false }));
  const counter = Buffer.alloc(4);
  counter.writeUInt32BE(options.counter);
  const flags = options.uv === false ? 0x01 : 0x05;
  const authData = Buffer.concat([createHash('sha256').update(options.rpId ?? 'id.example.com').digest(), Buffer.from([flags]), counter]);
  const signature = sign('sha256', Buffer.concat([authData, createHash('sha256').update(clientData).digest()]), key);
  return JSON.stringify({
    id: credentialId, rawId: credentialId, type: 'public-key', clientExtensionResults: {},
    response: { clientDataJSON: clientData.toString('base64url'), authenticatorData: authData.toString('base64url'), signature: signature.toString('base64url'), userHandle: Buffer.from(userId).toString('base64url') },
  });
}

describe('WebAuthn service', () => {
  let service: WebAuthnService;
  let rows: PasskeyRecord[];
  beforeEach(() => {
    const fake = fakeRepository();
    rows = fake.rows;
    service = createWebAuthnService({ store: createMemoryStore(), passkeys: fake.repository, publicOrigin: ORIGIN });
  });

  it('the relying party defaults to PUBLIC_URL and follows the tenant’s settings', () => {
    assert.deepEqual(relyingParty(tenant(), ORIGIN), { id: 'id.example.com', name: 'Acme', origins: [ORIGIN] });
    assert.deepEqual(
      relyingParty(tenant({ webauthn: { rpId: 'example.com', origins: ['https://login.example.com/', 'https://example.com'] } }), ORIGIN),
      { id: 'example.com', name: 'Acme', origins: ['https://login.example.com', 'https://example.com'] },
    );
  });

  it('registration options: a required discoverable credential, no attestation, the user’s keys excluded, a cap', async () => {
    rows.push(authenticator(ALICE, 'existing').record, authenticator(BOB, 'bobs').record);
    const options = (await service.registrationOptions(tenant(), 'account:s1', { id: ALICE, name: 'alice@example.com', displayName: 'Alice' }))!;
    assert.deepEqual(options.rp, { name: 'Acme', id: 'id.example.com' });
    assert.deepEqual(options.user, { id: Buffer.from(ALICE).toString('base64url'), name: 'alice@example.com', displayName: 'Alice' });
    assert.equal(options.attestation, 'none');
    assert.deepEqual(options.authenticatorSelection, { residentKey: 'required', requireResidentKey: true, userVerification: 'preferred' });
    assert.deepEqual(options.excludeCredentials, [{ id: 'existing', type: 'public-key', transports: ['internal'] }]);
    assert.match(options.challenge, /^[A-Za-z0-9_-]{43}$/);

    for (let i = rows.length; i <= MAX_PASSKEYS_PER_USER; i++) rows.push(authenticator(ALICE, `k${i}`).record);
    assert.equal(await service.registrationOptions(tenant(), 'account:s1', { id: ALICE, name: 'a', displayName: 'a' }), null);
  });

  it('authentication options: none listed for a passwordless sign-in, only the user’s for a second factor', async () => {
    rows.push(authenticator(ALICE, 'a1').record, authenticator(BOB, 'b1').record);
    const login = await service.authenticationOptions(tenant(), 'login', 'uid-1', { userVerification: 'preferred' });
    assert.deepEqual(login.allowCredentials, []);
    assert.equal(login.userVerification, 'preferred');
    assert.equal(login.rpId, 'id.example.com');
    const mfa = await service.authenticationOptions(tenant(), 'mfa', 'uid-1', { userId: ALICE, userVerification: 'discouraged' });
    assert.deepEqual(mfa.allowCredentials, [{ id: 'a1', type: 'public-key', transports: ['internal'] }]);
    assert.notEqual(mfa.challenge, login.challenge);
  });

  it('an assertion verifies once: its challenge is spent, and is not valid for another binding or purpose', async () => {
    const key = authenticator(ALICE, 'a1');
    rows.push(key.record);
    const { challenge } = await service.authenticationOptions(tenant(), 'login', 'uid-1', { userVerification: 'preferred' });
    const answer = parseAuthentication(key.assert(challenge, { counter: 1 }))!;
    assert.deepEqual((await service.authenticate(tenant(), 'login', 'uid-2', answer)), { ok: false, reason: 'challenge', userId: ALICE });
    assert.deepEqual((await service.authenticate(tenant(), 'mfa', 'uid-1', answer)), { ok: false, reason: 'challenge', userId: ALICE });
    const first = await service.authenticate(tenant(), 'login', 'uid-1', answer);
    assert.ok(first.ok && first.userVerified && first.passkey.userId === ALICE);
    assert.equal(rows[0]!.counter, 1, 'the new counter is recorded');
    assert.ok(rows[0]!.lastUsedAt);
    assert.deepEqual(await service.authenticate(tenant(), 'login', 'uid-1', answer), { ok: false, reason: 'challenge', userId: ALICE });
  });

  it('refuses a counter that did not grow, a missing user verification when required, a foreign origin or RP, another user’s key', async () => {
    const alice = authenticator(ALICE, 'a1', 7);
    const bob = authenticator(BOB, 'b1');
    rows.push(alice.record, bob.record);
    const attempt = async (purpose: 'login' | 'mfa', options: { userId?: string; userVerification: 'required' | 'preferred' | 'discouraged' }, answer: (challenge: string) => string) => {
      const { challenge } = await service.authenticationOptions(tenant(), purpose, 'uid-1', options);
      const result = await service.authenticate(tenant(), purpose, 'uid-1', parseAuthentication(answer(challenge))!);
      return result.ok ? 'ok' : result.reason;
    };
    assert.equal(await attempt('login', { userVerification: 'preferred' }, (c) => alice.assert(c, { counter: 7 })), 'counter', 'a cloned authenticator');
    assert.equal(await attempt('login', { userVerification: 'preferred' }, (c) => alice.assert(c, { counter: 3 })), 'counter');
    assert.equal(await attempt('mfa', { userId: ALICE, userVerification: 'required' }, (c) => alice.assert(c, { counter: 8, uv: false })), 'user_verification');
    assert.equal(await attempt('mfa', { userId: ALICE, userVerification: 'discouraged' }, (c) => alice.assert(c, { counter: 8, uv: false })), 'ok');
    assert.equal(await attempt('login', { userVerification: 'preferred' }, (c) => alice.assert(c, { counter: 9, origin: 'https://evil.example' })), 'verification');
    assert.equal(await attempt('login', { userVerification: 'preferred' }, (c) => alice.assert(c, { counter: 9, rpId: 'evil.example' })), 'verification');
    assert.equal(await attempt('mfa', { userId: ALICE, userVerification: 'discouraged' }, (c) => bob.assert(c, { counter: 1 })), 'wrong_user');
    assert.equal(await attempt('login', { userVerification: 'preferred' }, (c) => bob.assert(c, { counter: 0 })), 'ok', 'no counter kept (both 0) is allowed');
    assert.equal(await attempt('login', { userVerification: 'preferred' }, (c) => authenticator(ALICE, 'nobody').assert(c, { counter: 1 })), 'unknown_credential');
  });

  it('parses only credential-shaped JSON', () => {
    for (const raw of ['', 'null', '{}', '[]', 'not json', JSON.stringify({ id: 'a', rawId: 'a', type: 'public-key', response: {} }), 'x'.repeat(70_000)]) {
      assert.equal(parseAuthentication(raw), null, raw.slice(0, 40));
      assert.equal(parseRegistration(raw), null, raw.slice(0, 40));
    }
    assert.equal(parseAuthentication(JSON.stringify({ id: 'a+b', rawId: 'a+b', type: 'public-key', response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA' } })), null, 'not base64url');
  });
});
