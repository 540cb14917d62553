// The provider's answer steps (provider-answers.ts) keep the semantics of the layers they replaced:
// `try { await next(); answered } finally { onSettled }` then the rewrites, in order, waiting only for steps that
// return a promise; a throw skips the rest but never the settle step.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Context, Next } from 'koa';
import { providerAnswers, type AnswerStep } from '../../src/oidc/provider-answers.js';

function recorder() {
  const seen: string[] = [];
  const step = (name: string, how: 'sync' | 'async' | 'throw' | 'reject' = 'sync'): AnswerStep => () => {
    seen.push(name);
    if (how === 'throw') throw new Error(name);
    if (how === 'reject') return Promise.reject(new Error(name));
    if (how === 'async') return new Promise<void>((resolve) => setImmediate(() => { seen.push(`${name} done`); resolve(); }));
    return undefined;
  };
  return { seen, step };
}

const run = (middleware: ReturnType<typeof providerAnswers>, next: Next) => middleware({} as Context, next);
const answered: Next = async () => undefined;

describe('providerAnswers', () => {
  it('runs the answered steps, the settle step and the rewrites in order, waiting for each promise', async () => {
    const { seen, step } = recorder();
    const middleware = providerAnswers({ answered: [step('a1'), step('a2', 'async'), step('a3')], onSettled: step('settled', 'async'), rewrites: [step('r1', 'async'), step('r2')] });
    await run(middleware, answered);
    assert.deepEqual(seen, ['a1', 'a2', 'a2 done', 'a3', 'settled', 'settled done', 'r1', 'r1 done', 'r2']);
  });

  it('settles and passes the error on when the provider throws; answered steps and rewrites do not run', async () => {
    const { seen, step } = recorder();
    const middleware = providerAnswers({ answered: [step('a1')], onSettled: step('settled', 'async'), rewrites: [step('r1')] });
    await assert.rejects(run(middleware, async () => { throw new Error('provider'); }), /provider/);
    assert.deepEqual(seen, ['settled', 'settled done']);
  });

  for (const how of ['throw', 'reject'] as const) {
    it(`settles and passes the error on when an answered step fails (${how}); the later steps do not run`, async () => {
      const { seen, step } = recorder();
      const middleware = providerAnswers({ answered: [step('a1', how), step('a2')], onSettled: step('settled'), rewrites: [step('r1')] });
      await assert.rejects(run(middleware, answered), /a1/);
      assert.deepEqual(seen, ['a1', 'settled']);
    });
  }

  it('an error of the settle step replaces the one it settled after (as a finally block)', async () => {
    const { step } = recorder();
    const middleware = providerAnswers({ answered: [step('a1', 'throw')], onSettled: step('settled', 'reject'), rewrites: [] });
    await assert.rejects(run(middleware, answered), /settled/);
  });

  it('a failing rewrite is passed on, and the rewrites after it do not run', async () => {
    const { seen, step } = recorder();
    const middleware = providerAnswers({ answered: [], onSettled: step('settled'), rewrites: [step('r1', 'reject'), step('r2')] });
    await assert.rejects(run(middleware, answered), /r1/);
    assert.deepEqual(seen, ['settled', 'r1']);
  });
});
