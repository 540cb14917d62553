// Secrets never logged (issue #16, rules for both APIs): a server logging at its most verbose level is driven through
// the backend OTP API (send, verify, refresh, logout, a wrong code) and the REST auth API (password login, a wrong
// password, refresh, logout, an email code sign-in); its log then holds none of the app secret, the codes, the
// password or the tokens — though it does hold the requests.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { cliJson, createTenant, createUser } from '../support/fixtures.js';
import { outbox, uniqueEmail } from '../support/email-flows.js';
import { useTessera } from '../support/use-tessera.js';

interface Tokens { access_token: string; refresh_token: string }

describe('the JSON sign-in APIs log no secret', () => {
  const server = useTessera({ LOG_LEVEL: 'trace' });
  let slug: string;
  let issuer: string;

  const json = (url: string, body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  async function codeFor(to: string): Promise<string> {
    for (let i = 0; i < 100; i++) {
      const found = (await outbox(issuer)).find((e) => e.to === to && e.code);
      if (found) return found.code!;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`no code for ${to}`);
  }

  before(async () => {
    ({ slug, issuer } = await createTenant(server));
    await cliJson(server, ['tenant', 'settings', '--tenant', slug, '--set', JSON.stringify({ signIn: { methods: { emailOtp: true } }, headless: { restApi: true } })]);
  });

  it('drives both APIs, then finds the requests in the log but none of the secrets', async () => {
    const secrets: Array<[string, string]> = [];
    const app = await cliJson<{ app_id: string; app_secret: string }>(server, ['app', 'create', '--tenant', slug, '--name', 'Logs', '--slug', 'logs-app']);
    secrets.push(['app_secret', app.app_secret]);
    const creds = { app_id: app.app_id, app_secret: app.app_secret };

    // the backend OTP API
    const email = uniqueEmail('logs');
    const sent = (await (await json(`${server.url}/auth/send-otp`, { ...creds, email })).json()) as { otp_request_id: string };
    const code = await codeFor(email);
    secrets.push(['otp', code]);
    assert.equal((await json(`${server.url}/auth/verify-otp`, { ...creds, otp_request_id: sent.otp_request_id, otp: code === '000000' ? '111111' : '000000' })).status, 400);
    const verified = await json(`${server.url}/auth/verify-otp`, { ...creds, otp_request_id: sent.otp_request_id, otp: code });
    assert.equal(verified.status, 200, await verified.clone().text());
    const otpTokens = (await verified.json()) as Tokens;
    const rotated = (await (await json(`${server.url}/auth/refresh`, { ...creds, refresh_token: otpTokens.refresh_token })).json()) as Tokens;
    assert.equal((await json(`${server.url}/auth/logout`, { ...creds, refresh_token: rotated.refresh_token })).status, 204);
    assert.equal((await fetch(`${server.url}/auth/me`, { headers: { authorization: `Bearer ${otpTokens.access_token}` } })).status, 200);
    secrets.push(['OTP API access token', otpTokens.access_token], ['OTP API refresh token', otpTokens.refresh_token], ['rotated refresh token', rotated.refresh_token]);

    // the REST auth API
    const user = await createUser(server, slug);
    secrets.push(['password', user.password]);
    assert.equal((await json(`${issuer}/v1/auth/login`, { email: user.email, password: `${user.password}-wrong` })).status, 401);
    const login = await json(`${issuer}/v1/auth/login`, { email: user.email, password: user.password });
    assert.equal(login.status, 200, await login.clone().text());
    const restTokens = (await login.json()) as Tokens;
    const restRotated = (await (await json(`${issuer}/v1/auth/refresh`, { refresh_token: restTokens.refresh_token })).json()) as Tokens;
    assert.equal((await fetch(`${issuer}/v1/whoami`, { headers: { authorization: `Bearer ${restRotated.access_token}` } })).status, 200);
    assert.equal((await json(`${issuer}/v1/auth/logout`, { refresh_token: restRotated.refresh_token })).status, 204);
    secrets.push(['REST access token', restTokens.access_token], ['REST refresh token', restTokens.refresh_token], ['REST rotated refresh token', restRotated.refresh_token]);
    const otpEmail = user.email;
    const asked = await json(`${issuer}/v1/auth/otp`, { email: otpEmail });
    assert.equal(asked.status, 202, await asked.clone().text());
    const restCode = await codeFor(otpEmail);
    secrets.push(['REST code', restCode]);
    const codeLogin = await json(`${issuer}/v1/auth/otp/verify`, { email: otpEmail, code: restCode });
    assert.equal(codeLogin.status, 200, await codeLogin.clone().text());
    const codeTokens = (await codeLogin.json()) as Tokens;
    secrets.push(['REST code sign-in refresh token', codeTokens.refresh_token]);

    const log = server.output();
    assert.match(log, /\/auth\/verify-otp/, 'requests are logged at this level');
    assert.match(log, /\/v1\/auth\/login/);
    for (const [what, secret] of secrets) {
      assert.ok(!log.includes(secret), `the log holds the ${what}: ${log.split('\n').find((line) => line.includes(secret))}`);
    }
  });
});
