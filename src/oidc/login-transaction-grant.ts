// The token endpoint's grant for a completed login transaction (issue #16): a JSON front door that signed a user in
// (the backend OTP API) exchanges the transaction for tokens here, so they are minted by oidc-provider's own models
// (Grant, AccessToken as an RFC 9068 JWT, RefreshToken) exactly like every other token of the tenant: the refresh
// token rotates, is replay-checked, revoked and introspected at the standard endpoints. The client must be a
// headless app authenticated at the token endpoint, and the transaction must have been started by it; each
// transaction is redeemed once (the redeem callback is a compare-and-set on the transaction record).
import { randomUUID } from 'node:crypto';
import { errors, type Client, type KoaContextWithOIDC, type ResourceServer } from 'oidc-provider';

export const loginTransactionGrantType = 'urn:tessera:params:oauth:grant-type:login-transaction';
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

/**
 * extraTokenClaims that put the `amr` (RFC 8176) of a headless sign-in into its access tokens, at issue and at every
 * refresh: read from the refresh token the answer is about, which carries the login's amr. So a resource server (and
 * the REST API's whoami and step-up) sees how the user signed in.
 */
export function withLoginAmr<T extends (ctx: KoaContextWithOIDC, token: never) => Promise<Record<string, unknown> | undefined>>(claims: T) {
  return async (ctx: KoaContextWithOIDC, token: never): Promise<Record<string, unknown> | undefined> => {
    const base = await claims(ctx, token);
    const gty = (token as { gty?: string; kind?: string }).gty;
    if ((token as { kind?: string }).kind !== 'AccessToken' || !gty?.split(' ').includes(loginTransactionGrantType)) return base;
    const amr = (ctx?.oidc?.entities as { RefreshToken?: { amr?: string[] } } | undefined)?.RefreshToken?.amr;
    return Array.isArray(amr) && amr.length ? { ...base, amr } : base;
  };
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
    const sid = randomUUID();
    session.sidFor(client.clientId, sid);
    session.grantIdFor(client.clientId, grantId);
    await session.save(options.sessionTtl);

    const rt = new provider.RefreshToken({
      accountId: login.userId, acr: login.acr ?? undefined, amr: login.amr, authTime: login.authTime, client, grantId,
      gty: loginTransactionGrantType, resource, rotations: 0, scope: 'offline_access', sessionUid: session.uid, sid, expiresWithSession: false,
    });
    oidc.entity('RefreshToken', rt);
    // before the access token is saved: withLoginAmr reads the sign-in's amr from it
    const at = new provider.AccessToken({ accountId: login.userId, client, grantId, gty: loginTransactionGrantType, scope: '' });
    const ResourceServerClass = (provider as unknown as { ResourceServer: ResourceServerCtor }).ResourceServer;
    (at as unknown as { resourceServer: unknown }).resourceServer = new ResourceServerClass(resource, options.resourceInfo(resource, client));
    oidc.entity('AccessToken', at);
    const accessToken = await at.save();

    const refreshToken = await rt.save();

    ctx.set('Cache-Control', 'no-store');
    ctx.body = { access_token: accessToken, expires_in: at.expiration, token_type: at.tokenType, refresh_token: refreshToken, scope: 'offline_access' };
  };
}
