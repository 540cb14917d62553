// What happens when a single-use artefact (authorization code, refresh token) is presented again.
// oidc-provider checks `consumed` before it calls consume(), so two concurrent redemptions would both pass that
// check (DESIGN.md); our consume() is a compare-and-set and the loser lands here. A second use is a replay:
// RFC 6749 §4.1.2 and RFC 9700 §4.14.2 — refuse it and revoke the grant. The exception is a client's refresh-token
// reuse interval: inside it, a repeat presentation by that client is answered with the successor tokens already
// issued (refresh-token-reuse.ts), so it must neither revoke nor be reported as consumed by find().
// A rotation can also be orphaned: the process that consumed the token died (kill -9, a crash) before it recorded
// the successor, so the client never got one. A repeat inside the interval waits for the successor; when none is
// recorded within that wait, it takes the rotation over (compare-and-set on the consumption it found) and rotates
// afresh, so a lost answer never signs the user out. The orphan's unsent successor is random and was never
// delivered; it lives until the grant ends.
import { errors, type AdapterPayload } from 'oidc-provider';

export interface ConsumePolicy {
  presentOnFind(model: string, payload: AdapterPayload, consumedAt: Date | null): Promise<AdapterPayload>;
  /**
   * Throws InvalidGrant, revoking the grant unless the reuse interval covers the repeat; returns (the consume
   * succeeded after all) only when it took over an orphaned rotation with `retake`.
   */
  onConsumeLost(model: string, payload: AdapterPayload | undefined, retake?: () => Promise<boolean>): Promise<void>;
}

export interface ConsumePolicyDeps {
  /** seconds within which a rotated refresh token may be presented again by its client (0 = strict) */
  reuseIntervalFor(clientId: string): Promise<number>;
  revokeGrant(grantId: string): Promise<void>;
  /** whether the rotation of this refresh token recorded its successor, waiting a little for one in progress */
  successorRecorded(jti: string): Promise<boolean>;
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
    async onConsumeLost(model, payload, retake) {
      const consumedAt = typeof payload?.consumed === 'number' ? payload.consumed * 1000 : undefined;
      if (!(await insideReuseInterval(model, payload, consumedAt))) {
        if (payload?.grantId) await deps.revokeGrant(payload.grantId);
      } else if (retake && payload?.jti && !(await deps.successorRecorded(payload.jti)) && (await retake())) {
        return;
      }
      throw new errors.InvalidGrant(`${model === 'RefreshToken' ? 'refresh token' : 'authorization code'} already used`);
    },
  };
}
