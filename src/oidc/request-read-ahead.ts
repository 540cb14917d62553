// State kept for the provider request in progress, beside its context (oidc-provider keeps the context in
// AsyncLocalStorage: Provider.ctx). The durable adapter uses it twice in a refresh:
// - a refresh finds its refresh token and, right after, the token's grant (oidc-provider's validateGrant): both are
//   read in one round trip and the grant is left here for the Grant adapter's find() to take once;
// - the rotation's consume of the old token is held here until the successor is saved, and both are written in one
//   statement (durable-adapter.ts).
// Outside a request nothing is kept, and every call goes to the database. What is kept lives only as long as its
// request, so it is never staler than the reads it replaces.
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';

export interface RequestScope {
  /** the provider request in progress, if any */
  current(): KoaContextWithOIDC | undefined;
  /** keeps `value` for this request's next take(key); false (nothing kept) outside a provider request */
  keep(key: string, value: unknown): boolean;
  /** what keep() left under `key` in this request (removing it), or undefined when nothing was kept */
  take<T>(key: string): { value: T } | undefined;
}

/** @param current the request in progress: Provider.ctx, or a test's own */
export function createRequestScope(current: () => KoaContextWithOIDC | undefined = () => Provider.ctx): RequestScope {
  const byRequest = new WeakMap<object, Map<string, unknown>>();
  return {
    current,
    keep(key, value) {
      const ctx = current();
      if (!ctx) return false;
      let kept = byRequest.get(ctx);
      if (!kept) byRequest.set(ctx, (kept = new Map()));
      kept.set(key, value);
      return true;
    },
    take<T>(key: string) {
      const ctx = current();
      const kept = ctx ? byRequest.get(ctx) : undefined;
      if (!kept?.has(key)) return undefined;
      const value = kept.get(key) as T;
      kept.delete(key);
      return { value };
    },
  };
}
