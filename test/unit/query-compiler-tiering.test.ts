import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { queryCompilerTieringBudget, withQueryCompilerOnBaseline } from '../../src/db/query-compiler-tiering.js';

describe('query compiler tiering', () => {
  it('raises the wasm tiering budget only while the query compiler starts', async () => {
    const flags: string[] = [];
    const result = await withQueryCompilerOnBaseline(async () => {
      flags.push('start');
      return 42;
    }, (f) => flags.push(f));
    assert.equal(result, 42);
    assert.deepEqual(flags, [`--wasm-tiering-budget=${queryCompilerTieringBudget}`, 'start', '--wasm-tiering-budget=13000000']);
  });

  it('puts V8\'s default back when the start fails', async () => {
    const flags: string[] = [];
    await assert.rejects(withQueryCompilerOnBaseline(async () => {
      throw new Error('database unreachable');
    }, (f) => flags.push(f)), /database unreachable/);
    assert.equal(flags.at(-1), '--wasm-tiering-budget=13000000');
  });
});
