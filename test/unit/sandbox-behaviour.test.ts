// The one rule for sandbox behaviour (issue #19): an environment other than live that saved signIn.sandbox, and
// only outside production; anything missing is no sandbox.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { outboxKept, sandboxInForce } from '../../src/tenants/sandbox-behaviour.js';

const saved = (slug: string, sandbox?: boolean) => ({ slug, settings: { signIn: sandbox === undefined ? {} : { sandbox } } });

describe('sandboxInForce', () => {
  it('holds for a sandbox environment outside production', () => {
    assert.equal(sandboxInForce(saved('acme~sandbox', true), false), true);
    assert.equal(sandboxInForce(saved('acme~staging', true), false), true, 'any environment but live');
  });

  it('never holds in live, whatever it saved', () => {
    assert.equal(sandboxInForce(saved('acme', true), false), false);
  });

  it('never holds in production, whatever was saved', () => {
    assert.equal(sandboxInForce(saved('acme~sandbox', true), true), false);
  });

  it('fails closed: no flag, no settings, no tenant', () => {
    assert.equal(sandboxInForce(saved('acme~sandbox', false), false), false);
    assert.equal(sandboxInForce(saved('acme~sandbox'), false), false);
    assert.equal(sandboxInForce({ slug: 'acme~sandbox' }, false), false);
    assert.equal(sandboxInForce(null, false), false);
    assert.equal(sandboxInForce(undefined, false), false);
  });
});

describe('outboxKept', () => {
  it('outside NODE_ENV=production only', () => {
    assert.deepEqual(['development', 'test', 'production'].map(outboxKept), [true, true, false]);
  });
});
