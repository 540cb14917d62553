// Gates in turn (http/path-gate.ts): adjacent gated routers as one layer of the app's stack must act as they did as
// layers of their own: each only on its paths, in the same order, and a path none serves goes straight on.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Context, Middleware } from 'koa';
import { forPaths, gatesInTurn } from '../../src/http/path-gate.js';

/** a middleware that notes its name and answers (`answers`) or passes on */
function step(name: string, seen: string[], answers = false): Middleware {
  return async (_ctx, next) => {
    seen.push(name);
    if (!answers) await next();
  };
}

async function run(gate: Middleware, path: string, seen: string[]): Promise<void> {
  await gate({ path } as Context, async () => { seen.push('next'); });
}

describe('gates in turn', () => {
  it('runs each gate only on its paths, in order, and passes every other path straight on', async () => {
    const seen: string[] = [];
    const gate = gatesInTurn(
      forPaths((p) => p.startsWith('/a'), step('a', seen)),
      forPaths((p) => p.startsWith('/ab'), step('ab', seen, true)),
      forPaths((p) => p.startsWith('/c'), step('c', seen)),
    );
    await run(gate, '/t/slug/token', seen);
    assert.deepEqual(seen.splice(0), ['next'], 'served by none: straight on');
    await run(gate, '/abc', seen);
    assert.deepEqual(seen.splice(0), ['a', 'ab'], 'the second answers: nothing after it runs');
    await run(gate, '/a', seen);
    assert.deepEqual(seen.splice(0), ['a', 'next']);
    await run(gate, '/c', seen);
    assert.deepEqual(seen.splice(0), ['c', 'next']);
    assert.ok(gate.serves('/c') && gate.serves('/abc') && !gate.serves('/t/x'));
  });
});
