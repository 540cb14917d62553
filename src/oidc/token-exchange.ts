// Token exchange (RFC 8693) at the token endpoint, for a tenant that switched it on (`grants.tokenExchange`) and a
// client registered for the grant: a service holding a user's access token gets one for another of the tenant's
// APIs. Delegation by default — the new token says who acts for the user in `act` (§4.1), nesting any `act` the
// subject token already had; impersonation (no `act`) only for clients the tenant names. The new token's scopes never
// exceed the subject token's nor the client's for the target API. Minted by oidc-provider's own models (Grant,
// AccessToken as an RFC 9068 JWT), so introspection and revocation treat it like any other; the audit log records
// each exchange (protocol-audit.ts). The subject token may also be a user's token of another environment of the same
// tenant (issue #19): the exchange is then a switch of environment, allowed only where the user may enter.
import { errors, type Client, type KoaContextWithOIDC, type ResourceServer } from 'oidc-provider';
import { jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { RevokedAccessTokens } from './revoked-access-tokens.js';

export const tokenExchangeGrantType = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const accessTokenType = 'urn:ietf:params:oauth:token-type:access_token';
export const tokenExchangeParameters = ['subject_token', 'subject_token_type', 'actor_token', 'actor_token_type', 'resource', 'audience', 'scope', 'requested_token_type'];

type ResourceServerCtor = new (identifier: string, info: ResourceServer) => unknown;
type Act = { sub: string; act?: Act };

export interface TokenExchangeOptions {
  tenantId: string;
  issuer: string;
  keys: JWTVerifyGetKey;
  revoked: RevokedAccessTokens;
  /** the tenant's API a token may be issued for, with the scopes this client may get there (resource-servers.ts) */
  resourceInfo(resource: string, client: Client): ResourceServer;
  defaultResource: string | null;
  /** clients that may impersonate (no `act`) when they send no actor_token */
  impersonators: readonly string[];
  /**
   * Issue #19: another environment of the same tenant, by its issuer, whose user access tokens this environment takes
   * as subject_token (switching environments through OAuth); null for any other issuer
   */
  sibling?(issuer: string): Promise<{ tenantId: string; keys: JWTVerifyGetKey; environment: string } | null>;
  /** whether the user (enabled, holding what entering needs) may enter this environment */
  mayEnter?(userId: string): Promise<boolean>;
}

/** the extraTokenClaims that add the `act` of the exchange being answered to the token it mints */
export function actClaim(ctx: KoaContextWithOIDC, token: unknown): { act: Act } | undefined {
  const act = (ctx?.state as { tokenExchangeAct?: Act } | undefined)?.tokenExchangeAct;
  return act && (token as { gty?: string }).gty === tokenExchangeGrantType ? { act } : undefined;
}

/** what the audit entry of an exchange says (protocol-audit.ts reads it from ctx.state) */
export interface ExchangeRecord { mode: 'delegation' | 'impersonation'; subject: string; actor: string | null; resource: string; scope: string; /** the environment the subject token came from, when another (issue #19) */ fromEnvironment?: string }

interface Presented { sub: string; clientId: string; scope: string[]; act?: Act; isUser: boolean; fromEnvironment?: string }

/** the issuer a JWT names, unverified (only to pick the keys it is then verified with) */
function issuerOf(token: string): string | undefined {
  try {
    const iss = (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { iss?: unknown }).iss;
    return typeof iss === 'string' ? iss : undefined;
  } catch {
    return undefined;
  }
}

/** an unexpired, unrevoked access token of this tenant: an RFC 9068 JWT or an opaque one */
async function presented(ctx: KoaContextWithOIDC, token: string, options: TokenExchangeOptions, name: string, fromSibling = false): Promise<Presented> {
  if (token.split('.').length === 3) {
    try {
      const iss = issuerOf(token);
      const sibling = fromSibling && iss !== options.issuer && iss && options.sibling ? await options.sibling(iss) : null;
      const { payload } = await jwtVerify(token, sibling?.keys ?? options.keys, { issuer: sibling ? iss : options.issuer, typ: 'at+jwt' });
      if (typeof payload.sub !== 'string' || typeof payload.client_id !== 'string') throw new Error('not an access token');
      if (typeof payload.jti === 'string' && (await options.revoked.isRevoked(sibling?.tenantId ?? options.tenantId, payload.jti))) throw new Error('revoked');
      return {
        sub: payload.sub, clientId: payload.client_id, scope: String(payload.scope ?? '').split(' ').filter(Boolean),
        act: payload.act as Act | undefined, isUser: payload.sub !== payload.client_id, ...(sibling ? { fromEnvironment: sibling.environment } : {}),
      };
    } catch {
      throw new errors.InvalidGrant(`${name} is not a valid access token of this tenant`);
    }
  }
  const found = await ctx.oidc.provider.AccessToken.find(token);
  if (!found || found.isExpired) throw new errors.InvalidGrant(`${name} is not a valid access token of this tenant`);
  const extra = (found as unknown as { extra?: { act?: Act } }).extra;
  return { sub: found.accountId ?? found.clientId!, clientId: found.clientId!, scope: (found.scope ?? '').split(' ').filter(Boolean), act: extra?.act, isUser: Boolean(found.accountId) };
}

function single(ctx: KoaContextWithOIDC, name: string): string | undefined {
  const value = (ctx.oidc.params as Record<string, unknown>)[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !value) throw new errors.InvalidRequest(`${name} must be one non-empty value`);
  return value;
}

export function tokenExchangeGrant(options: TokenExchangeOptions) {
  return async function tokenExchangeHandler(ctx: KoaContextWithOIDC): Promise<void> {
    const { oidc } = ctx;
    const { provider } = oidc;
    const client = oidc.client!;
    const subjectToken = single(ctx, 'subject_token');
    if (!subjectToken) throw new errors.InvalidRequest("missing required parameter 'subject_token'");
    if (single(ctx, 'subject_token_type') !== accessTokenType) throw new errors.InvalidRequest(`subject_token_type must be ${accessTokenType}`);
    const requestedType = single(ctx, 'requested_token_type');
    if (requestedType && requestedType !== accessTokenType) throw new errors.InvalidRequest(`requested_token_type must be ${accessTokenType}`);
    const actorToken = single(ctx, 'actor_token');
    if (actorToken && single(ctx, 'actor_token_type') !== accessTokenType) throw new errors.InvalidRequest(`actor_token_type must be ${accessTokenType}`);
    if (!actorToken && single(ctx, 'actor_token_type')) throw new errors.InvalidRequest('actor_token_type without actor_token');

    const subject = await presented(ctx, subjectToken, options, 'subject_token', true);
    if (!subject.isUser) throw new errors.InvalidGrant('subject_token must stand for a user');
    // switching environments: only into one the user may enter (issue #19)
    if (subject.fromEnvironment !== undefined && !(await options.mayEnter?.(subject.sub))) {
      throw new errors.InvalidGrant('the user of subject_token may not enter this environment');
    }
    let actor: string | null = null;
    if (actorToken) {
      const acting = await presented(ctx, actorToken, options, 'actor_token');
      // the actor token proves who acts; it must be the requesting client's own
      if (acting.clientId !== client.clientId) throw new errors.InvalidGrant('actor_token was not issued to this client');
      actor = acting.sub;
    }
    const impersonation = !actorToken && options.impersonators.includes(client.clientId);
    const act: Act | undefined = impersonation ? undefined : { sub: actor ?? client.clientId, ...(subject.act ? { act: subject.act } : {}) };

    const resource = single(ctx, 'resource') ?? single(ctx, 'audience') ?? options.defaultResource;
    if (!resource) throw new errors.InvalidTarget('name the API with resource');
    const info = options.resourceInfo(resource, client);
    const allowed = String(info.scope ?? '').split(' ').filter((s) => s && subject.scope.includes(s));
    const requested = single(ctx, 'scope')?.split(' ').filter(Boolean);
    const refused = requested?.find((s) => !allowed.includes(s));
    if (refused) throw new errors.InvalidScope(`scope ${refused} exceeds the subject token's or this client's`, refused);
    const scope = (requested ?? allowed).join(' ');

    const grant = new provider.Grant({ accountId: subject.sub, clientId: client.clientId });
    grant.addResourceScope(resource, scope);
    const grantId = await grant.save();
    // oidc-provider fills `extra` from extraTokenClaims when it saves the token: `act` joins there (actClaim)
    (ctx.state as { tokenExchangeAct?: Act }).tokenExchangeAct = act;
    const at = new provider.AccessToken({ accountId: subject.sub, client, grantId, gty: tokenExchangeGrantType, scope } as never);
    const ResourceServerClass = (provider as unknown as { ResourceServer: ResourceServerCtor }).ResourceServer;
    (at as unknown as { resourceServer: unknown }).resourceServer = new ResourceServerClass(resource, info);
    oidc.entity('AccessToken', at);
    const accessToken = await at.save();

    const record: ExchangeRecord = { mode: impersonation ? 'impersonation' : 'delegation', subject: subject.sub, actor: act?.sub ?? null, resource, scope, ...(subject.fromEnvironment ? { fromEnvironment: subject.fromEnvironment } : {}) };
    (ctx.state as { tokenExchange?: ExchangeRecord }).tokenExchange = record;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { access_token: accessToken, issued_token_type: accessTokenType, token_type: 'Bearer', expires_in: at.expiration, ...(scope ? { scope } : {}) };
  };
}
