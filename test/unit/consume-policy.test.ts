// The replay rule for single-use artefacts (src/oidc/consume-policy.ts) with fake dependencies: a second use of a
// code or refresh token revokes its grant, except a refresh token repeated inside its client's reuse interval.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errors, type AdapterPayload } from 'oidc-provider';
import { createConsumePolicy } from '../../src/oidc/consume-policy.js';

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** a policy whose clients have the given reuse intervals, recording what it revokes and whom it asks about */
function policyWith(intervals: Record<string, number>, recorded = true) {
  const revoked: string[] = [];
  const asked: string[] = [];
  const policy = createConsumePolicy({
    async reuseIntervalFor(clientId) {
      asked.push(clientId);
      return intervals[clientId] ?? 0;
    },
    async revokeGrant(grantId) {
      revoked.push(grantId);
    },
    now: Date.now,
    successorRecorded: async () => recorded,
  });
  return { policy, revoked, asked };
}

function refreshToken(overrides: Partial<AdapterPayload> = {}): AdapterPayload {
  return { jti: 'rt-1', kind: 'RefreshToken', clientId: 'tabs', grantId: 'grant-1', accountId: 'user-1', ...overrides } as AdapterPayload;
}

async function lostWith(policy: ReturnType<typeof policyWith>['policy'], model: string, payload: AdapterPayload | undefined, retake?: () => Promise<boolean>) {
  const error = await policy.onConsumeLost(model, payload, retake).then(
    () => assert.fail('onConsumeLost must throw'),
    (thrown: unknown) => thrown,
  );
  assert.ok(error instanceof errors.InvalidGrant, `InvalidGrant, got ${String(error)}`);
  assert.equal(error.error, 'invalid_grant');
  assert.equal(error.statusCode, 400);
  return error;
}

describe('consume policy', () => {
  describe('presentOnFind', () => {
    it('shows a refresh token consumed inside its client\'s reuse interval as unconsumed, without changing the stored payload', async () => {
      const { policy, asked } = policyWith({ tabs: 5 });
      const consumedAt = new Date(Date.now() - 2000);
      const stored = refreshToken({ consumed: Math.floor(consumedAt.getTime() / 1000) });
      const presented = await policy.presentOnFind('RefreshToken', stored, consumedAt);
      assert.equal(presented.consumed, undefined);
      assert.deepEqual(presented, { jti: 'rt-1', kind: 'RefreshToken', clientId: 'tabs', grantId: 'grant-1', accountId: 'user-1' });
      assert.equal(stored.consumed, Math.floor(consumedAt.getTime() / 1000), 'the input is not mutated');
      assert.deepEqual(asked, ['tabs']);
    });

    it('keeps a refresh token consumed before the interval began as consumed', async () => {
      const { policy } = policyWith({ tabs: 5 });
      const consumedAt = new Date(Date.now() - 6000);
      const stored = refreshToken({ consumed: Math.floor(consumedAt.getTime() / 1000) });
      assert.equal((await policy.presentOnFind('RefreshToken', stored, consumedAt)).consumed, stored.consumed);
    });

    it('keeps a consumed refresh token consumed for a strict client (interval 0)', async () => {
      const { policy } = policyWith({ tabs: 0 });
      const consumedAt = new Date();
      const stored = refreshToken({ consumed: nowSeconds() });
      assert.equal((await policy.presentOnFind('RefreshToken', stored, consumedAt)).consumed, stored.consumed);
    });

    it('never un-consumes an authorization code, whatever the client\'s interval', async () => {
      const { policy, asked } = policyWith({ tabs: 300 });
      const consumedAt = new Date();
      const code = { jti: 'code-1', kind: 'AuthorizationCode', clientId: 'tabs', grantId: 'grant-1', consumed: nowSeconds() } as AdapterPayload;
      assert.equal((await policy.presentOnFind('AuthorizationCode', code, consumedAt)).consumed, code.consumed);
      assert.deepEqual(asked, [], 'codes have no interval to look up');
    });

    it('returns an unconsumed payload as it is, without asking about the client', async () => {
      const { policy, asked } = policyWith({ tabs: 5 });
      const stored = refreshToken();
      assert.deepEqual(await policy.presentOnFind('RefreshToken', stored, null), stored);
      assert.deepEqual(asked, []);
    });
  });

  describe('onConsumeLost', () => {
    it('refuses a replayed authorization code and revokes its grant (RFC 6749 §4.1.2)', async () => {
      const { policy, revoked } = policyWith({ tabs: 300 });
      const code = { jti: 'code-1', kind: 'AuthorizationCode', clientId: 'tabs', grantId: 'grant-9', consumed: nowSeconds() } as AdapterPayload;
      const error = await lostWith(policy, 'AuthorizationCode', code);
      assert.match(String(error.error_detail), /authorization code/);
      assert.deepEqual(revoked, ['grant-9']);
    });

    it('refuses a replayed refresh token of a strict client and revokes its grant (RFC 9700 §4.14.2)', async () => {
      const { policy, revoked } = policyWith({});
      const error = await lostWith(policy, 'RefreshToken', refreshToken({ clientId: 'strict', consumed: nowSeconds() }));
      assert.match(String(error.error_detail), /refresh token/);
      assert.deepEqual(revoked, ['grant-1']);
    });

    it('refuses a repeat inside the reuse interval without revoking (the successor is served elsewhere)', async () => {
      const { policy, revoked } = policyWith({ tabs: 5 });
      await lostWith(policy, 'RefreshToken', refreshToken({ consumed: nowSeconds() - 2 }));
      assert.deepEqual(revoked, []);
    });

    it('revokes on a repeat after the reuse interval', async () => {
      const { policy, revoked } = policyWith({ tabs: 5 });
      await lostWith(policy, 'RefreshToken', refreshToken({ consumed: nowSeconds() - 6 }));
      assert.deepEqual(revoked, ['grant-1']);
    });

    it('revokes when the consumption time is unknown', async () => {
      const { policy, revoked } = policyWith({ tabs: 5 });
      await lostWith(policy, 'RefreshToken', refreshToken());
      assert.deepEqual(revoked, ['grant-1']);
    });

    it('looks up the interval of the client the token was issued to', async () => {
      const { policy, asked, revoked } = policyWith({ tabs: 5, other: 0 });
      await lostWith(policy, 'RefreshToken', refreshToken({ clientId: 'other', consumed: nowSeconds() }));
      assert.deepEqual(asked, ['other']);
      assert.deepEqual(revoked, ['grant-1']);
    });

    it('refuses a token that vanished (already revoked) without anything to revoke', async () => {
      const { policy, revoked } = policyWith({ tabs: 5 });
      await lostWith(policy, 'RefreshToken', undefined);
      await lostWith(policy, 'AuthorizationCode', undefined);
      assert.deepEqual(revoked, []);
    });

    it('refuses a token without a grant without revoking anything', async () => {
      const { policy, revoked } = policyWith({});
      await lostWith(policy, 'RefreshToken', refreshToken({ grantId: undefined, consumed: nowSeconds() }));
      assert.deepEqual(revoked, []);
    });

    it('takes over an orphaned rotation inside the interval: no successor was recorded, the retake wins, the consume succeeds', async () => {
      const { policy, revoked } = policyWith({ tabs: 5 }, false);
      const retakes: string[] = [];
      await policy.onConsumeLost('RefreshToken', refreshToken({ consumed: nowSeconds() - 3 }), async () => { retakes.push('rt-1'); return true; });
      assert.deepEqual(retakes, ['rt-1']);
      assert.deepEqual(revoked, []);
    });

    it('refuses when another repeat took the orphaned rotation over first (the retake loses)', async () => {
      const { policy, revoked } = policyWith({ tabs: 5 }, false);
      await lostWith(policy, 'RefreshToken', refreshToken({ consumed: nowSeconds() - 3 }), async () => false);
      assert.deepEqual(revoked, []);
    });

    it('never retakes when the successor was recorded, after the interval, or for a code', async () => {
      let retaken = 0;
      const retake = async () => { retaken++; return true; };
      await lostWith(policyWith({ tabs: 5 }, true).policy, 'RefreshToken', refreshToken({ consumed: nowSeconds() - 1 }), retake);
      const late = policyWith({ tabs: 5 }, false);
      await lostWith(late.policy, 'RefreshToken', refreshToken({ consumed: nowSeconds() - 6 }), retake);
      assert.deepEqual(late.revoked, ['grant-1']);
      await lostWith(policyWith({ tabs: 5 }, false).policy, 'AuthorizationCode', { jti: 'code-1', kind: 'AuthorizationCode', clientId: 'tabs', grantId: 'g', consumed: nowSeconds() } as AdapterPayload, retake);
      assert.equal(retaken, 0);
    });
  });
});
