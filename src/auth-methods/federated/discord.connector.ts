// Discord's OAuth2 code flow (VENDORS.md §8): state, a form-encoded token exchange with HTTP Basic client
// authentication, the user from /api/v10/users/@me (email and `verified` with the email scope). Discord's docs
// do not describe PKCE, so none is sent; state binds the callback to the browser.
import { defaultScopes, type ConnectionSettings } from '../../tenants/connection-settings.js';
import { text, upstreamEmail, UpstreamError, upstreamFetch, upstreamJson, type Connector } from './upstream.js';

type DiscordConnection = Extract<ConnectionSettings, { type: 'discord' }>;

export function discordConnector(connection: DiscordConnection, secret: string, fetchFn: typeof fetch): Connector {
  const base = connection.baseUrl.replace(/\/+$/, '');
  const scopes = connection.scopes ?? defaultScopes.discord;
  return {
    responseMode: 'query',
    async authorizationUrl({ redirectUri, state }) {
      const url = new URL(`${base}/oauth2/authorize`);
      url.search = new URLSearchParams({ response_type: 'code', client_id: connection.clientId, scope: scopes.join(' '), state, redirect_uri: redirectUri }).toString();
      return url;
    },
    async complete({ params, redirectUri }) {
      const error = params.get('error');
      if (error) throw new UpstreamError('denied', error.slice(0, 64));
      const code = params.get('code');
      if (!code) throw new UpstreamError('invalid_response', 'Discord returned no code');
      const basic = Buffer.from(`${encodeURIComponent(connection.clientId)}:${encodeURIComponent(secret)}`).toString('base64');
      const response = await upstreamFetch(`${base}/api/oauth2/token`, {
        method: 'POST',
        headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri }),
      }, connection.timeoutMs, fetchFn);
      const answer = await upstreamJson(response, 'Discord token');
      if (!response.ok || typeof answer.access_token !== 'string') {
        throw new UpstreamError('invalid_response', `Discord token: ${typeof answer.error === 'string' ? answer.error.slice(0, 64) : `HTTP ${response.status}`}`);
      }
      const me = await upstreamFetch(`${base}/api/v10/users/@me`, { headers: { Authorization: `Bearer ${answer.access_token}`, Accept: 'application/json' } }, connection.timeoutMs, fetchFn);
      const user = await upstreamJson(me, 'Discord /users/@me');
      if (!me.ok || typeof user.id !== 'string') throw new UpstreamError('invalid_response', `Discord /users/@me: HTTP ${me.status}`);
      const email = upstreamEmail(user.email);
      const avatar = text(user.avatar, 64);
      return {
        subject: user.id, email, emailVerified: !!email && user.verified === true,
        name: text(user.global_name) ?? text(user.username),
        picture: avatar ? `https://cdn.discordapp.com/avatars/${encodeURIComponent(user.id)}/${encodeURIComponent(avatar)}.png` : null,
        issuer: `${base}/api`,
      };
    },
  };
}
