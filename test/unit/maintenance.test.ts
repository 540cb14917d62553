// The periodic clean-up (issue #15): its first run comes soon after start, not one interval later, it covers expired
// trusted devices as well as oidc-provider rows, keys, orphaned sessions and audit retention, and runs never overlap.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { startMaintenance, type MaintenanceDeps } from '../../src/oidc/maintenance.js';

function recordingDeps(onRun: (step: string) => Promise<number> | number) {
  const calls: string[] = [];
  const step = (name: string) => async () => {
    calls.push(name);
    return onRun(name);
  };
  const deps: MaintenanceDeps = {
    oidcModels: { deleteExpired: step('oidc rows') },
    mfa: { deleteExpiredTrustedDevices: step('trusted devices') },
    signingKeysRepository: { purgeUnpublished: step('keys') },
    sessionActivity: { deleteOrphans: step('sessions') },
    auditRetention: { applyRetention: step('audit retention') },
  };
  return { deps, calls };
}

const silent = pino({ level: 'silent' });

/** `promise`, or a failure after `ms`; its timer also keeps the process alive, as the maintenance timers do not */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms); });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe('maintenance', () => {
  it('runs soon after start, long before its interval, and removes expired trusted devices too', async () => {
    let finished!: () => void;
    const done = new Promise<void>((resolve) => { finished = resolve; });
    const { deps, calls } = recordingDeps((name) => {
      if (name === 'audit retention') finished();
      return 1;
    });
    const stop = startMaintenance(deps, silent, { firstRunMs: 10, everyMs: 3_600_000 });
    try {
      await within(done, 20_000, 'the first run');
    } finally {
      stop();
    }
    assert.deepEqual(calls, ['oidc rows', 'trusted devices', 'keys', 'sessions', 'audit retention']);
  });

  it('does not start a run while the previous one is still going, and goes on after a failure', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    let runs = 0;
    let secondRun!: () => void;
    const second = new Promise<void>((resolve) => { secondRun = resolve; });
    const { deps, calls } = recordingDeps(async (name) => {
      if (name !== 'oidc rows') return 0;
      runs++;
      if (runs === 1) {
        await held;
        throw new Error('database unavailable');
      }
      secondRun();
      return 0;
    });
    const stop = startMaintenance(deps, silent, { firstRunMs: 1, everyMs: 5 });
    try {
      // while the first run hangs, the interval fires many times; none of them starts a second run
      await within(new Promise((resolve) => setTimeout(resolve, 100)), 20_000, 'the wait');
      assert.equal(runs, 1);
      release();
      await within(second, 20_000, 'the second run');
    } finally {
      stop();
    }
    assert.equal(calls[0], 'oidc rows');
    assert.ok(runs >= 2);
  });
});
