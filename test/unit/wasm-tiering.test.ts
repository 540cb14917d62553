import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { baselineTieringBudget, withWasmOnBaselineTier } from '../../src/db/wasm-tiering.js';

describe('query compiler tiering', () => {
  it('raises the wasm tiering budget only while a WebAssembly module starts', async () => {
    const flags: string[] = [];
    const result = await withWasmOnBaselineTier(async () => {
      flags.push('start');
      return 42;
    }, (f) => flags.push(f));
    assert.equal(result, 42);
    assert.deepEqual(flags, [`--wasm-tiering-budget=${baselineTieringBudget}`, 'start', '--wasm-tiering-budget=13000000']);
  });

  it('puts V8\'s default back when the start fails', async () => {
    const flags: string[] = [];
    await assert.rejects(withWasmOnBaselineTier(async () => {
      throw new Error('database unreachable');
    }, (f) => flags.push(f)), /database unreachable/);
    assert.equal(flags.at(-1), '--wasm-tiering-budget=13000000');
  });
});
