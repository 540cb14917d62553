// oidc-provider adapter for short-lived models (Interaction, AuthorizationCode, AccessToken, ReplayDetection …)
// in Redis, or the in-process store without REDIS_URL. Keys carry the SHA-256 of the id, never the id itself.
// consume() is `SET …:consumed NX`: atomic, so of two concurrent redemptions exactly one wins.
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { KvStore } from '../store/kv-store.js';
import { digest, type Sealer } from '../crypto/sealing.js';
import type { ConsumePolicy } from './consume-policy.js';

export interface ShortLivedAdapterDeps {
  tenantId: string;
  store: KvStore;
  policy: ConsumePolicy;
  /** seals the device code kept under its user code: the code is a bearer secret like every id here */
  sealer: Sealer;
}

/** without an expiry from the provider, nothing short-lived may linger longer than this */
const fallbackTtl = 24 * 3600;

export function createShortLivedAdapter(model: string, deps: ShortLivedAdapterDeps): Adapter {
  const { tenantId, store, policy, sealer } = deps;
  // the {…} hash tag keeps a value and its consumed marker in one Redis Cluster slot
  const keyOf = (id: string) => `oidc:{${tenantId}:${model}:${digest(id)}}`;
  const grantKey = (grantId: string) => `oidc:${tenantId}:grant:${grantId}`;
  // DeviceCode (RFC 8628): the verification page finds the code by the user code the person typed
  const userCodeKey = (userCode: string) => `oidc:${tenantId}:${model}:user-code:${digest(userCode)}`;

  async function load(id: string): Promise<AdapterPayload | undefined> {
    const [value, consumed] = await store.getMany([keyOf(id), `${keyOf(id)}:consumed`]);
    if (!value) return undefined;
    const payload = { ...(JSON.parse(value) as AdapterPayload), jti: id } as AdapterPayload;
    if (consumed) payload.consumed = Number(consumed);
    return payload;
  }

  return {
    async upsert(id, payload, expiresIn) {
      const ttl = expiresIn && expiresIn > 0 ? expiresIn : fallbackTtl;
      const { jti, ...stored } = payload;
      void jti;
      // sent together: the Redis client writes commands of one tick as one pipeline (one round trip), in this order;
      // a value with a grant goes into the grant's set in the same command (an access token of every refresh)
      await Promise.all([
        payload.grantId
          ? store.setAndAddToSet(keyOf(id), JSON.stringify(stored), ttl, grantKey(payload.grantId), `${model}\n${keyOf(id)}`)
          : store.set(keyOf(id), JSON.stringify(stored), ttl),
        typeof payload.userCode === 'string' ? store.set(userCodeKey(payload.userCode), sealer.seal(id, userCodeKey(payload.userCode)), ttl) : undefined,
      ]);
    },
    find: load,
    async findByUid() {
      return undefined; // only Session is looked up by uid, and it is durable
    },
    async findByUserCode(userCode) {
      const sealed = await store.get(userCodeKey(userCode));
      if (!sealed) return undefined;
      let id: string;
      try {
        id = sealer.open(sealed, userCodeKey(userCode));
      } catch {
        return undefined;
      }
      return load(id);
    },
    async consume(id) {
      const key = keyOf(id);
      const remaining = await store.ttl(key);
      // A lost race revokes the grant, which deletes the value and its marker together. A redemption that found
      // the value before that must not win by setting a fresh marker on it afterwards (seen: 2 of 50 concurrent
      // redemptions of one code succeeded), so only a marker set while the value still exists counts.
      const won = remaining !== -2
        && (await store.setIfAbsent(`${key}:consumed`, String(Math.floor(Date.now() / 1000)), remaining > 0 ? remaining : fallbackTtl));
      if (won && (await store.get(key)) !== null) return;
      if (won) await store.del([`${key}:consumed`]);
      await policy.onConsumeLost(model, await load(id));
    },
    async destroy(id) {
      const userCode = model === 'DeviceCode' ? (await load(id))?.userCode : undefined;
      await store.del([keyOf(id), `${keyOf(id)}:consumed`, ...(typeof userCode === 'string' ? [userCodeKey(userCode)] : [])]);
    },
    async revokeByGrantId(grantId) {
      const keys = (await store.setMembers(grantKey(grantId)))
        .filter((member) => member.startsWith(`${model}\n`))
        .map((member) => member.slice(model.length + 1));
      if (keys.length) await store.del(keys.flatMap((key) => [key, `${key}:consumed`]));
    },
  };
}
