// Every access token names the environment that issued it (issue #19) in the `environment` claim (`live`,
// `sandbox`, …): with a different `iss` and different keys, one more signal a resource server can check, and
// introspection shows it for opaque tokens too.
import type { KoaContextWithOIDC } from 'oidc-provider';

export const environmentClaim = 'environment';

type ExtraTokenClaims<T> = (ctx: KoaContextWithOIDC, token: T) => Promise<Record<string, unknown> | undefined>;

export function withEnvironmentClaim<T>(environment: string, inner: ExtraTokenClaims<T>): ExtraTokenClaims<T> {
  return async (ctx, token) => ({ ...(await inner(ctx, token)), [environmentClaim]: environment });
}
