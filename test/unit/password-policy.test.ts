import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkPasswordPolicy } from '../../src/accounts/password-policy.js';

function problem(password: string, options?: Parameters<typeof checkPasswordPolicy>[1]): string | undefined {
  const result = checkPasswordPolicy(password, options);
  if (result.ok) return undefined;
  assert.ok(result.message.length > 10, 'a human message for the form');
  if (password) assert.doesNotMatch(result.message, new RegExp(password.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'message never echoes the password');
  return result.code;
}

describe('password policy', () => {
  it('refuses passwords shorter than the minimum', () => {
    assert.equal(problem(''), 'password.too_short');
    assert.equal(problem('Zq7!mK2'), 'password.too_short');
    assert.equal(problem('Zq7!mK2x'), undefined);
    assert.equal(problem('Zq7!mK2x', { minLength: 12 }), 'password.too_short');
    const result = checkPasswordPolicy('short', { minLength: 12 });
    assert.ok(!result.ok && result.message.includes('12'));
  });

  it('refuses passwords longer than the maximum', () => {
    const base = 'Vk3#pL9@wQ2$';
    assert.equal(problem(base.repeat(11).slice(0, 128)), undefined);
    assert.equal(problem(base.repeat(11).slice(0, 129)), 'password.too_long');
    assert.equal(problem('Vk3#pL9@wQ2$zz', { maxLength: 12 }), 'password.too_long');
  });

  it('refuses common passwords from the breach list, whatever their case', () => {
    for (const common of ['password1', 'qwerty123', 'PASSWORD1', 'QwErTy123', 'iloveyou', '12345678', 'baseball']) {
      assert.equal(problem(common), 'password.too_common', common);
    }
  });

  it('refuses a password equal to the user’s email, its local part or another context value', () => {
    const context = ['Ada.Lovelace@Example.com', 'Ada Lovelace'];
    assert.equal(problem('ada.lovelace@example.com', { context }), 'password.too_common');
    assert.equal(problem('ADA.LOVELACE', { context }), 'password.too_common');
    assert.equal(problem('ada lovelace', { context }), 'password.too_common');
    assert.equal(problem('ada.lovelace1', { context }), undefined);
    assert.equal(problem('ada.lovelace', { context: [] }), undefined);
    assert.equal(problem('ada.lovelace', { context: ['', '  '] }), undefined);
  });

  it('accepts a strong password', () => {
    assert.deepEqual(checkPasswordPolicy('correct horse battery staple'), { ok: true });
    assert.deepEqual(checkPasswordPolicy('t7#Gq!x2Lp', { context: ['someone@example.com'] }), { ok: true });
  });

  it('counts Unicode code points of the NFC form, not UTF-16 units', () => {
    // Each of these emoji is 2 UTF-16 units: 4 of them are 8 units but only 4 characters.
    const emoji = '🔑🌵🐙🚀';
    assert.equal(emoji.length, 8);
    assert.equal(problem(emoji), 'password.too_short');
    assert.equal(problem(emoji + '🎈🧭🪐🦊'), undefined);
    // 128 emoji are 256 UTF-16 units but within the 128-character maximum.
    assert.equal(problem('🔑'.repeat(64) + '🌵'.repeat(64)), undefined);
    assert.equal(problem('🔑'.repeat(129)), 'password.too_long');
    // "e" + combining acute is 2 code points but one "é" once NFC-normalised.
    const decomposed = 'e\u0301'.repeat(4);
    assert.equal([...decomposed].length, 8);
    assert.equal(problem(decomposed), 'password.too_short');
    assert.equal(problem(decomposed.repeat(2)), undefined);
  });
});
