// The cross-tab refresh claims (src/sdk/refresh-coordinator.ts) with a stand-in for the API: one storage and one
// BroadcastChannel name shared by several coordinators, as tabs share localStorage. What it promises: one
// presentation per refresh token however many callers and tabs ask at once; a token the API answered is never
// presented again, so a refusal ends the session in every tab instead of a replay; a token that got no answer at
// all may be claimed again.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { TesseraError } from '../../src/sdk/client-error.js';
import type { Session } from '../../src/sdk/client-types.js';
import { createRefreshCoordinator } from '../../src/sdk/refresh-coordinator.js';

const session = (refreshToken: string): Session => ({
  access_token: `at-${refreshToken}`, refresh_token: refreshToken, token_type: 'Bearer',
  access_expires_at: new Date(Date.now() + 60_000).toISOString(), refresh_expires_at: new Date(Date.now() + 3_600_000).toISOString(), user: null,
});

/** `count` tabs over one stored session; `answer` plays the API for each presented token */
function tabs(count: number, answer: (token: string, n: number) => Promise<Session>) {
  let stored: Session | null = session('rt-0');
  const presented: string[] = [];
  const channelName = `test-${randomUUID()}`;
  const all = Array.from({ length: count }, () => createRefreshCoordinator({
    channelName,
    readStored: async () => stored,
    async present(token) {
      presented.push(token);
      const next = await answer(token, presented.length);
      stored = next;
      return next;
    },
    adopt: () => undefined,
    adoptStored: () => undefined,
    currentFingerprint: () => null,
  }));
  return { all, presented, held: () => stored!, dispose: () => all.forEach((c) => c.dispose()) };
}

test('ten callers in one tab share one refresh', async () => {
  const world = tabs(1, async (_t, n) => session(`rt-${n}`));
  try {
    const held = world.held();
    const results = await Promise.all(Array.from({ length: 10 }, () => world.all[0]!.refresh(held)));
    assert.deepEqual(world.presented, ['rt-0']);
    assert.ok(results.every((r) => r.refresh_token === 'rt-1'));
  } finally {
    world.dispose();
  }
});

test('three tabs refreshing at once: one presentation, every tab gets the new session, ten rounds in a row', async () => {
  const world = tabs(3, async (_t, n) => { await new Promise((r) => setTimeout(r, 20)); return session(`rt-${n}`); });
  try {
    for (let round = 1; round <= 10; round++) {
      const held = world.held();
      const results = await Promise.all(world.all.map((tab) => tab.refresh(held)));
      assert.deepEqual(results.map((r) => r.refresh_token), [`rt-${round}`, `rt-${round}`, `rt-${round}`]);
    }
    assert.equal(new Set(world.presented).size, world.presented.length, 'no token presented twice');
    assert.equal(world.presented.length, 10);
  } finally {
    world.dispose();
  }
});

test('a refused token is not presented again by any tab: each ends with the refusal or session_lost', async () => {
  const world = tabs(3, async () => { throw new TesseraError('token.invalid_refresh', 'refused', 400); });
  try {
    const held = world.held();
    const outcomes = await Promise.all(world.all.map((tab) => tab.refresh(held).then(() => 'ok', (e: TesseraError) => e.code)));
    assert.deepEqual(world.presented, ['rt-0']);
    assert.deepEqual(outcomes.sort(), ['sdk.session_lost', 'sdk.session_lost', 'token.invalid_refresh']);
    const again = await world.all[1]!.refresh(held).catch((e: TesseraError) => e.code);
    assert.equal(again, 'sdk.session_lost');
    assert.deepEqual(world.presented, ['rt-0']);
  } finally {
    world.dispose();
  }
});

test('a token that got no answer at all stays usable: the next claim presents it', async () => {
  const world = tabs(2, async (_t, n) => {
    if (n === 1) throw new TesseraError('sdk.network_error', 'offline');
    return session(`rt-${n}`);
  });
  try {
    const held = world.held();
    const first = await Promise.all(world.all.map((tab) => tab.refresh(held).then((s) => s.refresh_token, (e: TesseraError) => e.code)));
    // the tab that won the claim reports the failure; the other, waiting on it, claims the token again and presents it
    assert.deepEqual(first.sort(), ['rt-2', 'sdk.network_error']);
    assert.deepEqual(world.presented, ['rt-0', 'rt-0']);
  } finally {
    world.dispose();
  }
});

test('dispose() refuses further refreshes', async () => {
  const world = tabs(1, async (_t, n) => session(`rt-${n}`));
  world.dispose();
  await assert.rejects(world.all[0]!.refresh(world.held()), (e: TesseraError) => e.code === 'sdk.disposed');
});
