// offline_access without prompt=consent (issue #17). oidc-provider drops the scope from any authorization request
// whose prompt lacks `consent` (lib/actions/authorization/scopes.js), one reading of OIDC Core §11 ("MUST ... unless
// other conditions for processing the request permitting offline access ... are in place"). Relying-party
// libraries are documented to ask for the scope alone, so the request silently yields no refresh token.
// The conditions are in place for a first-party client (its consent is implied) and, where the tenant allows it,
// for any client whose user consents to offline access on the consent page or already did: the interaction
// policy asks for consent when the grant lacks the scope. This runs as an `extraParams` validator for `scope`,
// the library's hook after its scope check, and puts the scope back under the same conditions that check applies
// otherwise: a code response type, a client allowed refresh tokens and registered for the scope.
import { decodeJwt } from 'jose';
import type { Client, KoaContextWithOIDC } from 'oidc-provider';
import type { RelyingPartySettings } from '../tenants/relying-party-settings.js';

const frontChannelRoutes = new Set(['authorization', 'pushed_authorization_request']);

/** the scope as the client sent it: in its request object (JAR, or stored by PAR) or in the query or form */
function requestedScope(ctx: KoaContextWithOIDC): string[] {
  const { oidc } = ctx;
  const body = (oidc.body ?? {}) as Record<string, unknown>;
  const requestObject = oidc.entities.PushedAuthorizationRequest?.request ?? body.request ?? ctx.query.request;
  let scope: unknown;
  if (typeof requestObject === 'string') {
    // already verified by the library; an encrypted one cannot be read here and keeps the library's answer
    try { scope = decodeJwt(requestObject).scope; } catch { scope = undefined; }
  } else {
    scope = body.scope ?? ctx.query.scope;
  }
  return typeof scope === 'string' ? scope.split(' ') : [];
}

export function keepOfflineAccess(settings: RelyingPartySettings) {
  return async function offlineAccessWithoutConsentPrompt(ctx: KoaContextWithOIDC, scope: string | undefined, client?: Client): Promise<void> {
    const { oidc } = ctx;
    const params = oidc.params;
    if (!client || !params || !frontChannelRoutes.has(oidc.route) || oidc.prompts.has('consent')) return;
    const scopes = scope?.split(' ') ?? [];
    if (scopes.includes('offline_access') || !requestedScope(ctx).includes('offline_access')) return;
    const firstParty = (client as unknown as { first_party?: boolean }).first_party === true;
    if (!firstParty && settings.offlineAccess !== 'all-clients') return;
    const responseType = params.response_type;
    if (typeof responseType !== 'string' || !responseType.split(' ').includes('code')) return;
    if (!client.grantTypeAllowed('refresh_token')) return;
    if (client.scope && !client.scope.split(' ').includes('offline_access')) return;
    params.scope = [...scopes, 'offline_access'].join(' ');
  };
}
