// The token endpoint's grant for a completed login transaction (issue #16): a JSON front door that signed a user in
// (the backend OTP API) exchanges the transaction for tokens here, so they are minted by oidc-provider's own models
// (Grant, AccessToken as an RFC 9068 JWT, RefreshToken) exactly like every other token of the tenant: the refresh
// token rotates, is replay-checked, revoked and introspected at the standard endpoints. The client must be a
// headless app authenticated at the token endpoint, and the transaction must have been started by it; each
// transaction is redeemed once (the redeem callback is a compare-and-set on the transaction record).
import { errors, type Client, type KoaContextWithOIDC, type ResourceServer } from 'oidc-provider';
import { loginTransactionGrantType } from './protocol-names.js';

export { loginTransactionGrantType };
export const loginTransactionParameter = 'login_transaction';

export interface RedeemedLogin { userId: string; amr: string[]; acr: string | null; /** epoch seconds */ authTime: number }

/** takes the completed transaction `ref` for `clientId`, once; null when it is unknown, not completed, foreign, taken, or its user is gone or disabled */
export type RedeemLogin = (tenantId: string, ref: string, clientId: string) => Promise<RedeemedLogin | null>;

type ResourceServerCtor = new (identifier: string, info: ResourceServer) => unknown;

export interface LoginGrantOptions {
  /** the tenant's resource-server answer for the app's slug (resource-servers.ts) */
  resourceInfo(resource: string, client: Client): ResourceServer;
  /** seconds a session lives (the tenant's ttl.session) */
  sessionTtl: number;
}

export function loginTransactionGrant(tenantId: string, redeem: RedeemLogin, options: LoginGrantOptions) {
  return async function loginTransactionGrantHandler(ctx: KoaContextWithOIDC): Promise<void> {
    const { oidc } = ctx;
    const { provider } = oidc;
    const client = oidc.client!;
    const app = client as unknown as { headless?: boolean; app_slug?: string };
    if (!app.headless || !app.app_slug) throw new errors.UnauthorizedClient('the client is not a headless app');
    const ref = oidc.params![loginTransactionParameter];
    if (typeof ref !== 'string' || !ref) throw new errors.InvalidRequest(`missing required parameter '${loginTransactionParameter}'`);
    const login = await redeem(tenantId, ref, client.clientId);
    if (!login) throw new errors.InvalidGrant('login transaction is not completed, expired or already redeemed');

    // the app's slug is the resource (and `aud`): refresh resolves the same resource from the refresh token, since
    // its scope holds no `openid` (oidc-provider lib/helpers/resolve_resource.js)
    const resource = app.app_slug;
    const grant = new provider.Grant({ accountId: login.userId, clientId: client.clientId });
    grant.addOIDCScope('offline_access');
    grant.addResourceScope(resource, '');
    const grantId = await grant.save();
    oidc.entity('Grant', grant);

    // a provider session like a hosted sign-in's, so the sign-in shows on the account and console session pages and
    // revoking it there revokes this grant (sessions.service.ts); session-tracking.ts describes it
    const SessionClass = provider.Session as unknown as new (payload: Record<string, unknown>) => InstanceType<typeof provider.Session>;
    const session = new SessionClass({ accountId: login.userId, loginTs: login.authTime, amr: login.amr, ...(login.acr ? { acr: login.acr } : {}) });
    // the session's uid is its `sid` for this client: the access token names the session the account and console
    // session pages list (and revoke) under that same id
    const sid = session.uid as string;
    session.sidFor(client.clientId, sid);
    session.grantIdFor(client.clientId, grantId);
    await session.save(options.sessionTtl);

    const rt = new provider.RefreshToken({
      accountId: login.userId, acr: login.acr ?? undefined, amr: login.amr, authTime: login.authTime, client, grantId,
      gty: loginTransactionGrantType, resource, rotations: 0, scope: 'offline_access', sessionUid: session.uid, sid, expiresWithSession: false,
    });
    // the sign-in its access tokens carry, now and on every later refresh (sign-in-claims.ts)
    oidc.entity('RefreshToken', rt);

    const at = new provider.AccessToken({ accountId: login.userId, client, grantId, gty: loginTransactionGrantType, scope: '', sessionUid: session.uid, sid, expiresWithSession: false });
    const ResourceServerClass = (provider as unknown as { ResourceServer: ResourceServerCtor }).ResourceServer;
    (at as unknown as { resourceServer: unknown }).resourceServer = new ResourceServerClass(resource, options.resourceInfo(resource, client));
    oidc.entity('AccessToken', at);
    const accessToken = await at.save();
    const refreshToken = await rt.save();

    ctx.set('Cache-Control', 'no-store');
    ctx.body = { access_token: accessToken, expires_in: at.expiration, token_type: at.tokenType, refresh_token: refreshToken, scope: 'offline_access' };
  };
}

/**
 * The extraTokenClaims that name the session of a login transaction in its access tokens, the first one and every one
 * minted by refreshing: `sid`, the session's uid, so whoami can tell in which session the user signed in without a
 * lookup. How and when they signed in (`amr`, `acr`, `auth_time`) comes from the refresh token above, as for every
 * user's token (sign-in-claims.ts).
 */
export function loginClaims(_ctx: KoaContextWithOIDC, token: unknown): Record<string, unknown> | undefined {
  const issued = token as { kind?: string; gty?: string; sid?: string };
  if (issued.kind !== 'AccessToken' || !issued.gty?.split(' ').includes(loginTransactionGrantType)) return undefined;
  return issued.sid ? { sid: issued.sid } : undefined;
}
