// Rows read ahead for the request in progress. A refresh finds its refresh token and, right after, the token's grant
// (oidc-provider's validateGrant); the durable adapter fetches both in one round trip and leaves the grant here, under
// the request's own context (oidc-provider keeps it in AsyncLocalStorage: Provider.ctx), for the Grant adapter's
// find() to take once. Outside a request, or for any other row, nothing is kept and every find() reads the database.
// A read-ahead lives only as long as its request, so it is never staler than the two reads it replaces.
import Provider from 'oidc-provider';

const byRequest = new WeakMap<object, Map<string, unknown>>();

/** keeps `value` for this request's next take(key); a no-op outside a provider request */
export function keepForRequest(key: string, value: unknown): void {
  const ctx = Provider.ctx;
  if (!ctx) return;
  let kept = byRequest.get(ctx);
  if (!kept) byRequest.set(ctx, (kept = new Map()));
  kept.set(key, value);
}

/** what keepForRequest left under `key` in this request (removing it), or undefined when nothing was kept */
export function takeFromRequest<T>(key: string): { value: T } | undefined {
  const ctx = Provider.ctx;
  const kept = ctx ? byRequest.get(ctx) : undefined;
  if (!kept?.has(key)) return undefined;
  const value = kept.get(key) as T;
  kept.delete(key);
  return { value };
}
