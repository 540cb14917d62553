// The admin console over HTTP (issue #6): sign-in through the system tenant, what each operator role may do,
// CSRF and CSP, forms that answer bad input with a message, and an audit entry naming the operator for every write.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Browser } from '../support/browser.js';
import { createClient, createTenant, createUser, uniqueSlug } from '../support/fixtures.js';
import { visibleText } from '../support/hosted-pages.js';
import { query, redisContents, waitForAudit } from '../support/email-flows.js';
import { discover, oidc, refusal, signInOffline } from '../support/relying-party.js';
import { asConsolePage, createOperator, csrfOf, post, signInToConsole } from '../support/admin-console.js';
import { useTessera } from '../support/use-tessera.js';

describe('admin console', () => {
  const server = useTessera();

  it('sends a visitor without a console session to the system tenant\'s sign-in', async () => {
    const browser = new Browser();
    const first = await browser.fetch(`${server.url}/admin/tenants`);
    assert.equal(first.status, 303);
    assert.equal(new URL(first.headers.get('location')!, server.url).pathname, '/admin/sign-in');
    const second = await browser.fetch(new URL(first.headers.get('location')!, server.url));
    const auth = new URL(second.headers.get('location')!);
    assert.equal(auth.pathname, '/t/system/auth');
    assert.equal(auth.searchParams.get('client_id'), 'tessera-admin');
    assert.equal(auth.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(auth.searchParams.get('redirect_uri'), `${server.url}/admin/callback`);
    // a write without a session changes nothing and goes the same way
    const write = await browser.fetch(`${server.url}/admin/tenants`, { method: 'POST', body: new URLSearchParams({ slug: uniqueSlug() }), headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url } });
    assert.equal(write.status, 303);
  });

  it('keeps neither the sign-in state, the PKCE verifier nor the console session id usable in Redis', async () => {
    const owner = await createOperator(server, 'owner');
    const browser = new Browser();
    const started = await browser.fetch(`${server.url}/admin/sign-in`);
    const auth = new URL(started.headers.get('location')!);
    const state = auth.searchParams.get('state')!;
    assert.ok(state.length >= 32);
    const scan = async (secret: string, what: string) => {
      const kv = await redisContents(server.env.REDIS_URL!, server.env.REDIS_PREFIX!);
      assert.ok(kv.size > 0, 'the scan sees the server\'s keys');
      for (const [key, value] of kv) {
        assert.ok(!key.includes(secret) && !value.includes(secret), `Redis key ${key} holds ${what}`);
        assert.doesNotMatch(value, /verifier/, `Redis key ${key} holds the PKCE verifier in the clear`);
      }
    };
    await scan(state, 'the sign-in state');
    const login = asConsolePage(await browser.navigate(auth), 'the system login page');
    const page = asConsolePage(await browser.submit(login, '/login', { email: owner.email, password: owner.password }), 'a console page');
    assert.match(page.url.pathname, /^\/admin/);
    const session = browser.cookieValue(`${server.url}/admin`, 'tessera.admin');
    assert.match(session ?? '', /^[\w-]{32}$/);
    await scan(session!, 'the console session id');
    assert.equal(asConsolePage(await browser.navigate(`${server.url}/admin/tenants`), 'the tenants page').status, 200, 'the session works');
  });

  it('signs an owner in, back to the page asked for, with a strict CSP and no framing', async () => {
    const owner = await createOperator(server, 'owner');
    const { page } = await signInToConsole(server, owner, '/admin/tenants');
    assert.equal(page.status, 200);
    assert.equal(page.url.pathname, '/admin/tenants');
    assert.match(visibleText(page.html), new RegExp(owner.email.replace('.', '\\.')));
    const csp = page.headers.get('content-security-policy')!;
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    assert.doesNotMatch(page.html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
    const cookie = page.headers.get('set-cookie');
    assert.equal(cookie, null, 'the session cookie was set on the callback, not on every page');
  });

  it('refuses a system user without an operator role with a friendly page', async () => {
    const nobody = await createOperator(server, null);
    const { page } = await signInToConsole(server, nobody);
    assert.equal(page.status, 403);
    assert.match(visibleText(page.html), /holds no operator role/);
    const [entry] = await waitForAudit(server.env.DATABASE_URL!, 'system', 'admin.sign_in_refused');
    assert.deepEqual([entry!.actor, entry!.outcome], [nobody.id, 'failure']);
  });

  it('lets a viewer read but not write', async () => {
    const viewer = await createOperator(server, 'viewer');
    const { browser, page } = await signInToConsole(server, viewer);
    assert.equal(page.url.pathname, '/admin/tenants', '/admin opens on the tenant list');
    assert.doesNotMatch(page.html, /Create tenant/);
    const slug = uniqueSlug();
    const refused = asConsolePage(await post(browser, server, '/admin/tenants', { _csrf: csrfOf(page), slug }), 'the refusal');
    assert.equal(refused.status, 403);
    assert.match(visibleText(refused.html), /tenants:write is needed/);
    const tenants = asConsolePage(await browser.navigate(`${server.url}/admin/tenants`), 'the tenant list');
    assert.doesNotMatch(tenants.html, new RegExp(slug));
  });

  it('refuses a form without its CSRF token or from another origin', async () => {
    const owner = await createOperator(server, 'owner');
    const { browser, page } = await signInToConsole(server, owner, '/admin/tenants');
    const missing = asConsolePage(await post(browser, server, '/admin/tenants', { slug: uniqueSlug() }), 'the refusal');
    assert.equal(missing.status, 403);
    const foreign = asConsolePage(await browser.navigate(`${server.url}/admin/tenants`, undefined, {
      method: 'POST', body: new URLSearchParams({ _csrf: csrfOf(page), slug: uniqueSlug() }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
    }), 'the refusal');
    assert.equal(foreign.status, 403);
    // another session's token does not do either
    const other = await signInToConsole(server, await createOperator(server, 'owner'), '/admin/tenants');
    const crossed = asConsolePage(await post(browser, server, '/admin/tenants', { _csrf: csrfOf(other.page), slug: uniqueSlug() }), 'the refusal');
    assert.equal(crossed.status, 403);
  });

  it('creates a tenant, answers bad input with the form and a message, and audits the write with the operator as actor', async () => {
    const owner = await createOperator(server, 'owner');
    const { browser, page } = await signInToConsole(server, owner, '/admin/tenants');
    const bad = asConsolePage(await post(browser, server, '/admin/tenants', { _csrf: csrfOf(page), slug: 'Not A Slug!', name: 'x' }), 'the form again');
    assert.equal(bad.status, 400);
    assert.match(visibleText(bad.html), /A tenant slug is 2 to 40 lower-case letters/);
    const slug = uniqueSlug();
    const created = asConsolePage(await post(browser, server, '/admin/tenants', { _csrf: csrfOf(page), slug, name: 'Made in console' }), 'the tenant page');
    assert.equal(created.url.pathname, `/admin/tenants/${slug}`);
    assert.match(visibleText(created.html), new RegExp(`Tenant ${slug} was created\\.`));
    const [entry] = await waitForAudit(server.env.DATABASE_URL!, slug, 'admin.tenant_created');
    assert.equal(entry!.actor, `operator:${owner.id}`);
  });

  it('edits roles, APIs, policies, branding and keys, each write audited, each bad input shown in its form', async () => {
    const owner = await createOperator(server, 'owner');
    const tenant = await createTenant(server);
    const base = `/admin/tenants/${tenant.slug}`;
    const { browser } = await signInToConsole(server, owner, `${base}/apis`);
    const apis = asConsolePage(await browser.navigate(`${server.url}${base}/apis`), 'the APIs page');
    const csrf = csrfOf(apis);

    const badApi = asConsolePage(await post(browser, server, `${base}/apis`, { _csrf: csrf, identifier: 'not a uri', name: 'Orders' }), 'the API form');
    assert.equal(badApi.status, 400);
    assert.match(visibleText(badApi.html), /absolute URI/);
    const api = asConsolePage(await post(browser, server, `${base}/apis`, { _csrf: csrf, identifier: 'https://orders.example', name: 'Orders', permissions: 'read:orders Read them\nwrite:orders' }), 'the API page');
    assert.match(visibleText(api.html), /API Orders was created\./);

    const role = asConsolePage(await post(browser, server, `${base}/roles`, { _csrf: csrf, name: 'clerk', description: 'Front desk' }), 'the role page');
    assert.equal(role.url.pathname, `${base}/roles/clerk`);
    const saved = asConsolePage(await post(browser, server, `${base}/roles/clerk`, { _csrf: csrf, description: 'Front desk', permission: ['https://orders.example read:orders'] }), 'the role page');
    assert.match(saved.html, /value="https:\/\/orders.example read:orders" checked/);
    assert.doesNotMatch(saved.html, /value="https:\/\/orders.example write:orders" checked/);
    const duplicate = asConsolePage(await post(browser, server, `${base}/roles`, { _csrf: csrf, name: 'clerk' }), 'the roles form');
    assert.equal(duplicate.status, 400);
    assert.match(visibleText(duplicate.html), /already exists/);

    const badTtl = asConsolePage(await post(browser, server, `${base}/policies/tokens`, { _csrf: csrf, accessToken: '-5', idToken: '3600', refreshToken: '1209600', authorizationCode: '60', session: '1209600', interaction: '3600' }), 'the policies form');
    assert.equal(badTtl.status, 400);
    assert.match(visibleText(badTtl.html), /ttl\.accessToken/);
    const shortMin = asConsolePage(await post(browser, server, `${base}/policies/password`, { _csrf: csrf, passwordMinLength: '4' }), 'the policies form');
    assert.equal(shortMin.status, 400);
    assert.match(visibleText(shortMin.html), /signIn\.passwordMinLength/);
    asConsolePage(await post(browser, server, `${base}/policies/password`, { _csrf: csrf, passwordMinLength: '12' }), 'the policies page');
    asConsolePage(await post(browser, server, `${base}/policies/mfa`, { _csrf: csrf, policy: 'required', 'factor-totp': 'on', graceDays: '3', trustedDeviceDays: '0' }), 'the policies page');
    asConsolePage(await post(browser, server, `${base}/policies/sign-in`, { _csrf: csrf, password: 'on', emailOtp: 'on' }), 'the policies page');
    const rsFapi = asConsolePage(await post(browser, server, `${base}/policies/protocol`, { _csrf: csrf, 'protocol-par-enabled': 'on', 'protocol-dpop-enabled': 'on', 'protocol-fapi2-enabled': 'on' }), 'the protocol form');
    assert.equal(rsFapi.status, 400);
    assert.match(visibleText(rsFapi.html), /FAPI 2\.0 forbids RS256/);
    const profiles = asConsolePage(await post(browser, server, `${base}/policies/protocol`, { _csrf: csrf, 'protocol-par-enabled': 'on', 'protocol-par-required': 'on', 'protocol-dpop-enabled': 'on', 'protocol-jar-enabled': 'on', 'protocol-formPost-enabled': 'on', 'protocol-clientAuth-privateKeyJwt': 'on' }), 'the policies page');
    assert.match(profiles.html, /name="protocol-par-required" checked/);
    assert.match(profiles.html, /name="protocol-jar-enabled" checked/);
    assert.doesNotMatch(profiles.html, /name="protocol-dpop-requireNonce" checked/);
    assert.match(profiles.html, /name="protocol-formPost-enabled" checked/);
    assert.match(profiles.html, /name="protocol-clientAuth-privateKeyJwt" checked/);
    assert.match(profiles.html, /name="protocol-clientAuth-clientSecretJwt"(?! checked)/);

    const badColour = asConsolePage(await post(browser, server, `${base}/branding`, { _csrf: csrf, primaryColor: 'red', logoUrl: '' }), 'the branding form');
    assert.equal(badColour.status, 400);
    assert.match(visibleText(badColour.html), /primaryColor/);
    asConsolePage(await post(browser, server, `${base}/branding`, { _csrf: csrf, primaryColor: '#aa3300', logoUrl: '' }), 'the branding page');
    const css = await (await browser.fetch(`${server.url}/t/${tenant.slug}/branding.css`)).text();
    assert.match(css, /--brand:#aa3300/);

    const badKey = asConsolePage(await post(browser, server, `${base}/keys/rotate`, { _csrf: csrf, alg: 'HS256' }), 'the keys form');
    assert.equal(badKey.status, 400);
    asConsolePage(await post(browser, server, `${base}/keys/rotate`, { _csrf: csrf, alg: 'ES256' }), 'the keys page');

    for (const type of ['admin.api_created', 'admin.role_created', 'admin.role_updated', 'admin.password_policy_updated', 'admin.mfa_policy_updated', 'admin.sign_in_methods_updated', 'admin.protocol_profiles_updated', 'admin.branding_updated', 'admin.key_rotated']) {
      const [entry] = await waitForAudit(server.env.DATABASE_URL!, tenant.slug, type);
      assert.equal(entry!.actor, `operator:${owner.id}`, type);
    }
    const audit = asConsolePage(await browser.navigate(`${server.url}${base}/audit?type=admin.&who=${encodeURIComponent(`operator:${owner.id}`)}`), 'the audit page');
    assert.equal((audit.html.match(/class="audit-row"/g) ?? []).length, 9);
    const badFilter = asConsolePage(await browser.navigate(`${server.url}${base}/audit?from=yesterday`), 'the audit page');
    assert.equal(badFilter.status, 400);
  });

  it('previews unsaved branding with the login template, framable only by the console', async () => {
    const owner = await createOperator(server, 'owner');
    const tenant = await createTenant(server);
    const base = `/admin/tenants/${tenant.slug}/branding`;
    const { browser } = await signInToConsole(server, owner, base);
    const page = asConsolePage(await browser.navigate(`${server.url}${base}`), 'the branding page');
    assert.match(page.headers.get('content-security-policy')!, /frame-src 'self'/);
    const preview = asConsolePage(await post(browser, server, `${base}/preview`, { _csrf: csrfOf(page), primaryColor: '#112233', logoUrl: 'https://cdn.example/logo.png' }), 'the preview');
    assert.equal(preview.status, 200);
    assert.match(preview.html, /<h1>Sign in<\/h1>/);
    assert.match(preview.html, /src="https:\/\/cdn.example\/logo.png"/);
    assert.equal(preview.headers.get('x-frame-options'), 'SAMEORIGIN');
    assert.match(preview.headers.get('content-security-policy')!, /frame-ancestors 'self'/);
    assert.match(preview.headers.get('content-security-policy')!, /form-action 'none'/);
    const cssUrl = /href="([^"]*preview\.css[^"]*)"/.exec(preview.html)![1]!.replace(/&amp;/g, '&');
    assert.match(await (await browser.fetch(new URL(cssUrl, server.url))).text(), /--brand:#112233/);
    // nothing was saved
    assert.doesNotMatch(await (await browser.fetch(`${server.url}/t/${tenant.slug}/branding.css`)).text(), /#112233/);
  });

  it('signs out of the console and of the system tenant', async () => {
    const owner = await createOperator(server, 'owner');
    const { browser, page } = await signInToConsole(server, owner, '/admin/tenants');
    const out = await browser.fetch(`${server.url}/admin/sign-out`, { method: 'POST', body: new URLSearchParams({ _csrf: csrfOf(page) }), headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url } });
    assert.equal(out.status, 303);
    const end = new URL(out.headers.get('location')!, server.url);
    assert.equal(end.pathname, '/t/system/session/end');
    const again = await browser.fetch(`${server.url}/admin/tenants`);
    assert.equal(again.status, 303, 'the console session is gone');
  });

  it('limits an operator with `tenants` in their metadata to those tenants', async () => {
    const [mine, theirs] = [await createTenant(server), await createTenant(server)];
    const admin = await createOperator(server, 'admin');
    await query(server.env.DATABASE_URL!, 'UPDATE users SET metadata = $2::jsonb WHERE id = $1::uuid', [admin.id, JSON.stringify({ tenants: [mine.slug] })]);
    const { browser, page } = await signInToConsole(server, admin, '/admin/tenants');
    assert.match(page.html, new RegExp(`/admin/tenants/${mine.slug}"`));
    assert.doesNotMatch(page.html, new RegExp(theirs.slug));
    assert.doesNotMatch(page.html, /Create tenant/);
    const other = asConsolePage(await browser.navigate(`${server.url}/admin/tenants/${theirs.slug}/users`), 'the refusal');
    assert.equal(other.status, 403);
    assert.match(visibleText(other.html), /may not manage that tenant/);
    const write = asConsolePage(await post(browser, server, `/admin/tenants/${theirs.slug}/roles`, { _csrf: csrfOf(page), name: 'sneaky' }), 'the refusal');
    assert.equal(write.status, 403);
    assert.equal(asConsolePage(await browser.navigate(`${server.url}/admin/tenants/${mine.slug}/users`), 'the users page').status, 200);
  });

  it('finds a user, assigns a role, revokes their session (the refresh token dies) and disables them', async () => {
    const admin = await createOperator(server, 'admin');
    const tenant = await createTenant(server);
    const user = await createUser(server, tenant.slug, { name: 'Ada Lovelace' });
    await createUser(server, tenant.slug, { name: 'Someone Else' });
    const app = await createClient(server, tenant.slug, ['--scope', 'openid offline_access']);
    const config = await discover(tenant.issuer, app.client_id, app.client_secret!);
    const tokens = await signInOffline(config, user);

    const base = `/admin/tenants/${tenant.slug}/users`;
    const { browser } = await signInToConsole(server, admin, base);
    const found = asConsolePage(await browser.navigate(`${server.url}${base}?q=lovelace`), 'the search results');
    assert.equal((found.html.match(/class="user-row"/g) ?? []).length, 1);
    const detail = asConsolePage(await browser.navigate(`${server.url}${base}/${user.id}`), 'the user page');
    assert.match(visibleText(detail.html), /Ada Lovelace/);
    assert.equal((detail.html.match(/class="session-row"/g) ?? []).length, 1);

    const assigned = asConsolePage(await browser.submit(detail, `/${user.id}/roles`, { role: 'editor' }), 'the user page');
    assert.match(visibleText(assigned.html), /Role editor assigned\./);
    assert.match(assigned.html, /class="user-role">editor/);
    const ghost = asConsolePage(await browser.submit(assigned, `/${user.id}/roles`, { role: 'no-such-role' }), 'the user page');
    assert.match(visibleText(ghost.html), /No role .+no-such-role.+ in this tenant/);

    const sid = /\/sessions\/([^/"]+)\/revoke/.exec(ghost.html)![1]!;
    const revoked = asConsolePage(await browser.submit(ghost, `/sessions/${sid}/revoke`, {}), 'the user page');
    assert.match(visibleText(revoked.html), /The session was ended/);
    assert.equal((revoked.html.match(/class="session-row"/g) ?? []).length, 0);
    assert.equal((await refusal(oidc.refreshTokenGrant(config, tokens.refresh_token!))).error, 'invalid_grant');

    const disabled = asConsolePage(await browser.submit(revoked, `/${user.id}/disable`, {}), 'the user page');
    assert.match(visibleText(disabled.html), /Status disabled/);
    for (const type of ['admin.role_assigned', 'admin.session_revoked', 'admin.user_disabled']) {
      const [entry] = await waitForAudit(server.env.DATABASE_URL!, tenant.slug, type);
      assert.deepEqual([entry!.actor, entry!.subject], [`operator:${admin.id}`, user.id], type);
    }
    const missing = asConsolePage(await browser.navigate(`${server.url}${base}/not-a-user`), 'the not-found page');
    assert.equal(missing.status, 404);
  });

  it('creates a client and shows its secret once, rotates and deletes it', async () => {
    const admin = await createOperator(server, 'admin');
    const tenant = await createTenant(server);
    const base = `/admin/tenants/${tenant.slug}/clients`;
    const { browser } = await signInToConsole(server, admin, base);
    const list = asConsolePage(await browser.navigate(`${server.url}${base}`), 'the clients page');
    const bad = asConsolePage(await browser.submit(list, base, { name: 'Shop', kind: 'web', redirectUris: 'javascript:alert(1)' }), 'the form again');
    assert.equal(bad.status, 400);
    // in words about the field, not the library's metadata names (issue #14)
    assert.match(visibleText(bad.html), /A redirect URI cannot use that kind of address/);
    assert.doesNotMatch(visibleText(bad.html), /redirect_uris/);
    const created = asConsolePage(await browser.submit(list, base, { name: 'Shop', kind: 'web', redirectUris: 'https://shop.example/cb' }), 'the new client');
    assert.equal(created.url.pathname.startsWith(`${base}/`), true, 'a redirect to the new client\'s page');
    assert.equal(created.headers.get('cache-control'), 'no-store');
    const secret = /id="secret-value">([^<]+)</.exec(created.html)![1]!;
    const clientId = /id="client-id">([^<]+)</.exec(created.html)![1]!;
    const config = await discover(tenant.issuer, clientId, secret);
    assert.ok(config.serverMetadata().issuer);
    const again = asConsolePage(await browser.navigate(`${server.url}${base}/${clientId}`), 'the client page');
    assert.doesNotMatch(again.html, new RegExp(secret));
    const rotated = asConsolePage(await browser.submit(again, '/rotate-secret', {}), 'the client page');
    const newSecret = /id="secret-value">([^<]+)</.exec(rotated.html)![1]!;
    assert.notEqual(newSecret, secret);
    const kept = asConsolePage(await browser.submit(rotated, '/delete', { confirm: '' }), 'the client page');
    assert.match(visibleText(kept.html), /Tick the box to confirm the deletion\./);
    const gone = asConsolePage(await browser.submit(kept, '/delete', { confirm: 'yes' }), 'the clients page');
    assert.match(visibleText(gone.html), /was deleted; its tokens no longer work\./);
    assert.doesNotMatch(gone.html, new RegExp(`clients/${clientId}"`));
    for (const type of ['admin.client_created', 'admin.client_secret_rotated', 'admin.client_deleted']) {
      const [entry] = await waitForAudit(server.env.DATABASE_URL!, tenant.slug, type);
      assert.equal(entry!.actor, `operator:${admin.id}`, type);
      assert.doesNotMatch(JSON.stringify(entry!.data), new RegExp(`${secret}|${newSecret}`));
    }
  });

  it('ends an operator\'s console session when their system-tenant session is revoked', async () => {
    const owner = await createOperator(server, 'owner');
    const admin = await createOperator(server, 'admin');
    const theirs = await signInToConsole(server, admin, '/admin/tenants');
    const mine = await signInToConsole(server, owner, `/admin/tenants/system/users/${admin.id}`);
    assert.equal(mine.page.status, 200);
    const revoked = asConsolePage(await mine.browser.submit(mine.page, '/sessions/revoke-all', {}), 'the operator\'s page');
    assert.match(visibleText(revoked.html), /1 session ended/);
    const after = await theirs.browser.fetch(`${server.url}/admin/tenants`);
    assert.equal(after.status, 303);
    assert.match(after.headers.get('location')!, /^\/admin\/sign-in/);
  });

  it('lets only an owner (operators:write) change the system tenant', async () => {
    const admin = await createOperator(server, 'admin');
    const { browser, page } = await signInToConsole(server, admin, '/admin/tenants/system/roles');
    assert.equal(page.status, 200, 'an admin reads the operators\' roles');
    const refused = asConsolePage(await post(browser, server, '/admin/tenants/system/roles', { _csrf: csrfOf(page), name: 'sneaky' }), 'the refusal');
    assert.equal(refused.status, 403);
  });
});
