// How run-suite.ts shares test processes (suite-batches.ts): which files may share one, how files are dealt into
// batches, and how batches and the lane's files are run beside each other.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { batches, sharesProcess, shareOut, type Job, type Kind } from '../support/suite-batches.js';
import { expectedSeconds } from '../support/suite-timings.js';

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
  it('deals files into batches whose weights taper (shares n, n-1 … 1), the heaviest batch first, each in the order given', () => {
    const files = [{ path: 'a', weight: 5 }, { path: 'b', weight: 1 }, { path: 'c', weight: 4 }, { path: 'd', weight: 2 }, { path: 'e', weight: 3 }];
    const dealt = batches(files, 2);
    assert.deepEqual(dealt, [['a', 'd', 'e'], ['b', 'c']], 'weights 10 and 5: two shares and one');
    const many = Array.from({ length: 60 }, (_, i) => ({ path: `f${i}`, weight: 1 + (i % 7) }));
    const weight = (batch: string[]) => batch.reduce((sum, path) => sum + many.find((f) => f.path === path)!.weight, 0);
    const weights = batches(many, 4).map(weight);
    assert.equal(weights.reduce((a, b) => a + b), many.reduce((sum, f) => sum + f.weight, 0), 'every file dealt once');
    for (const [i, w] of weights.entries()) assert.ok(Math.abs(w - (4 - i) * 24) <= 7, `batch ${i}: ${weights.join(', ')} (shares 4, 3, 2, 1 of 240)`);
    assert.deepEqual(batches(files, 9).length, 5, 'never more batches than files');
    assert.deepEqual(batches(files, 0), [['a', 'b', 'c', 'd', 'e']], 'at least one');
    assert.deepEqual(batches([], 3), []);
  });
});

describe('one pool of processes for the batches and the lane', () => {
  const job = (name: string, kind: Kind, seconds: number): Job => ({ files: [name], kind, seconds });

  it('runs every job once: lane files first while the lane has a slot, then the longest batch; never more lane files than their slots', async () => {
    const running = { together: 0, lane: 0 };
    const most = { together: 0, lane: 0, all: 0 };
    const started: string[] = [];
    const jobs = [job('1', 'together', 4), job('x', 'lane', 3), job('2', 'together', 8), job('y', 'lane', 2), job('z', 'lane', 1), job('3', 'together', 2)];
    const done = await shareOut(jobs, 3, 2, async (files, kind) => {
      running[kind]++;
      most[kind] = Math.max(most[kind], running[kind]);
      most.all = Math.max(most.all, running.together + running.lane);
      started.push(files[0]!);
      await new Promise((resolve) => setTimeout(resolve, 10));
      running[kind]--;
      return files[0]!;
    });
    assert.deepEqual(done.map((d) => d.result).sort(), ['1', '2', '3', 'x', 'y', 'z']);
    assert.deepEqual(started.slice(0, 3), ['x', 'y', '2'], 'the lane filled first, longest first, then the longest batch');
    assert.deepEqual(most, { together: 2, lane: 2, all: 3 });
  });

  it('a slot freed by the lane takes a batch: no slot stands idle while batches wait', async () => {
    const order: string[] = [];
    const jobs = [job('x', 'lane', 9), job('a', 'together', 5), job('b', 'together', 4), job('c', 'together', 3)];
    let together = 0;
    let most = 0;
    await shareOut(jobs, 2, 1, async (files, kind) => {
      order.push(files[0]!);
      if (kind === 'together') most = Math.max(most, ++together);
      await new Promise((resolve) => setTimeout(resolve, files[0] === 'x' ? 1 : 20));
      if (kind === 'together') together--;
      return files[0]!;
    });
    assert.deepEqual(order, ['x', 'a', 'b', 'c']);
    assert.equal(most, 2, 'the lane\'s slot ran a batch once the lane was done');
  });

  it('with one lane slot, a second lane file never runs at once with the first', async () => {
    let lane = 0;
    let most = 0;
    await shareOut([job('1', 'together', 1), job('x', 'lane', 3), job('y', 'lane', 2), job('z', 'lane', 1)], 4, 1, async (files, kind) => {
      if (kind === 'lane') most = Math.max(most, ++lane);
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (kind === 'lane') lane--;
      return files[0]!;
    });
    assert.equal(most, 1);
  });
});

describe('expected seconds', () => {
  it('takes a timed file\'s last time, and an untimed one\'s size at the rate the timed files ran', () => {
    const dir = mkdtempSync(join(tmpdir(), 'suite-timings-'));
    try {
      writeFileSync(join(dir, 'a.test.js'), 'x'.repeat(1000));
      writeFileSync(join(dir, 'b.test.js'), 'x'.repeat(3000));
      const files = [join(dir, 'a.test.js'), join(dir, 'b.test.js')];
      const timed = expectedSeconds(files, dir, { 'a.test.js': 20, 'gone.test.js': 99 });
      assert.deepEqual([...timed.values()], [20, 60], 'b: 3,000 bytes at 20 s per 1,000');
      const untimed = expectedSeconds(files, dir, {});
      assert.ok(untimed.get(files[1]!)! > untimed.get(files[0]!)!, 'by size when nothing was timed');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
