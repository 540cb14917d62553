// License keys as people type them (issue #20): grouped, in an alphabet without 0/O/1/I, and a check character that
// tells a typo from a key before any round trip — every single wrong character, and adjacent swaps, measured here.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkLicenseKey, generateLicenseKey, licenseKeyAlphabet } from '../../src/verify/license-key-format.js';

describe('license key format', () => {
  it('generates 5 groups of 5 from the unambiguous alphabet, each passing its own check', () => {
    const keys = Array.from({ length: 200 }, () => generateLicenseKey());
    for (const key of keys) {
      assert.match(key, /^([2-9A-HJ-NP-Z]{5}-){4}[2-9A-HJ-NP-Z]{5}$/);
      assert.deepEqual(checkLicenseKey(key), { ok: true, key });
    }
    assert.equal(new Set(keys).size, keys.length);
    assert.ok(!/[01IO]/.test(licenseKeyAlphabet));
  });

  it('accepts what a person types: any case, blanks or no hyphens', () => {
    const key = generateLicenseKey();
    assert.deepEqual(checkLicenseKey(` ${key.toLowerCase().replace(/-/g, ' ')} `), { ok: true, key });
    assert.deepEqual(checkLicenseKey(key.replace(/-/g, '')), { ok: true, key });
  });

  it('says why a key is refused: length, a character outside the alphabet, or a failed check', () => {
    const key = generateLicenseKey();
    assert.deepEqual(checkLicenseKey(key.slice(0, -1)), { ok: false, reason: 'length' });
    assert.deepEqual(checkLicenseKey(`O${key.slice(1)}`), { ok: false, reason: 'character' });
    assert.deepEqual(checkLicenseKey(''), { ok: false, reason: 'length' });
  });

  it('catches every single mistyped character', () => {
    for (let n = 0; n < 20; n++) {
      const compact = generateLicenseKey().replace(/-/g, '');
      for (let i = 0; i < compact.length; i++) {
        for (const char of licenseKeyAlphabet) {
          if (char === compact[i]) continue;
          const typo = compact.slice(0, i) + char + compact.slice(i + 1);
          assert.deepEqual(checkLicenseKey(typo), { ok: false, reason: 'check' }, `${compact} → ${typo}`);
        }
      }
    }
  });

  it('catches swaps of two neighbouring characters but for the one pair Luhn mod 32 cannot tell apart', () => {
    let swaps = 0;
    let caught = 0;
    for (let n = 0; n < 200; n++) {
      const compact = generateLicenseKey().replace(/-/g, '');
      for (let i = 0; i + 1 < compact.length; i++) {
        if (compact[i] === compact[i + 1]) continue;
        swaps++;
        const swapped = compact.slice(0, i) + compact[i + 1] + compact[i] + compact.slice(i + 2);
        if (!checkLicenseKey(swapped).ok) caught++;
        // Luhn mod N misses only the swap of the first and last characters of the alphabet
        else assert.deepEqual([compact[i], compact[i + 1]].sort(), ['2', 'Z'].sort());
      }
    }
    assert.ok(caught / swaps > 0.99, `${caught} of ${swaps} swaps caught`);
  });
});
