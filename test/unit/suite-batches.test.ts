// How run-suite.ts shares test processes (suite-batches.ts): which files may share one, how files are dealt into
// batches, and how batches and the lane's files are run beside each other.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { batches, sharesProcess, shareOut } from '../support/suite-batches.js';

const source = (path: string) => readFileSync(fileURLToPath(new URL(`../${path}`, import.meta.url)), 'utf8');

describe('files that share a test process', () => {
  it('a file whose hooks all belong to its suites shares; one with hooks at its top level or marked own does not', () => {
    assert.equal(sharesProcess(source('integration/code-flow.test.js')), true);
    assert.equal(sharesProcess(source('unit/rate-limiter.test.js')), false, 'afterEach at the top level');
    assert.equal(sharesProcess(source('integration/email-sender.test.js')), false, 'after at the top level');
    assert.equal(sharesProcess('// test-process: own\nimport { it } from "node:test";\n'), false, 'marked');
    assert.equal(sharesProcess('describe("x", () => {\n  after(() => {});\n});\nconst s = "\\nbefore(";\n'), true, 'hooks inside a suite');
  });
});

describe('batches', () => {
  it('deals files into batches of about equal weight, the heaviest batch first, each in the order given', () => {
    const files = [{ path: 'a', weight: 5 }, { path: 'b', weight: 1 }, { path: 'c', weight: 4 }, { path: 'd', weight: 2 }, { path: 'e', weight: 3 }];
    const dealt = batches(files, 2);
    assert.deepEqual(dealt, [['a', 'b', 'd'], ['c', 'e']]);
    assert.deepEqual(batches(files, 9).length, 5, 'never more batches than files');
    assert.deepEqual(batches(files, 0), [['a', 'b', 'c', 'd', 'e']], 'at least one');
    assert.deepEqual(batches([], 3), []);
  });
});

describe('batches and the lane beside them', () => {
  it('runs every job once: batches `concurrency` at a time, the lane `laneSlots` at a time from the start, in its order', async () => {
    const running = { together: 0, lane: 0 };
    const most = { together: 0, lane: 0 };
    const laneStarted: string[] = [];
    let laneBesideBatches = 0;
    const done = await shareOut([['1'], ['2'], ['3'], ['4']], ['x', 'y', 'z', 'w'], 2, 2, async (files, kind) => {
      running[kind]++;
      most[kind] = Math.max(most[kind], running[kind]);
      if (kind === 'lane') laneStarted.push(files[0]!);
      if (kind === 'lane' && running.together) laneBesideBatches++;
      assert.ok(running.lane <= 2, 'never more lane files than its slots');
      await new Promise((resolve) => setTimeout(resolve, kind === 'lane' ? 15 : 10));
      running[kind]--;
      return files[0]!;
    });
    assert.deepEqual(done.map((d) => d.result).sort(), ['1', '2', '3', '4', 'w', 'x', 'y', 'z']);
    assert.deepEqual(most, { together: 2, lane: 2 });
    assert.deepEqual(laneStarted, ['x', 'y', 'z', 'w'], 'the lane in the order given');
    assert.ok(laneBesideBatches >= 2, 'both lane slots ran beside the batches');
  });

  it('with one lane slot, a second lane file never runs', async () => {
    let lane = 0;
    let most = 0;
    await shareOut([['1'], ['2']], ['x', 'y', 'z'], 2, 1, async (files, kind) => {
      if (kind === 'lane') most = Math.max(most, ++lane);
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (kind === 'lane') lane--;
      return files[0]!;
    });
    assert.equal(most, 1);
  });
});
