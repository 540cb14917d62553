// The bench's measured window (test/bench/closed-loop.ts): the parent must see measure-start then measure-end exactly
// once, whether the timers fired or the job ended first (the lost measure-end made the logins step fail with
// "load generator exited (0) without a result"); and the Tessera/bare ratios are medians of paired rounds.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { windowSignals, type LoadMessage } from '../bench/closed-loop.js';
import { ratiosOf, type ScenarioRun } from '../bench/bench-report.js';

function recorder() {
  const seen: string[] = [];
  return { seen, to: (message: LoadMessage) => seen.push(message.type) };
}

describe('bench window signals', () => {
  it('close() before either timer sends start, then end', () => {
    const { seen, to } = recorder();
    windowSignals(Date.now() + 60_000, Date.now() + 120_000, to).close();
    assert.deepEqual(seen, ['measure-start', 'measure-end']);
  });

  it('close() after the start timer sends only the end', async () => {
    const { seen, to } = recorder();
    const signals = windowSignals(Date.now() + 10, Date.now() + 60_000, to);
    await sleep(50);
    assert.deepEqual(seen, ['measure-start']);
    signals.close();
    assert.deepEqual(seen, ['measure-start', 'measure-end']);
  });

  it('close() after both timers sends nothing more', async () => {
    const { seen, to } = recorder();
    const signals = windowSignals(Date.now() + 10, Date.now() + 30, to);
    await sleep(80);
    signals.close();
    assert.deepEqual(seen, ['measure-start', 'measure-end']);
  });
});

describe('bench ratios', () => {
  const run = (target: 'tessera' | 'bare', rate: number, cpuUs: number) => ({
    scenario: 'token-rs256', target, http: { requestsPerSecond: rate }, cpuUsPerRequest: { server: cpuUs, stack: cpuUs },
  }) as unknown as ScenarioRun;

  it('are the medians of each round paired with the bare run after it', () => {
    // round 2 ran in a noisy stretch for both targets: pairing keeps it from skewing the ratio
    const runs = [run('tessera', 900, 700), run('bare', 1000, 500), run('tessera', 300, 900), run('bare', 400, 700), run('tessera', 850, 650), run('bare', 1000, 520)];
    const [ratio] = ratiosOf(runs);
    assert.equal(ratio!.ratio, 0.85);
    assert.equal(ratio!.tessera, 850);
    assert.equal(ratio!.bare, 1000);
    assert.equal(ratio!.cpuRatio, 700 / 900);
    assert.equal(ratio!.met, false);
  });
});
