// Discord OAuth2 as VENDORS §8 documents it: /oauth2/authorize auto-approves the queued account; the token
// endpoint takes ONLY form bodies, client auth by HTTP Basic or in the body, RFC 6749 errors; /api/v10/users/@me
// returns the user object, with email and verified only when the token carries the email scope.
import {
  basicCredentials, jsonReply, mediaType, paramsOf, redirectReply, Refused, startUpstreamServer, textReply,
  type UpstreamCall, type UpstreamRejection, type UpstreamReply,
} from './upstream-http.js';
import { createOAuthApps, PKCE_CHALLENGE, pkceMatches, randomToken, type OAuthApp } from './oauth-apps.js';

export interface DiscordAccount {
  id: string; username: string; global_name?: string | null; avatar?: string | null; email?: string | null; verified?: boolean;
}

export type DiscordTokenError = 'invalid_grant' | 'invalid_client' | 'invalid_request' | 'unsupported_grant_type';

export interface DiscordStandIn {
  readonly url: string;
  registerClient(options: { redirectUris: string[] }): { clientId: string; clientSecret: string };
  /** queue: the next /oauth2/authorize approves as this account */
  signInAs(account: DiscordAccount): void;
  /** queue: the next /oauth2/authorize redirects with this error (default access_denied) and the state */
  denyNext(error?: string): void;
  /** the next well-formed token request is answered with this error (invalid_client 401, others 400) */
  failNextToken(error: DiscordTokenError): void;
  /** query parameters of every authorization request */
  readonly authorizations: Array<Record<string, string>>;
  readonly rejections: UpstreamRejection[];
  close(): Promise<void>;
}

// https://discord.com/developers/docs/topics/oauth2#shared-resources-oauth2-scopes
const SCOPES = new Set(['activities.read', 'activities.write', 'applications.builds.read', 'applications.builds.upload', 'applications.commands',
  'applications.commands.update', 'applications.commands.permissions.update', 'applications.entitlements', 'applications.store.update', 'bot',
  'connections', 'dm_channels.read', 'email', 'gdm.join', 'guilds', 'guilds.join', 'guilds.members.read', 'identify', 'messages.read',
  'openid', 'relationships.read', 'role_connections.write', 'rpc', 'rpc.activities.write', 'rpc.notifications.read', 'rpc.voice.read',
  'rpc.voice.write', 'voice', 'webhook.incoming']);
const TOKEN_PARAMS = ['grant_type', 'code', 'redirect_uri', 'refresh_token', 'client_id', 'client_secret', 'code_verifier', 'scope'];
const WEEK = 604_800;
const UNAUTHORIZED = { message: '401: Unauthorized', code: 0 };

export async function startDiscordStandIn(): Promise<DiscordStandIn> {
  const apps = createOAuthApps<DiscordAccount>();
  const refreshTokens = new Map<string, { clientId: string; scopes: string[]; account: DiscordAccount }>();
  const rejections: UpstreamRejection[] = [];
  const authorizations: Array<Record<string, string>> = [];
  const tokenFailures: DiscordTokenError[] = [];

  const server = await startUpstreamServer((call) => {
    if (call.path === '/oauth2/authorize') return authorize(call);
    if (/^\/api(\/v\d+)?\/oauth2\/token$/.test(call.path)) return token(call);
    if (/^\/api(\/v\d+)?\/users\/@me$/.test(call.path)) return me(call);
    throw new Refused(`no such endpoint ${call.method} ${call.path}`, jsonReply(404, { message: '404: Not Found', code: 0 }));
  }, rejections);

  function authorize(call: UpstreamCall): UpstreamReply {
    const { params, repeated } = paramsOf(call.query);
    authorizations.push(params);
    const refuse = (reason: string) => new Refused(reason, textReply(400, reason));
    if (call.method !== 'GET') throw refuse(`${call.method} instead of GET`);
    if (repeated) throw refuse(`parameter ${repeated} given twice`);
    if (params.response_type !== 'code') throw refuse(`response_type must be code, got ${params.response_type ?? '(none)'}`);
    const app = apps.app(params.client_id);
    if (!app) throw refuse(`unknown client_id ${params.client_id ?? '(none)'}`);
    if (params.redirect_uri !== undefined && !app.redirectUris.includes(params.redirect_uri)) throw refuse(`redirect_uri ${params.redirect_uri} is not registered`);
    const scope = params.scope ?? '';
    if (!/^\S+( \S+)*$/.test(scope)) throw refuse(`scope "${scope}" is missing or not space-delimited`);
    const scopes = scope.split(' ');
    const unknown = scopes.find((s) => !SCOPES.has(s));
    if (unknown) throw refuse(`unknown scope ${unknown}`);
    if (params.prompt !== undefined && params.prompt !== 'consent' && params.prompt !== 'none') throw refuse(`prompt must be consent or none, got ${params.prompt}`);
    // PKCE is not in Discord's docs [U]; when a client sends it anyway we hold it to S256 and check it.
    const challenge = params.code_challenge ?? null;
    if (challenge !== null && (params.code_challenge_method !== 'S256' || !PKCE_CHALLENGE.test(challenge))) throw refuse('code_challenge must be S256');
    const redirectUri = params.redirect_uri ?? app.redirectUris[0]!;
    const next = apps.takeNext();
    if (!next) throw new Refused('no account queued', textReply(400, 'no account queued'));
    if (next.kind === 'deny') {
      return redirectReply(redirectUri, { error: next.error, error_description: 'The resource owner or authorization server denied the request', state: params.state });
    }
    const code = apps.issueCode(randomToken(30), {
      clientId: app.clientId, redirectUri: params.redirect_uri ?? null, scopes, account: next.account, codeChallenge: challenge,
    });
    return redirectReply(redirectUri, { code, state: params.state });
  }

  function token(call: UpstreamCall): UpstreamReply {
    const oauthError = (error: DiscordTokenError, description?: string) =>
      jsonReply(error === 'invalid_client' ? 401 : 400, description ? { error, error_description: description } : { error });
    if (call.method !== 'POST') throw new Refused(`${call.method} instead of POST`, jsonReply(405, { message: '405: Method Not Allowed', code: 0 }));
    if (mediaType(call.headers) !== 'application/x-www-form-urlencoded') {
      throw new Refused(`the token endpoint takes only application/x-www-form-urlencoded, got ${call.headers['content-type'] ?? 'none'}`,
        oauthError('unsupported_grant_type', 'Unsupported grant type'));
    }
    const { params: form, repeated } = paramsOf(new URLSearchParams(call.body));
    if (repeated) throw new Refused(`parameter ${repeated} given twice`, oauthError('invalid_request'));
    const unknown = Object.keys(form).find((key) => !TOKEN_PARAMS.includes(key));
    if (unknown) throw new Refused(`unknown parameter ${unknown}`, oauthError('invalid_request'));
    const basic = basicCredentials(call.headers.authorization);
    if (basic && form.client_secret !== undefined) throw new Refused('client authenticated twice (Basic and body), RFC 6749 §2.3', oauthError('invalid_request'));
    const credentials = basic ?? (form.client_id !== undefined && form.client_secret !== undefined ? { id: form.client_id, secret: form.client_secret } : null);
    if (!credentials) throw new Refused('no client authentication (Basic or client_id + client_secret in the body)', oauthError('invalid_client'));
    if (form.grant_type !== 'authorization_code' && form.grant_type !== 'refresh_token') {
      throw new Refused(`grant_type ${form.grant_type ?? '(none)'}`, oauthError('unsupported_grant_type'));
    }
    if (form.grant_type === 'authorization_code' && (!form.code || !form.redirect_uri)) throw new Refused('code and redirect_uri are required', oauthError('invalid_request'));
    if (form.grant_type === 'refresh_token' && !form.refresh_token) throw new Refused('refresh_token is required', oauthError('invalid_request'));
    const failure = tokenFailures.shift();
    if (failure) return oauthError(failure);
    const app = apps.app(credentials.id);
    if (!app || app.clientSecret !== credentials.secret) return oauthError('invalid_client');
    if (form.grant_type === 'refresh_token') {
      const grant = refreshTokens.get(form.refresh_token!);
      refreshTokens.delete(form.refresh_token!);
      if (!grant || grant.clientId !== app.clientId) return oauthError('invalid_grant', 'Invalid "refresh_token" in request.');
      return issue(app, grant.scopes, grant.account);
    }
    const grant = apps.redeemCode(form.code!);
    if (!grant || grant.clientId !== app.clientId) return oauthError('invalid_grant', 'Invalid "code" in request.');
    if (form.redirect_uri !== (grant.redirectUri ?? app.redirectUris[0])) return oauthError('invalid_grant', 'Invalid "redirect_uri" in request.');
    if (grant.codeChallenge !== null && !(form.code_verifier && pkceMatches(grant.codeChallenge, form.code_verifier))) {
      return oauthError('invalid_grant', 'Invalid "code_verifier" in request.');
    }
    return issue(app, grant.scopes, grant.account);
  }

  function issue(app: OAuthApp, scopes: string[], account: DiscordAccount): UpstreamReply {
    const accessToken = apps.issueToken(randomToken(30), { clientId: app.clientId, scopes, account, expiresAt: Date.now() + WEEK * 1000 });
    const refreshToken = randomToken(30);
    refreshTokens.set(refreshToken, { clientId: app.clientId, scopes, account });
    return jsonReply(200, { access_token: accessToken, token_type: 'Bearer', expires_in: WEEK, refresh_token: refreshToken, scope: scopes.join(' ') });
  }

  function me(call: UpstreamCall): UpstreamReply {
    if (call.method !== 'GET') throw new Refused(`${call.method} on ${call.path}`, jsonReply(405, { message: '405: Method Not Allowed', code: 0 }));
    const presented = /^Bearer (\S+)$/.exec(call.headers.authorization ?? '');
    if (!presented) throw new Refused('no Authorization: Bearer <token>', jsonReply(401, UNAUTHORIZED));
    const grant = apps.token(presented[1]!);
    if (!grant || !grant.scopes.includes('identify')) return jsonReply(401, UNAUTHORIZED);
    const { account } = grant;
    return jsonReply(200, {
      id: account.id, username: account.username, discriminator: '0', global_name: account.global_name ?? null, avatar: account.avatar ?? null,
      public_flags: 0, flags: 0, banner: null, accent_color: null, avatar_decoration_data: null, banner_color: null, mfa_enabled: false,
      locale: 'en-US', premium_type: 0,
      ...(grant.scopes.includes('email') ? { email: account.email ?? null, verified: account.verified ?? false } : {}),
    });
  }

  return {
    url: server.url,
    registerClient({ redirectUris }) {
      const snowflake = String(BigInt(Date.now() - 1_420_070_400_000) << 22n | BigInt(Math.floor(Math.random() * 4_194_304)));
      const app = apps.register({ clientId: snowflake, clientSecret: randomToken(32), redirectUris });
      return { clientId: app.clientId, clientSecret: app.clientSecret };
    },
    signInAs: (account) => apps.signInAs(account),
    denyNext: (error = 'access_denied') => apps.denyNext(error),
    failNextToken: (error) => void tokenFailures.push(error),
    authorizations,
    rejections,
    close: () => server.close(),
  };
}
