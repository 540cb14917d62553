// GitHub's OAuth web flow (VENDORS.md §6): state + PKCE S256, the token exchange whose errors come back with HTTP
// 200 and an `error` key, the profile from /user and the email from /user/emails — only a primary, verified
// address counts. An organisation restriction reads /user/orgs (scope read:org).
import { defaultScopes, type ConnectionSettings } from '../../tenants/connection-settings.js';
import { text, upstreamEmail, UpstreamError, upstreamFetch, upstreamJson, type Connector } from './upstream.js';

type GitHubConnection = Extract<ConnectionSettings, { type: 'github' }>;

const apiHeaders = (token: string) => ({
  Authorization: `Bearer ${token}`, Accept: 'application/vnd.github+json', 'X-GitHub-Api-Version': '2022-11-28', 'User-Agent': 'Tessera',
});
const trim = (url: string) => url.replace(/\/+$/, '');

export function githubConnector(connection: GitHubConnection, secret: string, fetchFn: typeof fetch): Connector {
  const web = trim(connection.baseUrl);
  const api = trim(connection.apiUrl);
  const scopes = [...(connection.scopes ?? defaultScopes.github), ...(connection.allowedOrganizations.length ? ['read:org'] : [])];

  async function get(path: string, token: string): Promise<unknown> {
    const response = await upstreamFetch(`${api}${path}`, { headers: apiHeaders(token) }, connection.timeoutMs, fetchFn);
    if (!response.ok) throw new UpstreamError('invalid_response', `GitHub ${path.split('?')[0]}: HTTP ${response.status}`);
    return response.json().catch(() => {
      throw new UpstreamError('invalid_response', `GitHub ${path}: not JSON`);
    });
  }

  return {
    responseMode: 'query',
    async authorizationUrl({ redirectUri, state, codeChallenge }) {
      const url = new URL(`${web}/login/oauth/authorize`);
      url.search = new URLSearchParams({
        client_id: connection.clientId, redirect_uri: redirectUri, scope: [...new Set(scopes)].join(' '), state,
        code_challenge: codeChallenge, code_challenge_method: 'S256',
      }).toString();
      return url;
    },
    async complete({ params, redirectUri, codeVerifier }) {
      const error = params.get('error');
      if (error) throw new UpstreamError('denied', error.slice(0, 64));
      const code = params.get('code');
      if (!code) throw new UpstreamError('invalid_response', 'GitHub returned no code');
      const response = await upstreamFetch(`${web}/login/oauth/access_token`, {
        method: 'POST',
        headers: { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded', 'User-Agent': 'Tessera' },
        body: new URLSearchParams({ client_id: connection.clientId, client_secret: secret, code, redirect_uri: redirectUri, code_verifier: codeVerifier }),
      }, connection.timeoutMs, fetchFn);
      const answer = await upstreamJson(response, 'GitHub token');
      // errors arrive with HTTP 200: the `error` key decides
      if (typeof answer.error === 'string' || typeof answer.access_token !== 'string') {
        throw new UpstreamError('invalid_response', `GitHub token: ${typeof answer.error === 'string' ? answer.error.slice(0, 64) : 'no access_token'}`);
      }
      const token = answer.access_token;
      const user = (await get('/user', token)) as { id?: unknown; login?: unknown; name?: unknown; avatar_url?: unknown };
      if (typeof user.id !== 'number' && typeof user.id !== 'string') throw new UpstreamError('invalid_response', 'GitHub /user has no id');
      const emails = (await get('/user/emails?per_page=100', token)) as Array<{ email?: unknown; primary?: unknown; verified?: unknown }>;
      const primary = Array.isArray(emails) ? emails.find((e) => e.primary === true && e.verified === true) : undefined;
      if (connection.allowedOrganizations.length) {
        const orgs = (await get('/user/orgs?per_page=100', token)) as Array<{ login?: unknown }>;
        const member = new Set((Array.isArray(orgs) ? orgs : []).map((o) => String(o.login).toLowerCase()));
        if (!connection.allowedOrganizations.some((org) => member.has(org.toLowerCase()))) {
          throw new UpstreamError('not_allowed', 'the GitHub account is in none of the allowed organisations');
        }
      }
      const email = upstreamEmail(primary?.email);
      return {
        subject: String(user.id), email, emailVerified: !!email,
        name: text(user.name) ?? text(user.login), picture: text(user.avatar_url, 2048), issuer: api,
      };
    },
  };
}
