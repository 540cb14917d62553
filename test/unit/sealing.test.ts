// Encryption at rest (signing keys, client secrets): what a sealed value protects and how key rotation works.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hkdfSync, randomBytes } from 'node:crypto';
import { createSealer, digest, hkdf32 } from '../../src/crypto/sealing.js';

const secret = () => randomBytes(32).toString('base64url');
const unsealFailed = { message: 'crypto.unseal_failed' };

/** the sealed form with segment `index` replaced by `change(segment)` */
function alter(sealed: string, index: number, change: (segment: string) => string): string {
  const parts = sealed.split('.');
  parts[index] = change(parts[index]!);
  return parts.join('.');
}

/** flips one bit of a base64url segment's first byte */
function flip(segment: string): string {
  const bytes = Buffer.from(segment, 'base64url');
  bytes[0] = bytes[0]! ^ 1;
  return bytes.toString('base64url');
}

describe('sealing', () => {
  it('derives its keys with HKDF-SHA256: the bytes of node:crypto\'s hkdfSync, for any secret, salt and purpose', () => {
    // control bytes, random secrets, Unicode and empty strings: every value sealed before still opens
    const cases = [[Buffer.alloc(22, 0x0b).toString('latin1'), Buffer.from('000102030405060708090a0b0c', 'hex').toString('latin1'), 'f0f1f2f3f4f5f6f7f8f9']];
    for (let i = 0; i < 20; i++) cases.push([secret(), 'tessera', `purpose ${i} ü`]);
    cases.push(['', 'tessera', ''], ['🔑', 'tessera', 'tessera key encryption v1']);
    for (const [ikm, salt, info] of cases) {
      assert.deepEqual(hkdf32(ikm!, salt!, info!), Buffer.from(hkdfSync('sha256', ikm!, salt!, info!, 32)), `${ikm} / ${salt} / ${info}`);
    }
  });

  it('opens what it sealed, for ASCII, Unicode and empty values', () => {
    const sealer = createSealer([secret()]);
    for (const plaintext of ['s3cr3t-client-secret', '{"kty":"RSA","d":"…"} 🔑 ünïcödé', '']) {
      assert.equal(sealer.open(sealer.seal(plaintext, 'ctx'), 'ctx'), plaintext);
    }
  });

  it('never shows the plaintext and uses a fresh IV each time', () => {
    const sealer = createSealer([secret()]);
    const plaintext = 'my-very-recognisable-secret';
    const a = sealer.seal(plaintext, 'ctx');
    const b = sealer.seal(plaintext, 'ctx');
    assert.notEqual(a, b);
    for (const sealed of [a, b]) {
      assert.ok(!sealed.includes(plaintext));
      assert.ok(!sealed.includes(Buffer.from(plaintext).toString('base64url')));
      assert.match(sealed, /^v1\.[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    }
  });

  it('refuses to open a value under another context (a value sealed for one row is useless for another)', () => {
    const sealer = createSealer([secret()]);
    const sealed = sealer.seal('secret', 'client-secret:tenant-a:client-1');
    assert.throws(() => sealer.open(sealed, 'client-secret:tenant-b:client-1'), unsealFailed);
    assert.throws(() => sealer.open(sealed, 'client-secret:tenant-a:client-2'), unsealFailed);
    assert.throws(() => sealer.open(sealed, ''), unsealFailed);
  });

  it('refuses a value sealed under a secret it does not hold', () => {
    const sealed = createSealer([secret()]).seal('secret', 'ctx');
    assert.throws(() => createSealer([secret()]).open(sealed, 'ctx'), unsealFailed);
  });

  it('detects tampering with any part of the sealed value', () => {
    const sealer = createSealer([secret()]);
    const sealed = sealer.seal('a secret worth protecting', 'ctx');
    const tampered = [
      alter(sealed, 0, () => 'v2'), // version
      alter(sealed, 1, () => 'AAAAAAAA'), // key id
      alter(sealed, 2, flip), // iv
      alter(sealed, 3, flip), // ciphertext
      alter(sealed, 4, flip), // tag
      alter(sealed, 4, (tag) => tag.slice(0, 8)), // truncated tag
      alter(sealed, 4, (tag) => Buffer.from(tag, 'base64url').subarray(0, 4).toString('base64url')), // GCM accepts 4-byte tags unless told
      alter(sealed, 4, (tag) => Buffer.from(tag, 'base64url').subarray(0, 12).toString('base64url')),
      alter(sealed, 3, (body) => body.slice(0, -2)), // truncated ciphertext
      sealed.split('.').slice(0, 4).join('.'), // tag removed
      `${sealed}.extra`, // trailing segment
      '',
      'not-a-sealed-value',
    ];
    for (const value of tampered) {
      assert.throws(() => sealer.open(value, 'ctx'), unsealFailed, `accepted ${JSON.stringify(value)}`);
    }
  });

  it('after a rotation, opens values sealed under the old secret and seals new ones under the new secret', () => {
    const oldSecret = secret();
    const newSecret = secret();
    const before = createSealer([oldSecret]);
    const sealedBefore = before.seal('sealed before rotation', 'ctx');

    const after = createSealer([newSecret, oldSecret]);
    assert.equal(after.open(sealedBefore, 'ctx'), 'sealed before rotation');

    const sealedAfter = after.seal('sealed after rotation', 'ctx');
    assert.notEqual(sealedAfter.split('.')[1], sealedBefore.split('.')[1], 'names a different key');
    assert.throws(() => before.open(sealedAfter, 'ctx'), unsealFailed, 'the old secret cannot open new values');
    assert.equal(createSealer([newSecret]).open(sealedAfter, 'ctx'), 'sealed after rotation');
    // once the old secret is dropped from the configuration, what it sealed can no longer be opened
    assert.throws(() => createSealer([newSecret]).open(sealedBefore, 'ctx'), unsealFailed);
  });

  it('needs at least one secret', () => {
    assert.throws(() => createSealer([]));
  });

  it('digest is SHA-256 in base64url', () => {
    assert.equal(digest('abc'), 'ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
  });
});
