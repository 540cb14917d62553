// What happens when a single-use artefact (authorization code, refresh token) is presented again.
// oidc-provider checks `consumed` before it calls consume(), so two concurrent redemptions would both pass that
// check (DESIGN.md); our consume() is a compare-and-set and the loser lands here. A second use is a replay:
// RFC 6749 §4.1.2 and RFC 9700 §4.14.2 — refuse it and revoke the grant. The exception is a client's refresh-token
// reuse interval: inside it, a repeat presentation by that client is answered with the successor tokens already
// issued (refresh-token-reuse.ts), so it must neither revoke nor be reported as consumed by find().
import { errors, type AdapterPayload } from 'oidc-provider';

export interface ConsumePolicy {
  presentOnFind(model: string, payload: AdapterPayload, consumedAt: Date | null): Promise<AdapterPayload>;
  /** always throws InvalidGrant; revokes the grant unless the reuse interval covers the repeat */
  onConsumeLost(model: string, payload: AdapterPayload | undefined): Promise<never>;
}

export interface ConsumePolicyDeps {
  /** seconds within which a rotated refresh token may be presented again by its client (0 = strict) */
  reuseIntervalFor(clientId: string): Promise<number>;
  revokeGrant(grantId: string): Promise<void>;
  /** ms since the epoch; tests move it on instead of sleeping through the interval */
  now: () => number;
}

export function createConsumePolicy(deps: ConsumePolicyDeps): ConsumePolicy {
  async function insideReuseInterval(model: string, payload: AdapterPayload | undefined, consumedAt: number | undefined) {
    if (model !== 'RefreshToken' || !payload?.clientId || consumedAt === undefined) return false;
    const interval = await deps.reuseIntervalFor(payload.clientId);
    return interval > 0 && deps.now() < consumedAt + interval * 1000;
  }

  return {
    async presentOnFind(model, payload, consumedAt) {
      if (consumedAt && (await insideReuseInterval(model, payload, consumedAt.getTime()))) {
        const { consumed, ...unconsumed } = payload;
        void consumed;
        return unconsumed;
      }
      return payload;
    },
    async onConsumeLost(model, payload) {
      const consumedAt = typeof payload?.consumed === 'number' ? payload.consumed * 1000 : undefined;
      if (!(await insideReuseInterval(model, payload, consumedAt)) && payload?.grantId) {
        await deps.revokeGrant(payload.grantId);
      }
      throw new errors.InvalidGrant(`${model === 'RefreshToken' ? 'refresh token' : 'authorization code'} already used`);
    },
  };
}
