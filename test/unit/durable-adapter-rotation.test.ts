// The durable adapter's round trips in a refresh (src/oidc/durable-adapter.ts) with a recording repository and a
// request of the test's own: the refresh token is read with its grant, and the rotation's consume waits for the
// successor's save so both are one statement; outside a refresh-token grant every call goes to the repository.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errors, type AdapterPayload, type KoaContextWithOIDC } from 'oidc-provider';
import { createDurableAdapter } from '../../src/oidc/durable-adapter.js';
import { accountReadAhead, createRequestScope } from '../../src/oidc/request-read-ahead.js';
import { createTouchMemo } from '../../src/oidc/session-tracking.js';
import type { ConsumePolicy } from '../../src/oidc/consume-policy.js';
import type { ModelKey, NewRow, OidcModelsRepository, StoredModel } from '../../src/db/oidc-models.repository.js';
import { createSealer } from '../../src/crypto/sealing.js';

const tenantId = '7b0c6a52-58a4-4d52-9f0e-3c9f3f2b1a10';

function recordingRepository(options: { rotationWins?: boolean } = {}) {
  const calls: string[] = [];
  const grant: StoredModel = { payload: { accountId: 'user-1' }, consumedAt: null };
  const token: StoredModel = { payload: { grantId: 'grant-1', clientId: 'app', accountId: 'user-1' }, consumedAt: null };
  const user = { id: 'user-1' };
  const repository = {
    async find(key: ModelKey) { calls.push(`find ${key.model}`); return key.model === 'Grant' ? grant : token; },
    async findRefreshToken(key: ModelKey) { calls.push(`findRefreshToken ${key.model}`); return { row: token, grant, user }; },
    async consume(key: ModelKey) { calls.push(`consume ${key.model}`); return true; },
    async upsert(key: ModelKey) { calls.push(`upsert ${key.model}`); },
    async consumeAndUpsert(consumed: ModelKey, key: ModelKey, _row: NewRow) {
      calls.push(`consumeAndUpsert ${consumed.model} ${key.model}`);
      return options.rotationWins ?? true;
    },
    async retake() { calls.push('retake'); return false; },
  } as unknown as OidcModelsRepository;
  return { repository, calls };
}

const policy: ConsumePolicy = {
  presentOnFind: async (_model, payload) => payload,
  async onConsumeLost() { throw new errors.InvalidGrant('refresh token already used'); },
};

/** a fake provider request: `current` is what Provider.ctx would return inside it */
function request(grantType: string | undefined) {
  let inside: KoaContextWithOIDC | undefined;
  const scope = createRequestScope(() => inside);
  const ctx = { oidc: { route: 'token', params: grantType ? { grant_type: grantType } : {} } } as unknown as KoaContextWithOIDC;
  return { scope, run: async <T>(work: () => Promise<T>) => { inside = ctx; try { return await work(); } finally { inside = undefined; } } };
}

function adapters(repository: OidcModelsRepository, scope: ReturnType<typeof createRequestScope>) {
  const deps = { tenantId, repository, sealer: createSealer(['k'.repeat(32)]), policy, requestScope: scope };
  return { refreshTokens: createDurableAdapter('RefreshToken', deps), grants: createDurableAdapter('Grant', deps) };
}

const successor = { kind: 'RefreshToken', grantId: 'grant-1', clientId: 'app' } as unknown as AdapterPayload;

describe('durable adapter in a refresh', () => {
  it('reads the refresh token with its grant and user: the grant\'s find and findAccount that follow cost no statement, once', async () => {
    const { repository, calls } = recordingRepository();
    const { scope, run } = request('refresh_token');
    const { refreshTokens, grants } = adapters(repository, scope);
    await run(async () => {
      assert.equal((await refreshTokens.find('rt-1'))?.grantId, 'grant-1');
      assert.equal((await grants.find('grant-1'))?.accountId, 'user-1');
      await grants.find('grant-1');
      assert.deepEqual(scope.take(accountReadAhead('user-1')), { value: { id: 'user-1' } }, 'the user, for findAccount');
      assert.equal(scope.take(accountReadAhead('user-1')), undefined, 'taken once');
    });
    assert.deepEqual(calls, ['findRefreshToken RefreshToken', 'find Grant'], 'a second find of the grant reads it again');
  });

  it('keeps nothing outside a request', async () => {
    const { repository } = recordingRepository();
    const { scope } = request('refresh_token');
    const { refreshTokens } = adapters(repository, scope);
    await refreshTokens.find('rt-1');
    assert.equal(scope.take(accountReadAhead('user-1')), undefined);
  });

  it('writes the consume and the successor in one statement', async () => {
    const { repository, calls } = recordingRepository();
    const { scope, run } = request('refresh_token');
    const { refreshTokens } = adapters(repository, scope);
    await run(async () => {
      await refreshTokens.consume('rt-1');
      assert.deepEqual(calls, [], 'nothing written before the successor is saved');
      await refreshTokens.upsert('rt-2', successor, 3600);
    });
    assert.deepEqual(calls, ['consumeAndUpsert RefreshToken RefreshToken']);
  });

  it('refuses the successor when the rotation lost the race, and writes nothing more', async () => {
    const { repository, calls } = recordingRepository({ rotationWins: false });
    const { scope, run } = request('refresh_token');
    const { refreshTokens } = adapters(repository, scope);
    await assert.rejects(run(async () => {
      await refreshTokens.consume('rt-1');
      await refreshTokens.upsert('rt-2', successor, 3600);
    }), errors.InvalidGrant);
    assert.deepEqual(calls, ['consumeAndUpsert RefreshToken RefreshToken', 'find RefreshToken']);
  });

  it('consumes at once outside a refresh-token grant and outside any request', async () => {
    for (const grantType of ['authorization_code', undefined]) {
      const { repository, calls } = recordingRepository();
      const { scope, run } = request(grantType);
      const { refreshTokens } = adapters(repository, scope);
      await run(() => refreshTokens.consume('rt-1'));
      await refreshTokens.consume('rt-1');
      await refreshTokens.upsert('rt-2', successor, 3600);
      assert.deepEqual(calls, ['consume RefreshToken', 'consume RefreshToken', 'upsert RefreshToken'], String(grantType));
    }
  });
});

describe('session touch memo', () => {
  it('asks again only once the last known activity is a minute old, remembering a bounded number of sessions', () => {
    const memo = createTouchMemo(60_000, 2);
    assert.equal(memo.due('a', 0), true);
    memo.saw('a', 1_000);
    assert.equal(memo.due('a', 60_999), false);
    assert.equal(memo.due('a', 61_000), true);
    memo.saw('b', 1_000);
    memo.saw('c', 1_000);
    assert.equal(memo.due('a', 2_000), true, 'the oldest was forgotten');
    assert.equal(memo.due('c', 2_000), false);
  });
});

describe('durable adapter rows', () => {
  it('keeps the sealed id and the uid column only for a Session, the one model found by uid; a refresh token\'s uid stays in its payload', async () => {
    const rows = new Map<string, NewRow>();
    const repository = {
      async upsert(key: ModelKey, row: NewRow) { rows.set(key.model, row); },
      async findByUid(_tenant: string, model: string, uid: string) {
        const row = rows.get(model);
        return row?.uid === uid ? { payload: row.payload, consumedAt: null } : null;
      },
    } as unknown as OidcModelsRepository;
    const deps = { tenantId, repository, sealer: createSealer(['k'.repeat(32)]), policy, requestScope: createRequestScope(() => undefined) };
    const sessions = createDurableAdapter('Session', deps);
    const refreshTokens = createDurableAdapter('RefreshToken', deps);
    await sessions.upsert('session-cookie', { kind: 'Session', uid: 'session-uid', accountId: 'user-1' } as unknown as AdapterPayload, 60);
    await refreshTokens.upsert('refresh-token-value', { ...successor, uid: 'token-uid', sessionUid: 'session-uid' } as unknown as AdapterPayload, 60);

    const session = rows.get('Session')!;
    assert.equal(session.uid, 'session-uid');
    assert.equal(typeof (session.payload as { sealedJti?: unknown }).sealedJti, 'string');
    assert.ok(!JSON.stringify(session.payload).includes('session-cookie'), 'the id is sealed, never stored plain');
    assert.equal((await sessions.findByUid('session-uid'))?.jti, 'session-cookie');

    const token = rows.get('RefreshToken')!;
    assert.equal(token.uid, undefined, 'no uid column: no refresh token is looked up by it');
    assert.equal((token.payload as { sealedJti?: unknown }).sealedJti, undefined, 'no sealed id to open');
    assert.equal((token.payload as { uid?: unknown }).uid, 'token-uid', 'oidc-provider gets its uid back from the payload');
    assert.ok(!JSON.stringify(token.payload).includes('refresh-token-value'));
  });
});
