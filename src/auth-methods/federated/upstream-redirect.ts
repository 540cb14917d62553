// Sending a browser to an upstream identity provider: state, nonce and PKCE made and kept (federation-store.ts), the
// state bound to this browser by a cookie the callback checks, and the redirect. Shared by the hosted login, the
// account page's "link", and the REST API's GET /v1/auth/authorize (a browser navigation too), so every federated
// sign-in comes back through the one callback with the same checks (federated.routes.ts).
import type { Context } from 'koa';
import * as oauth from 'openid-client';
import type { ResolvedTenant } from '../../http/tenant-routes.js';
import type { Connections } from './connections.js';
import { displayName } from './connections.js';
import { bindingHash, randomToken, type FederationStore, type FlowState } from './federation-store.js';
import { UpstreamError, type UpstreamFailure } from './upstream.js';

export const bindingCookie = 'tessera_fed';

export interface UpstreamRedirectDeps {
  connections: Pick<Connections, 'find'>;
  federation: Pick<FederationStore, 'saveState'>;
  publicOrigin: string;
  https: boolean;
}

export type UpstreamRedirectOutcome =
  | { ok: true }
  | { ok: false; failure: 'unknown_connection' }
  /** `name`: the connection's display name, for the page that says so */
  | { ok: false; failure: UpstreamFailure; detail: string | undefined; name: string };

export function createUpstreamRedirect(deps: UpstreamRedirectDeps) {
  const callbackUrl = (slug: string) => `${deps.publicOrigin}/t/${slug}/federated/callback`;

  /** the browser's binding: one value per browser, kept while flows are under way */
  function binding(ctx: Context, slug: string): string {
    const existing = ctx.cookies.get(bindingCookie);
    if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
    const value = randomToken();
    ctx.cookies.set(bindingCookie, value, { path: `/t/${slug}/federated`, httpOnly: true, sameSite: 'lax', secure: deps.https, maxAge: 600_000, signed: false, overwrite: true });
    return value;
  }

  return {
    callbackUrl,
    /** saves the flow and answers 303 to the upstream; on a failure nothing is answered (the caller says why) */
    async redirect(ctx: Context, tenant: ResolvedTenant, connectionId: string, flow: Omit<FlowState, 'nonce' | 'codeVerifier' | 'binding' | 'connection'>): Promise<UpstreamRedirectOutcome> {
      const found = deps.connections.find(tenant.id, tenant.settings.connections, connectionId);
      if (!found) return { ok: false, failure: 'unknown_connection' };
      const nonce = randomToken();
      const codeVerifier = oauth.randomPKCECodeVerifier();
      const state = await deps.federation.saveState(tenant.id, { ...flow, connection: connectionId, nonce, codeVerifier, binding: bindingHash(binding(ctx, tenant.slug)) });
      try {
        const url = await found.connector.authorizationUrl({ redirectUri: callbackUrl(tenant.slug), state, nonce, codeChallenge: await oauth.calculatePKCECodeChallenge(codeVerifier) });
        ctx.status = 303;
        ctx.redirect(url.href);
        return { ok: true };
      } catch (error) {
        if (!(error instanceof UpstreamError)) throw error;
        return { ok: false, failure: error.failure, detail: error.detail, name: displayName(found.settings) };
      }
    },
  };
}
