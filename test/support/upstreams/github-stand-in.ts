// A GitHub OAuth app as VENDORS §6 documents it, web host and API host on one server (Tessera is configured with
// baseUrl = apiUrl = url): /login/oauth/authorize auto-approves the queued account; /login/oauth/access_token
// takes a form or JSON body, negotiates JSON or form answers by Accept, and reports errors with HTTP 200;
// /user, /user/emails and /user/orgs need a User-Agent and honour the token's scopes.
import { randomBytes } from 'node:crypto';
import {
  basicCredentials, formReply, jsonReply, mediaType, paramsOf, redirectReply, Refused, startUpstreamServer, textReply,
  type UpstreamCall, type UpstreamRejection, type UpstreamReply,
} from './upstream-http.js';
import { createOAuthApps, PKCE_CHALLENGE, pkceMatches, randomToken } from './oauth-apps.js';

export interface GitHubAccount {
  id: number; login: string; name?: string | null; email?: string | null; avatar_url?: string;
  emails: Array<{ email: string; primary: boolean; verified: boolean; visibility: 'public' | 'private' | null }>; orgs?: string[];
}

export type GitHubTokenError = 'bad_verification_code' | 'incorrect_client_credentials' | 'redirect_uri_mismatch' | 'unverified_user_email';

export interface GitHubStandIn {
  readonly url: string;
  registerClient(options: { redirectUris: string[] }): { clientId: string; clientSecret: string };
  /** queue: the next /login/oauth/authorize approves as this account */
  signInAs(account: GitHubAccount): void;
  /** queue: the next /login/oauth/authorize redirects with this error (default access_denied), its description and the state */
  denyNext(error?: string): void;
  /** the next well-formed token request is answered with this error (HTTP 200, like every token error) */
  failNextToken(error: GitHubTokenError): void;
  /** query parameters of every authorization request */
  readonly authorizations: Array<Record<string, string>>;
  readonly rejections: UpstreamRejection[];
  close(): Promise<void>;
}

// https://docs.github.com/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps (an unknown scope is a typo)
const SCOPES = new Set(['repo', 'repo:status', 'repo_deployment', 'public_repo', 'repo:invite', 'security_events', 'admin:repo_hook',
  'write:repo_hook', 'read:repo_hook', 'admin:org', 'write:org', 'read:org', 'admin:public_key', 'write:public_key', 'read:public_key',
  'admin:org_hook', 'gist', 'notifications', 'user', 'read:user', 'user:email', 'user:follow', 'project', 'read:project', 'delete_repo',
  'write:packages', 'read:packages', 'delete:packages', 'admin:gpg_key', 'write:gpg_key', 'read:gpg_key', 'codespace', 'workflow']);
const TOKEN_PARAMS = ['client_id', 'client_secret', 'code', 'redirect_uri', 'code_verifier', 'grant_type', 'repository_id'];
const TROUBLESHOOTING = '/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/';
const TOKEN_ERRORS: Record<GitHubTokenError, string> = {
  bad_verification_code: 'The code passed is incorrect or expired.',
  incorrect_client_credentials: 'The client_id and/or client_secret passed are incorrect.',
  redirect_uri_mismatch: 'The redirect_uri MUST match the registered callback URL for this application.',
  unverified_user_email: 'The user must have a verified primary email.',
};
const BAD_CREDENTIALS = { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' };
const NO_USER_AGENT = {
  message: 'Request forbidden by administrative rules. Please make sure your request has a User-Agent header '
    + '(https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required).',
};

export async function startGitHubStandIn(): Promise<GitHubStandIn> {
  const apps = createOAuthApps<GitHubAccount>();
  const rejections: UpstreamRejection[] = [];
  const authorizations: Array<Record<string, string>> = [];
  const tokenFailures: GitHubTokenError[] = [];
  let url = '';

  const server = await startUpstreamServer((call) => {
    if (call.path === '/login/oauth/authorize') return authorize(call);
    if (call.path === '/login/oauth/access_token') return accessToken(call);
    if (call.path === '/user' || call.path === '/user/emails' || call.path === '/user/orgs') return api(call);
    throw new Refused(`no such endpoint ${call.method} ${call.path}`, jsonReply(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' }));
  }, rejections);
  url = server.url;

  function authorize(call: UpstreamCall): UpstreamReply {
    // Parameters GitHub does not list (response_type, nonce…) are ignored there, so they are here.
    const { params, repeated } = paramsOf(call.query);
    authorizations.push(params);
    const refuse = (reason: string) => new Refused(reason, textReply(400, reason));
    if (call.method !== 'GET') throw refuse(`${call.method} instead of GET`);
    if (repeated) throw refuse(`parameter ${repeated} given twice`);
    const app = apps.app(params.client_id);
    if (!app) throw new Refused(`unknown client_id ${params.client_id ?? '(none)'}`, textReply(404, 'Not Found'));
    // redirect_uri is optional (the app's callback URL then); when given it must be one we registered
    if (params.redirect_uri !== undefined && !app.redirectUris.includes(params.redirect_uri)) {
      throw refuse(`redirect_uri ${params.redirect_uri} is not registered`);
    }
    const redirectUri = params.redirect_uri ?? app.redirectUris[0]!;
    const scope = params.scope ?? '';
    if (scope !== '' && !/^[^\s,]+( [^\s,]+)*$/.test(scope)) throw refuse(`scope "${scope}" is not space-delimited`);
    const scopes = scope === '' ? [] : scope.split(' ');
    const unknown = scopes.find((s) => !SCOPES.has(s));
    if (unknown) throw refuse(`unknown scope ${unknown}`);
    const challenge = params.code_challenge ?? null;
    if (challenge !== null || params.code_challenge_method !== undefined) {
      if (params.code_challenge_method !== 'S256') throw refuse('code_challenge_method must be S256, the only method GitHub supports');
      if (challenge === null || !PKCE_CHALLENGE.test(challenge)) throw refuse('code_challenge is not a base64url SHA-256');
    }
    const next = apps.takeNext();
    if (!next) throw new Refused('no account queued', textReply(400, 'no account queued'));
    if (next.kind === 'deny') {
      return redirectReply(redirectUri, {
        error: next.error,
        error_description: 'The user has denied your application access.',
        error_uri: 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#access-denied',
        state: params.state,
      });
    }
    const code = apps.issueCode(randomBytes(10).toString('hex'), {
      clientId: app.clientId, redirectUri: params.redirect_uri ?? null, scopes, account: next.account, codeChallenge: challenge,
    });
    return redirectReply(redirectUri, { code, state: params.state });
  }

  function accessToken(call: UpstreamCall): UpstreamReply {
    const wantsJson = String(call.headers.accept ?? '').includes('application/json');
    const answer = (value: Record<string, string>) => (wantsJson ? jsonReply(200, value) : formReply(200, value));
    const tokenError = (error: GitHubTokenError) => answer({
      error, error_description: TOKEN_ERRORS[error], error_uri: `${TROUBLESHOOTING}#${error.replace(/_/g, '-')}`,
    });
    if (call.method !== 'POST') throw new Refused(`${call.method} instead of POST`, jsonReply(404, { error: 'Not Found' }));
    if (call.query.size > 0) throw new Refused('parameters belong in the body', tokenError('incorrect_client_credentials'));
    if (basicCredentials(call.headers.authorization)) {
      throw new Refused('client credentials belong in the body (client_id, client_secret), VENDORS §6', tokenError('incorrect_client_credentials'));
    }
    const form = readTokenBody(call);
    if (typeof form === 'string') throw new Refused(form, tokenError('bad_verification_code'));
    if (!form.client_id || !form.client_secret) throw new Refused('client_id and client_secret are required', tokenError('incorrect_client_credentials'));
    if (!form.code) throw new Refused('code is required', tokenError('bad_verification_code'));
    if (form.grant_type !== undefined && form.grant_type !== 'authorization_code') {
      throw new Refused(`grant_type ${form.grant_type} on an OAuth app code exchange`, tokenError('bad_verification_code'));
    }
    const failure = tokenFailures.shift();
    if (failure) return tokenError(failure);
    const app = apps.app(form.client_id);
    if (!app || app.clientSecret !== form.client_secret) return tokenError('incorrect_client_credentials');
    const grant = apps.redeemCode(form.code);
    if (!grant || grant.clientId !== app.clientId) return tokenError('bad_verification_code');
    if (form.redirect_uri !== undefined && form.redirect_uri !== (grant.redirectUri ?? app.redirectUris[0])) return tokenError('redirect_uri_mismatch');
    if (grant.codeChallenge !== null && !(form.code_verifier && pkceMatches(grant.codeChallenge, form.code_verifier))) {
      return tokenError('bad_verification_code');
    }
    const token = apps.issueToken(`gho_${randomToken(36)}`, { clientId: app.clientId, scopes: grant.scopes, account: grant.account, expiresAt: Infinity });
    return answer({ access_token: token, scope: grant.scopes.join(','), token_type: 'bearer' });
  }

  function api(call: UpstreamCall): UpstreamReply {
    if (call.method !== 'GET') throw new Refused(`${call.method} on ${call.path}`, jsonReply(404, { message: 'Not Found' }));
    if (!call.headers['user-agent']) throw new Refused('no User-Agent header (GitHub requires one)', jsonReply(403, NO_USER_AGENT));
    const presented = /^(?:Bearer|token) (\S+)$/i.exec(call.headers.authorization ?? '');
    if (!presented) throw new Refused('no Authorization: Bearer <token>', jsonReply(401, BAD_CREDENTIALS));
    const grant = apps.token(presented[1]!);
    if (!grant) return jsonReply(401, BAD_CREDENTIALS);
    const has = (...scopes: string[]) => scopes.some((s) => grant.scopes.includes(s));
    const headers = { 'x-oauth-scopes': grant.scopes.join(', '), 'x-github-media-type': 'github.v3; format=json' };
    const { account } = grant;
    if (call.path === '/user') return jsonReply(200, userBody(account), headers);
    if (call.path === '/user/emails') {
      if (!has('user', 'user:email')) return jsonReply(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/users/emails#list-email-addresses-for-the-authenticated-user' });
      return page(call, account.emails, headers);
    }
    // Without read:org (or a scope that includes it) GitHub lists only public memberships; we model none.
    const orgs = has('read:org', 'write:org', 'admin:org') ? (account.orgs ?? []) : [];
    return page(call, orgs.map((login, i) => ({
      login, id: 1000 + i, node_id: `O_${Buffer.from(login).toString('base64url')}`, url: `${url}/orgs/${login}`,
      avatar_url: `https://avatars.githubusercontent.com/u/${1000 + i}?v=4`, description: null,
    })), headers);
  }

  /** per_page (default 30, at most 100) and page, with a Link header when there are more */
  function page(call: UpstreamCall, items: unknown[], headers: Record<string, string>): UpstreamReply {
    const perPage = Math.min(100, positive(call.query.get('per_page')) ?? 30);
    const number = positive(call.query.get('page')) ?? 1;
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const links: Record<string, string> = number < last ? { link: `<${url}${call.path}?per_page=${perPage}&page=${number + 1}>; rel="next", <${url}${call.path}?per_page=${perPage}&page=${last}>; rel="last"` } : {};
    return jsonReply(200, items.slice((number - 1) * perPage, number * perPage), { ...headers, ...links });
  }

  function userBody(account: GitHubAccount): Record<string, unknown> {
    return {
      login: account.login, id: account.id, node_id: `U_${Buffer.from(String(account.id)).toString('base64url')}`,
      avatar_url: account.avatar_url ?? `https://avatars.githubusercontent.com/u/${account.id}?v=4`, gravatar_id: '',
      url: `${url}/users/${account.login}`, html_url: `https://github.com/${account.login}`, type: 'User', site_admin: false,
      name: account.name ?? null, company: null, blog: '', location: null, email: account.email ?? null, hireable: null, bio: null,
      public_repos: 0, followers: 0, following: 0, created_at: '2020-01-01T00:00:00Z', updated_at: '2024-01-01T00:00:00Z',
    };
  }

  return {
    url,
    registerClient({ redirectUris }) {
      const app = apps.register({ clientId: `Ov23li${randomToken(14)}`, clientSecret: randomBytes(20).toString('hex'), redirectUris });
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

/** The token request's parameters from a form or JSON body (GitHub takes both), or why they cannot be read. */
function readTokenBody(call: UpstreamCall): Record<string, string> | string {
  const type = mediaType(call.headers);
  let entries: Array<[string, unknown]>;
  if (type === 'application/x-www-form-urlencoded') {
    const { params, repeated } = paramsOf(new URLSearchParams(call.body));
    if (repeated) return `parameter ${repeated} given twice`;
    entries = Object.entries(params);
  } else if (type === 'application/json') {
    try {
      const parsed: unknown = JSON.parse(call.body);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'JSON body is not an object';
      entries = Object.entries(parsed);
    } catch {
      return 'body is not JSON';
    }
  } else {
    return `body must be form-encoded or JSON, got ${call.headers['content-type'] ?? 'none'}`;
  }
  const unknown = entries.find(([key]) => !TOKEN_PARAMS.includes(key));
  if (unknown) return `unknown parameter ${unknown[0]}`;
  const notText = entries.find(([, value]) => typeof value !== 'string');
  if (notText) return `${notText[0]} is not a string`;
  return Object.fromEntries(entries) as Record<string, string>;
}

function positive(value: string | null): number | undefined {
  const n = Number(value);
  return value !== null && Number.isInteger(n) && n > 0 ? n : undefined;
}
