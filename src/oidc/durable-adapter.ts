// oidc-provider adapter for models that must survive restarts (Session, Grant, RefreshToken) in PostgreSQL.
// Ids are bearer secrets (a session id is the cookie, a refresh token id is the token), so rows are keyed by
// their SHA-256 and the payload never holds the id; a Session's id is kept sealed for findByUid, the only model
// oidc-provider finds by uid (a refresh token's or grant's uid is in its payload, but no row is looked up by it).
// A refresh takes two statements (docs/benchmarks.md): the token with its grant and user (read ahead for the Grant
// adapter and findAccount), and the rotation — the old token's consume and its successor's insert in one statement, so a
// rotation is written whole or not at all (request-read-ahead.ts holds the consume until the successor is saved).
import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import type { NewRow, OidcModelsRepository, StoredModel } from '../db/oidc-models.repository.js';
import { digest, type Sealer } from '../crypto/sealing.js';
import type { ConsumePolicy } from './consume-policy.js';
import { accountReadAhead, type RequestScope } from './request-read-ahead.js';

export interface DurableAdapterDeps {
  tenantId: string;
  repository: OidcModelsRepository;
  sealer: Sealer;
  policy: ConsumePolicy;
  /** the provider request in progress: one scope for all of a tenant's adapters, as they hand rows to each other */
  requestScope: RequestScope;
}

const epoch = (date: Date) => Math.floor(date.getTime() / 1000);
/** a refresh token's grant, read with it */
const grantReadAhead = (tenantId: string, grantId: string) => `Grant\n${tenantId}\n${grantId}`;
/** the refresh token whose consume waits for its successor's save */
const heldConsume = (tenantId: string) => `consume\n${tenantId}`;

/** an adapter that can also undo a consume (rotation-rollback.ts) */
export interface DurableAdapter extends Adapter {
  unconsume(id: string): Promise<boolean>;
}

export function createDurableAdapter(model: string, deps: DurableAdapterDeps): DurableAdapter {
  const { tenantId, repository, sealer, policy } = deps;
  const scope = deps.requestScope;
  const keyOf = (id: string) => ({ tenantId, model, id: digest(id) });
  const sealContext = (uid: string) => `oidc:${tenantId}:${model}:${uid}`;

  const restore = (id: string, stored: { payload: Record<string, unknown>; consumedAt: Date | null }): AdapterPayload => {
    const { sealedJti, ...payload } = stored.payload;
    void sealedJti;
    return { ...payload, jti: id, ...(stored.consumedAt ? { consumed: epoch(stored.consumedAt) } : {}) } as AdapterPayload;
  };

  /** a consume that lost: the policy refuses it (throws), or took an orphaned rotation over (returns) */
  async function consumeLost(id: string): Promise<void> {
    const stored = await repository.find(keyOf(id));
    const consumedAt = stored?.consumedAt;
    const retake = consumedAt ? () => repository.retake(keyOf(id), consumedAt) : undefined;
    await policy.onConsumeLost(model, stored ? restore(id, stored) : undefined, retake);
  }

  /**
   * In a refresh-token grant, oidc-provider consumes the presented token, then saves its successor and nothing else
   * of this model (lib/actions/grants/refresh_token.js): the consume waits for that save. Should the request fail
   * in between, nothing was consumed and nothing issued: the token stays usable.
   */
  function holdsConsume(): boolean {
    const oidc = scope.current()?.oidc;
    return model === 'RefreshToken' && oidc?.route === 'token' && oidc.params?.grant_type === 'refresh_token';
  }

  return {
    async upsert(id, payload, expiresIn) {
      const { jti, ...rest } = payload;
      void jti;
      // PostgreSQL jsonb cannot hold U+0000; a request carrying one (a nonce, a claims value) is refused
      // rather than answered with a 500 when its grant, session or refresh token is saved.
      if (JSON.stringify(rest).includes('\\u0000')) throw new errors.InvalidRequest('request parameters must not contain NUL characters');
      const stored: Record<string, unknown> = { ...rest };
      const uid = model === 'Session' ? payload.uid : undefined;
      if (uid) stored.sealedJti = sealer.seal(id, sealContext(uid));
      const row: NewRow = {
        payload: stored,
        expiresAt: expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
        // a Grant row carries its own id as grant id, so a user's grants are found with their tokens
        grantId: model === 'Grant' ? id : payload.grantId,
        accountId: payload.accountId,
        uid,
      };
      const held = model === 'RefreshToken' ? scope.take<string>(heldConsume(tenantId)) : undefined;
      if (held) {
        if (await repository.consumeAndUpsert(keyOf(held.value), keyOf(id), row)) return;
        await consumeLost(held.value); // throws unless an orphaned rotation was taken over: then save as usual
      }
      await repository.upsert(keyOf(id), row);
    },
    async find(id) {
      let stored: StoredModel | null;
      const readAhead = model === 'Grant' ? scope.take<StoredModel | null>(grantReadAhead(tenantId, id)) : undefined;
      if (readAhead) {
        stored = readAhead.value;
      } else if (model === 'RefreshToken') {
        // the refresh grant reads the token's grant and user next (validateGrant, findAccount): one round trip for all
        const found = await repository.findRefreshToken(keyOf(id));
        stored = found?.row ?? null;
        const { grantId, accountId } = stored?.payload ?? {};
        if (found && typeof grantId === 'string') scope.keep(grantReadAhead(tenantId, grantId), found.grant);
        if (found && typeof accountId === 'string') scope.keep(accountReadAhead(accountId), found.user);
      } else {
        stored = await repository.find(keyOf(id));
      }
      if (!stored) return undefined;
      return policy.presentOnFind(model, restore(id, stored), stored.consumedAt);
    },
    async findByUid(uid) {
      const stored = await repository.findByUid(tenantId, model, uid);
      const sealed = stored?.payload.sealedJti;
      if (!stored || typeof sealed !== 'string') return undefined;
      let id: string;
      try {
        id = sealer.open(sealed, sealContext(uid));
      } catch {
        return undefined;
      }
      return restore(id, stored);
    },
    async findByUserCode() {
      return undefined;
    },
    async consume(id) {
      if (holdsConsume() && scope.keep(heldConsume(tenantId), id)) return;
      if (await repository.consume(keyOf(id))) return;
      await consumeLost(id);
    },
    async unconsume(id) {
      return repository.unconsume(keyOf(id));
    },
    async destroy(id) {
      await repository.destroy(keyOf(id));
    },
    async revokeByGrantId(grantId) {
      await repository.revokeByGrantId(tenantId, model, grantId);
    },
  };
}
