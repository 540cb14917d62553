// The console's user tools (issue #14): create a user, see that one is locked out and unlock them, each a CSRF-checked
// form for users:write, audited with the operator as actor; user lists page through the service's cursor.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Browser } from '../support/browser.js';
import { createTenant, createUser } from '../support/fixtures.js';
import { asCallback, asPage, atCallback, createRealm, loginPage, visibleText } from '../support/hosted-pages.js';
import { query, waitForAudit } from '../support/email-flows.js';
import { enrolTotp, signInToAccount } from '../support/mfa-flows.js';
import { asConsolePage, createOperator, csrfOf, post, signInToConsole } from '../support/admin-console.js';
import { useTessera } from '../support/use-tessera.js';

describe('admin console: users', () => {
  const server = useTessera();

  it('creates a user who can then sign in, answers bad input in the form, and audits the write', async () => {
    const owner = await createOperator(server, 'owner');
    const realm = await createRealm(server);
    const base = `/admin/tenants/${realm.slug}/users`;
    const { browser } = await signInToConsole(server, owner, base);
    const list = asConsolePage(await browser.navigate(`${server.url}${base}`), 'the users page');
    assert.match(visibleText(list.html), /Create a user/);

    const bad = asConsolePage(await post(browser, server, base, { _csrf: csrfOf(list), email: 'not an email', password: '' }), 'the form again');
    assert.equal(bad.status, 400);
    assert.match(bad.html, /id="new-email"[^>]*value="not an email"/, 'what was typed stays');
    const weak = asConsolePage(await post(browser, server, base, { _csrf: csrfOf(list), email: 'weak@example.com', password: 'short' }), 'the form again');
    assert.equal(weak.status, 400);

    const email = `made-${Date.now()}@example.com`;
    const password = 'A long enough passphrase 42';
    const made = asConsolePage(await post(browser, server, base, { _csrf: csrfOf(list), email, name: 'Made Here', password, verified: 'on' }), 'the user page');
    assert.match(made.url.pathname, new RegExp(`^${base}/[0-9a-f-]{36}$`));
    assert.match(visibleText(made.html), new RegExp(`User ${email} was created\\.`));
    assert.match(visibleText(made.html), /\(verified\)/);
    const id = made.url.pathname.split('/').pop()!;
    const [entry] = await waitForAudit(server.env.DATABASE_URL!, realm.slug, 'admin.user_created');
    assert.deepEqual([entry!.actor, entry!.subject], [`operator:${owner.id}`, id]);
    assert.doesNotMatch(JSON.stringify(entry!.data), /passphrase/);

    const taken = asConsolePage(await post(browser, server, base, { _csrf: csrfOf(list), email, password }), 'the form again');
    assert.equal(taken.status, 400);
    assert.match(visibleText(taken.html), /already exists/);

    // the new user signs in with what the operator set
    const user = new Browser();
    const { page } = await loginPage(user, realm.firstParty);
    asCallback(await user.submit(page, '/login', { email, password }, atCallback), 'the sign-in');
  });

  it('refuses creating or unlocking without users:write or without the CSRF token', async () => {
    const viewer = await createOperator(server, 'viewer');
    const tenant = await createTenant(server);
    const target = await createUser(server, tenant.slug);
    const base = `/admin/tenants/${tenant.slug}/users`;
    const { browser } = await signInToConsole(server, viewer, base);
    const list = asConsolePage(await browser.navigate(`${server.url}${base}`), 'the users page');
    assert.doesNotMatch(visibleText(list.html), /Create a user/);
    const created = asConsolePage(await post(browser, server, base, { _csrf: csrfOf(list), email: 'x@example.com' }), 'the refusal');
    assert.equal(created.status, 403);
    const unlocked = asConsolePage(await post(browser, server, `${base}/${target.id}/unlock`, { _csrf: csrfOf(list) }), 'the refusal');
    assert.equal(unlocked.status, 403);

    const owner = await createOperator(server, 'owner');
    const ownerBrowser = (await signInToConsole(server, owner, base)).browser;
    const noToken = asConsolePage(await post(ownerBrowser, server, base, { email: 'y@example.com' }), 'the refusal');
    assert.equal(noToken.status, 403);
    const noTokenUnlock = asConsolePage(await post(ownerBrowser, server, `${base}/${target.id}/unlock`, {}), 'the refusal');
    assert.equal(noTokenUnlock.status, 403);
  });

  it('shows a user locked out by failed passwords and unlocks them at once, audited', async () => {
    const owner = await createOperator(server, 'owner');
    const realm = await createRealm(server);
    const base = `/admin/tenants/${realm.slug}/users/${realm.user.id}`;
    const attacker = new Browser();
    let { page } = await loginPage(attacker, realm.firstParty);
    for (let i = 0; i < 10; i++) page = asPage(await attacker.submit(page, '/login', { email: realm.user.email, password: `wrong-${i}` }), 'the login page');
    const locked = asPage(await attacker.submit(page, '/login', { email: realm.user.email, password: realm.user.password }), 'the lockout');
    assert.equal(locked.status, 429, 'the right password is refused while locked');

    const { browser } = await signInToConsole(server, owner, base);
    const before = asConsolePage(await browser.navigate(`${server.url}${base}`), 'the user page');
    assert.match(visibleText(before.html), /locked out \(password\)/);
    const after = asConsolePage(await post(browser, server, `${base}/unlock`, { _csrf: csrfOf(before) }), 'the user page');
    assert.match(visibleText(after.html), /may try to sign in again now/);
    assert.doesNotMatch(visibleText(after.html), /locked out/);
    const [entry] = await waitForAudit(server.env.DATABASE_URL!, realm.slug, 'admin.user_unlocked');
    assert.deepEqual([entry!.actor, entry!.subject], [`operator:${owner.id}`, realm.user.id]);
    assert.deepEqual((entry!.data as { was_locked: string[] }).was_locked, ['password']);

    const user = new Browser();
    const fresh = await loginPage(user, realm.firstParty);
    asCallback(await user.submit(fresh.page, '/login', { email: realm.user.email, password: realm.user.password }, atCallback), 'the sign-in after the unlock');
  });

  it('pages through users with the service\'s cursor', async () => {
    const owner = await createOperator(server, 'owner');
    const tenant = await createTenant(server);
    const base = `/admin/tenants/${tenant.slug}/users`;
    const { browser, page } = await signInToConsole(server, owner, base);
    for (let i = 0; i < 27; i++) asConsolePage(await post(browser, server, base, { _csrf: csrfOf(page), email: `p${String(i).padStart(2, '0')}@example.com` }), 'a user page');
    const first = asConsolePage(await browser.navigate(`${server.url}${base}`), 'the users page');
    assert.equal((first.html.match(/class="user-row"/g) ?? []).length, 25);
    const next = /href="(\?cursor=[^"]+)" rel="next"/.exec(first.html)?.[1];
    assert.ok(next, 'a next-page link');
    const second = asConsolePage(await browser.navigate(`${server.url}${base}${next!.replace(/&amp;/g, '&')}`), 'the second page');
    assert.equal((second.html.match(/class="user-row"/g) ?? []).length, 2);
    assert.match(second.html, /First page/);
  });

  it('names each of a user\'s factors once: "Authenticator app", not "Authenticator app Authenticator app"', async () => {
    const owner = await createOperator(server, 'owner');
    const realm = await createRealm(server);
    // the user sets up an app on their security page (it is called "Authenticator app") and has two passkeys, one
    // named like its kind and one named by them
    const person = new Browser();
    await signInToAccount(server, realm.slug, person, realm.user);
    await enrolTotp(server, realm.slug, person);
    for (const [credential, name] of [['cred-a', 'Passkey'], ['cred-b', 'Work laptop']]) {
      await query(server.env.DATABASE_URL!, `INSERT INTO passkeys (id, tenant_id, user_id, credential_id, public_key, device_type, name)
        SELECT gen_random_uuid(), tenant_id, id, $2, '\\x00'::bytea, 'singleDevice', $3 FROM users WHERE id = $1`, [realm.user.id, credential, name]);
    }
    const path = `/admin/tenants/${realm.slug}/users/${realm.user.id}`;
    const { browser } = await signInToConsole(server, owner, path);
    const page = asConsolePage(await browser.navigate(`${server.url}${path}`), 'the user page');
    const factors = [...page.html.matchAll(/<li class="factor">([\s\S]*?)<\/li>/g)].map((m) => visibleText(m[1]!).replace(/\s*\(since [^)]*\)$/, ''));
    assert.deepEqual(factors.sort(), ['Authenticator app', 'Passkey', 'Passkey “Work laptop”']);
  });
});
