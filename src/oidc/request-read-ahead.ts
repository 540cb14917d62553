// State kept for the provider request in progress, beside its context (oidc-provider keeps the context in
// AsyncLocalStorage: Provider.ctx). The durable adapter uses it twice in a refresh:
// - a refresh finds its refresh token and, right after, the token's grant (oidc-provider's validateGrant) and its user
//   (findAccount): all three are read in one round trip, and the grant and user are left here for the Grant adapter's
//   find() and for findAccount to take once;
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

/** oidc-provider's own request (Provider.ctx): shared by the adapters and findAccount of every tenant, as they hand rows to each other */
export const providerRequests: RequestScope = createRequestScope();

/** a refresh token's user, read with it: the key findAccount takes it by */
export const accountReadAhead = (accountId: string) => `Account\n${accountId}`;
