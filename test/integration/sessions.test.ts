// Sessions (issue #6): a user signed in on two devices sees both on /account/sessions — browser and OS from the
// User-Agent, IP, how they signed in, roles — and signs one out. That session's refresh token dies at once, the
// other keeps working, and the client registered for back-channel logout receives a logout token for it.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import * as jose from 'jose';
import { Browser, type Page } from '../support/browser.js';
import { createClient, createTenant, createUser } from '../support/fixtures.js';
import { asPage, visibleText } from '../support/hosted-pages.js';
import { discover, oidc, refusal, signInOffline } from '../support/relying-party.js';
import { waitForAudit } from '../support/email-flows.js';
import { useTessera } from '../support/use-tessera.js';

const firefoxOnLinux = 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0';
const safariOnIphone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1';

/** an RP's back-channel logout endpoint: keeps every logout_token posted to it */
async function startLogoutReceiver(): Promise<{ url: string; tokens: string[]; close(): Promise<void> }> {
  const tokens: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      const token = new URLSearchParams(body).get('logout_token');
      if (req.method === 'POST' && token) tokens.push(token);
      res.writeHead(token ? 200 : 400).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/backchannel-logout`, tokens, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const sessionIds = (page: Page) => [...page.html.matchAll(/data-session="([^"]+)"/g)].map((m) => m[1]!);

describe('sessions: a user sees and signs out their sessions', () => {
  const server = useTessera();
  let receiver: Awaited<ReturnType<typeof startLogoutReceiver>>;
  before(async () => {
    receiver = await startLogoutReceiver();
  });
  after(() => receiver?.close());

  it('lists each device, signs one out: its refresh token dies, back-channel logout is sent, the other session lives', async () => {
    const tenant = await createTenant(server);
    const user = await createUser(server, tenant.slug);
    const app = await createClient(server, tenant.slug, ['--scope', 'openid offline_access', '--backchannel-logout-uri', receiver.url]);
    const config = await discover(tenant.issuer, app.client_id, app.client_secret!);
    const laptop = new Browser({ 'user-agent': firefoxOnLinux });
    const phone = new Browser({ 'user-agent': safariOnIphone });
    const onLaptop = await signInOffline(config, user, { browser: laptop });
    const onPhone = await signInOffline(config, user, { browser: phone });

    const sessionsUrl = `${server.url}/t/${tenant.slug}/account/sessions`;
    const list = asPage(await laptop.navigate(sessionsUrl), 'the sessions page');
    assert.equal(list.status, 200);
    const text = visibleText(list.html);
    assert.match(text, /Firefox 140 on Linux · this browser/);
    assert.match(text, /Safari 18 on iOS/);
    assert.equal((text.match(/127\.0\.0\.1 · signed in with password/g) ?? []).length, 2);
    const ids = sessionIds(list);
    assert.equal(ids.length, 2);
    const phoneSession = ids.find((id) => !new RegExp(`data-session="${id}">\\s*<span><strong>Firefox`).test(list.html))!;

    const after = asPage(await laptop.submit(list, `/${phoneSession}/revoke`, {}), 'the sessions page');
    assert.match(visibleText(after.html), /That session was signed out\./);
    assert.deepEqual(sessionIds(after).length, 1);

    assert.equal((await refusal(oidc.refreshTokenGrant(config, onPhone.refresh_token!))).error, 'invalid_grant');
    const refreshed = await oidc.refreshTokenGrant(config, onLaptop.refresh_token!);
    assert.ok(refreshed.access_token);

    assert.equal(receiver.tokens.length, 1);
    const jwks = jose.createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
    const { payload } = await jose.jwtVerify(receiver.tokens[0]!, jwks, { issuer: tenant.issuer, audience: app.client_id, typ: 'logout+jwt' });
    assert.equal(payload.sub, user.id);
    assert.ok(typeof payload.sid === 'string' && payload.sid.length > 0);
    assert.deepEqual(payload.events, { 'http://schemas.openid.net/event/backchannel-logout': {} });
    assert.equal(payload.nonce, undefined);

    const audited = await waitForAudit(server.env.DATABASE_URL!, tenant.slug, 'session.revoked');
    assert.deepEqual([audited[0]!.actor, audited[0]!.subject, audited[0]!.data.session], [user.id, user.id, phoneSession]);
  });

  it('signs out every other session at once; forms need the CSRF token; a stranger\'s session id is not found', async () => {
    const tenant = await createTenant(server);
    const user = await createUser(server, tenant.slug);
    const app = await createClient(server, tenant.slug, ['--scope', 'openid offline_access']);
    const config = await discover(tenant.issuer, app.client_id, app.client_secret!);
    const here = new Browser({ 'user-agent': firefoxOnLinux });
    await signInOffline(config, user, { browser: here });
    const others = await Promise.all([1, 2].map(() => signInOffline(config, user, { browser: new Browser({ 'user-agent': safariOnIphone }) })));

    const sessionsUrl = `${server.url}/t/${tenant.slug}/account/sessions`;
    const list = asPage(await here.navigate(sessionsUrl), 'the sessions page');
    assert.equal(sessionIds(list).length, 3);

    const forged = await here.fetch(`${sessionsUrl}/others/revoke`, {
      method: 'POST', body: new URLSearchParams({ _csrf: 'forged' }), headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url },
    });
    assert.equal(forged.status, 403);
    await forged.body?.cancel();
    assert.equal(sessionIds(asPage(await here.navigate(sessionsUrl), 'the sessions page')).length, 3);

    const csrf = /name="_csrf" value="([^"]+)"/.exec(list.html)![1]!;
    const revokeUnknown = await here.fetch(`${sessionsUrl}/not-a-session/revoke`, {
      method: 'POST', body: new URLSearchParams({ _csrf: csrf }), headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url },
    });
    assert.equal(revokeUnknown.status, 303);
    const gone = asPage(await here.navigate(new URL(revokeUnknown.headers.get('location')!, sessionsUrl)), 'the sessions page');
    assert.match(visibleText(gone.html), /That session had already ended\./);

    const done = asPage(await here.submit(gone, '/others/revoke', {}), 'the sessions page');
    assert.match(visibleText(done.html), /Every other session was signed out\./);
    assert.equal(sessionIds(done).length, 1);
    assert.match(visibleText(done.html), /this browser/);
    for (const tokens of others) assert.equal((await refusal(oidc.refreshTokenGrant(config, tokens.refresh_token!))).error, 'invalid_grant');

    const signedOut = asPage(await here.submit(done, `/${sessionIds(done)[0]}/revoke`, {}), 'the account page');
    assert.equal(signedOut.status, 401, 'signing out this browser\'s own session leaves it signed out');
  });
});
