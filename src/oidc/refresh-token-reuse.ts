// The per-client refresh-token reuse interval. When a client with an interval rotates a refresh token, the
// response is kept (sealed with a key derived from the presented token, so the cache alone is useless) for
// that many seconds. A repeat of the same token by the same client inside the interval loses the consume
// race without revoking (consume-policy.ts) and is answered here with exactly those successor tokens —
// two browser tabs refreshing together keep the user signed in. After the interval the strict rule applies.
// A client that never set an interval gets a short default, so a refresh whose answer was lost (a killed process,
// a dropped connection) can be retried with the same token; a client that sets 0 gets strict replay detection.
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { KvStore } from '../store/kv-store.js';
import type { AnswerStep } from './provider-answers.js';
import { createSealer, digest } from '../crypto/sealing.js';

const waitForWinnerMs = 2000;
/** seconds: the reuse interval of a client that did not choose one (Supabase Auth's default is the same 10 s) */
export const defaultReuseIntervalSeconds = 10;

/** the client's refresh-token reuse interval in seconds; 0 means strict replay detection */
export function reuseIntervalOf(client: { refresh_token_reuse_interval?: unknown } | undefined): number {
  const interval = client?.refresh_token_reuse_interval;
  return typeof interval === 'number' ? interval : defaultReuseIntervalSeconds;
}
const pollMs = 25;

interface Successor { clientId: string; body: unknown }

/** where the successor of a rotated refresh token (its value is its jti) is kept for the reuse interval */
const successorKey = (tenantId: string, token: string) => `rt-successor:${tenantId}:${digest(token)}`;

async function waitForSuccessor(store: KvStore, key: string): Promise<string | null> {
  const deadline = Date.now() + waitForWinnerMs;
  for (;;) {
    const value = await store.get(key);
    if (value || Date.now() >= deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** whether a rotation of `token` recorded its successor, waiting up to 2 s for one still in progress */
export async function successorRecorded(store: KvStore, tenantId: string, token: string): Promise<boolean> {
  return (await waitForSuccessor(store, successorKey(tenantId, token))) !== null;
}

/**
 * The last of the provider's answer steps (provider-answers.ts): after the other rewrites, as when it was a layer
 * around them. A promise only for a refresh at the token endpoint; every other answer passes untouched.
 */
export function refreshTokenReuse(deps: { store: KvStore; tenantId: string }): AnswerStep {
  const keyOf = (token: string) => successorKey(deps.tenantId, token);

  async function reuseInterval(ctx: KoaContextWithOIDC, presented: string, interval: number): Promise<void> {
    const { oidc } = ctx;
    const key = keyOf(presented);
    const sealer = createSealer([presented]);
    if (ctx.status === 200) {
      const successor: Successor = { clientId: oidc.client!.clientId, body: ctx.body };
      await deps.store.set(key, sealer.seal(JSON.stringify(successor), key), interval);
      return;
    }
    if (ctx.status !== 400 || (ctx.body as { error?: string } | undefined)?.error !== 'invalid_grant') return;
    // Wait for a successor only when one can come: the token is this client's and the consume policy still shows
    // it unconsumed (a repeat inside the interval). An unknown, revoked, foreign or long-rotated token is refused
    // at once instead of holding the request for the whole wait.
    const token = await oidc.provider.RefreshToken.find(presented);
    if (!token || token.consumed || token.clientId !== oidc.client!.clientId) return;
    const sealed = await waitForSuccessor(deps.store, key);
    if (!sealed) return;
    const successor = JSON.parse(sealer.open(sealed, key)) as Successor;
    if (successor.clientId !== oidc.client!.clientId) return;
    ctx.status = 200;
    ctx.body = successor.body;
  }

  return function refreshAnswer(ctx) {
    const { oidc } = ctx;
    if (oidc?.route !== 'token' || oidc.params?.grant_type !== 'refresh_token' || !oidc.client) return undefined;
    const presented = oidc.params.refresh_token;
    const interval = reuseIntervalOf(oidc.client as unknown as { refresh_token_reuse_interval?: unknown });
    if (typeof presented !== 'string' || !interval) return undefined;
    return reuseInterval(ctx, presented, interval);
  };
}
