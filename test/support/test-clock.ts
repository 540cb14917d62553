// The clock an in-process server reads for one-time codes, MFA and trusted devices: real time plus whatever the test
// has advanced it by, so an expiry test moves time on instead of sleeping through a TTL.
import { setTimeout as sleep } from 'node:timers/promises';

export interface TestClock {
  readonly now: () => number;
  /** moves this clock `ms` ahead of real time, for good */
  advance(ms: number): void;
}

export function createTestClock(): TestClock {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    advance(ms) { offset += ms; },
  };
}

/**
 * Lets `ms` pass for `server`: its clock moves on when it runs in this process; a spawned server's clock is the real
 * one, so then this waits.
 */
export async function letTimePass(server: { readonly clock?: TestClock }, ms: number): Promise<void> {
  if (server.clock) server.clock.advance(ms);
  else await sleep(ms);
}
