import { test } from 'node:test';
import assert from 'node:assert/strict';
import { callingCode, normalisePhone } from '../../src/validation/phone-number.js';

test('international numbers in any usual spelling become E.164', () => {
  for (const typed of ['+919876543210', '+91 98765 43210', '+91-98765-43210', ' +91 (98765) 43210 ', '+91.98765.43210']) {
    assert.equal(normalisePhone(typed), '+919876543210', typed);
  }
  assert.equal(normalisePhone('+1 (415) 555-2671'), '+14155552671');
  assert.equal(normalisePhone('+44 7911 123456'), '+447911123456');
});

test('national formats need the default country', () => {
  assert.equal(normalisePhone('098765 43210', 'IN'), '+919876543210');
  assert.equal(normalisePhone('98765 43210', 'IN'), '+919876543210');
  assert.equal(normalisePhone('(415) 555-2671', 'US'), '+14155552671');
  assert.equal(normalisePhone('07911 123456', 'GB'), '+447911123456');
  assert.equal(normalisePhone('0044 7911 123456', 'IN'), '+447911123456', 'the country\'s international prefix');
  assert.equal(normalisePhone('9876543210'), null, 'without a country a national number is ambiguous');
  assert.equal(normalisePhone('+14155552671', 'IN'), '+14155552671', 'an explicit + wins over the default country');
});

test('invalid numbers are null', () => {
  const invalid = [
    '', '   ', '+', '12', '+91 12345', // too short
    '+919876543210123', '+1415555267123456789', // too long
    '+1 415 555 CALL', '1-800-FLOWERS', 'call me +14155552671', '+14155552671 ext 12', 'tel:+14155552671', // letters, text
    '+999 1234567', // no such country code
    '+91 01234 56789', // digits no Indian number has
    '++919876543210', '+91 98765 43210 +1', '＋919876543210', // stray plus signs, full-width plus
    '9'.repeat(40),
  ];
  for (const typed of invalid) assert.equal(normalisePhone(typed, 'IN'), null, JSON.stringify(typed));
});

test('callingCode gives the country calling code with its +', () => {
  assert.equal(callingCode('+919876543210'), '+91');
  assert.equal(callingCode('+14155552671'), '+1');
  assert.equal(callingCode('+447911123456'), '+44');
  assert.equal(callingCode('+355691234567'), '+355');
  assert.throws(() => callingCode('919876543210'), /E\.164/);
  assert.throws(() => callingCode('+91 98765 43210'), /E\.164/);
});
