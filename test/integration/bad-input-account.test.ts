// Hostile input at the signed-in account forms (issue #13: "every hosted form"): signed in, with a valid CSRF token so
// that what is sent really reaches the handler — passkey rename, remove and add; authenticator-app set-up and
// removal; new recovery codes; trusted-browser and session revocation; linking and unlinking an upstream account.
// NUL bytes, strings past any sensible length, repeated fields, arrays and objects where a string is expected, bytes
// that are not UTF-8, prototype keys, hostile ids in the path. Never a 500 or a stack trace: our page or a redirect to
// it; nothing stored that should not be.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Browser, formsOf } from '../support/browser.js';
import { assertSafe } from '../support/bad-input.js';
import { createUser } from '../support/fixtures.js';
import { query } from '../support/email-flows.js';
import { createFederatedTenant, type FederatedTenant } from '../support/federation-flows.js';
import { asPage, visibleText } from '../support/hosted-pages.js';
import { enrolTotp, signInToAccount } from '../support/mfa-flows.js';
import { useTessera } from '../support/use-tessera.js';

/** a field's hostile values as they arrive in a form body (already URL-encoded); `status` when only one answer fits */
const hostileValues = (field: string): Array<[label: string, body: string, status?: number[]]> => [
  ['NUL', `${field}=a%00b`, [400]],
  ['only a NUL', `${field}=%00`, [400]],
  ['NUL in the name of a field', `${field}%00=a`, [400]],
  ['15,000 characters', `${field}=${'a'.repeat(15_000)}`],
  // refused by size: 413 from the form parser, 400 from the passkey form's own (larger) limit on its credential
  ['past the form limit', `${field}=${'a'.repeat(20_000)}`, [400, 413]],
  ['repeated', `${field}=a&${field}=b`],
  ['an array', `${field}[]=a&${field}[]=b`],
  ['an object', `${field}[x]=a&${field}[y][z]=b`],
  ['not UTF-8', `${field}=%FF%FE%C0%80`],
  ['a lone surrogate', `${field}=%ED%A0%80`],
  ['control characters only', `${field}=%01%02%1F%7F`],
  ['a prototype key', `__proto__=x&${field}=a`],
  ['a prototype path', `__proto__[${field}]=x&constructor[prototype][admin]=1&${field}=a`],
  ['a number past any range', `${field}=1e400`],
  ['empty', `${field}=`],
  ['missing', ''],
];

const unknownId = '00000000-0000-4000-8000-000000000000';
/** where the `sso` connection's sign-in starts (nothing listens there: linking only redirects to it) */
const upstream = 'http://127.0.0.1:9/';

/** ids no row has, as they arrive in a path */
const hostileIds: Array<[label: string, id: string]> = [
  ['NUL', '%00'], ['not UTF-8', '%FF%FE'], ['overlong', 'a'.repeat(5000)], ['a prototype key', '__proto__'],
  ['SQL', "'%20OR%201=1--"], ['a UUID no row has', unknownId], ['a number past 64 bits', '99999999999999999999'],
];

describe('hostile input at the signed-in account forms', () => {
  const server = useTessera();
  let tenant: FederatedTenant;
  let user: Awaited<ReturnType<typeof createUser>>;
  const browser = new Browser();
  let csrf: string;
  let passkeyId: string;
  let totpId: string;

  const rows = <T>(sql: string, params: unknown[] = []) => query<T>(server.env.DATABASE_URL!, sql, params);
  const account = (path = '') => `${server.url}/t/${tenant.slug}/account${path}`;

  /** posts `body` (plus the valid CSRF token) as the signed-in browser and checks the answer is ours, never a 500 */
  async function send(path: string, body: string, what: string, status?: number[]) {
    const response = await browser.fetch(account(path), {
      method: 'POST', body: [`_csrf=${encodeURIComponent(csrf)}`, body].filter(Boolean).join('&'),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url },
    });
    const answer = { status: response.status, headers: response.headers, text: await response.text(), json: null };
    const label = `POST ${path.slice(0, 80)} ${what}`;
    assertSafe(answer, label);
    if (status) assert.ok(status.includes(answer.status), `${label} → ${answer.status}, not ${status.join(' or ')}\n${answer.text.slice(0, 300)}`);
    if (answer.status >= 300 && answer.status < 400) {
      const location = answer.headers.get('location') ?? '';
      assert.ok(location.startsWith(`/t/${tenant.slug}/`) || location.startsWith(`${server.url}/t/${tenant.slug}/`) || location.startsWith(upstream),
        `${label}: redirected to our own page or the upstream, not ${location}`);
      if (!location.startsWith(upstream)) {
        // where a browser goes next: that page too is ours, and answers
        const next = await browser.fetch(new URL(location, server.url));
        const text = await next.text();
        assertSafe({ status: next.status, headers: next.headers, text, json: null }, `${label}, then GET ${location.slice(0, 120)}`);
        assert.equal(next.status, 200, `${label}, then GET ${location} → ${next.status}\n${text.slice(0, 300)}`);
      }
    } else if (answer.status !== 413) {
      assert.match(answer.text, /^<!doctype html>/, `${label} → ${answer.status}: our page\n${answer.text.slice(0, 300)}`);
    }
    return answer;
  }

  async function sendEach(path: string, field: string) {
    for (const [label, body, status] of hostileValues(field)) await send(path, body, `${field} ${label}`, status);
  }

  before(async () => {
    tenant = await createFederatedTenant(server, () => ({ sso: { type: 'github', clientId: 'x', clientSecret: 'y', baseUrl: upstream.slice(0, -1), apiUrl: upstream.slice(0, -1) } }), { signUp: false });
    user = await createUser(server, tenant.slug);
    await signInToAccount(server, tenant.slug, browser, user);
    await enrolTotp(server, tenant.slug, browser);
    totpId = (await rows<{ id: string }>('SELECT id FROM mfa_factors WHERE user_id = $1 AND confirmed', [user.id]))[0]!.id;
    passkeyId = (await rows<{ id: string }>(
      `INSERT INTO passkeys (id, tenant_id, user_id, credential_id, public_key, device_type, name)
       SELECT gen_random_uuid(), tenant_id, id, 'cred-1', '\\x00'::bytea, 'singleDevice', 'Laptop' FROM users WHERE id = $1 RETURNING id`, [user.id]))[0]!.id;
    await rows(`INSERT INTO identities (id, tenant_id, user_id, connection, subject) SELECT gen_random_uuid(), tenant_id, id, 'sso', 'upstream-1' FROM users WHERE id = $1`, [user.id]);
    const page = asPage(await browser.navigate(account('/passkeys')), 'the passkeys page');
    csrf = formsOf(page.html).find((f) => f.fields._csrf)!.fields._csrf!;
    assert.ok(csrf, page.html.slice(0, 500));
  });

  it('passkeys: rename, remove and add', async () => {
    // after each rename, the stored name is text as typed at most: no control character, at most 64 characters
    for (const [label, body, status] of hostileValues('name')) {
      await send(`/passkeys/${passkeyId}/rename`, body, `name ${label}`, status);
      const [{ name }] = await rows<{ name: string }>('SELECT name FROM passkeys WHERE id = $1', [passkeyId]) as [{ name: string }];
      assert.ok(name && name.length <= 64 && !/[\u0000-\u001f\u007f]/.test(name), `${label}: stored ${JSON.stringify(name.slice(0, 80))}`);
    }
    await sendEach(`/passkeys/${unknownId}/remove`, 'x');
    await sendEach('/passkeys', 'credential');
    await sendEach('/passkeys', 'name');
    for (const [label, id] of hostileIds) {
      await send(`/passkeys/${id}/rename`, 'name=Phone', `id ${label}`);
      await send(`/passkeys/${id}/remove`, '', `id ${label}`);
    }
    // the one real passkey is still there, and nothing was added
    assert.deepEqual((await rows<{ id: string }>('SELECT id FROM passkeys WHERE user_id = $1', [user.id])).map((p) => p.id), [passkeyId]);
  });

  it('authenticator apps and recovery codes: set-up, removal, new codes', async () => {
    asPage(await browser.navigate(account('/security/totp')), 'the set-up page');
    await sendEach('/security/totp', 'code');
    await sendEach(`/security/totp/${unknownId}/remove`, 'x');
    await sendEach('/security/recovery-codes', 'x');
    for (const [label, id] of hostileIds) await send(`/security/totp/${id}/remove`, '', `id ${label}`);
    // removing an app that is not theirs says so, rather than that it was removed
    const gone = await send(`/security/totp/${unknownId}/remove`, '', 'an unknown id');
    assert.equal(gone.headers.get('location'), `/t/${tenant.slug}/account/security?m=removed_gone`);
    assert.match(visibleText(asPage(await browser.navigate(account('/security?m=removed_gone')), 'the security page').html), /That authenticator app had already been removed\./);
    const factors = await rows<{ id: string; confirmed: boolean }>('SELECT id, confirmed FROM mfa_factors WHERE user_id = $1 AND confirmed', [user.id]);
    assert.deepEqual(factors.map((f) => f.id), [totpId], 'no app was added by a hostile code and the real one was not removed by a hostile id');
  });

  it('trusted browsers and sessions: revoke one, all, the others', async () => {
    await sendEach('/security/devices/all/revoke', 'x');
    await sendEach('/sessions/others/revoke', 'x');
    for (const [label, id] of hostileIds) {
      await send(`/security/devices/${id}/revoke`, '', `id ${label}`);
      await send(`/sessions/${id}/revoke`, '', `id ${label}`);
    }
    const forgotten = await send(`/security/devices/${unknownId}/revoke`, '', 'an unknown id');
    assert.equal(forgotten.headers.get('location'), `/t/${tenant.slug}/account/security?m=device_gone`);
    // still signed in: no hostile id revoked the current session
    const page = asPage(await browser.navigate(account('/sessions')), 'the sessions page');
    assert.equal(page.url.pathname, `/t/${tenant.slug}/account/sessions`, page.html.slice(0, 300));
  });

  it('upstream accounts: link and unlink', async () => {
    await sendEach('/link/sso', 'x');
    await sendEach('/unlink/nope', 'x');
    for (const [label, id] of [...hostileIds, ['an unknown connection', 'nope'] as [string, string]]) {
      await send(`/link/${id}`, '', `connection ${label}`);
      await send(`/unlink/${id}`, '', `connection ${label}`);
    }
    // the notice after unlinking names only the tenant's own connections: not text from the link
    for (const c of ['__proto__', 'constructor', 'Call%20%2B1%20555%200100%20now', 'nope']) {
      const page = asPage(await browser.navigate(account(`?m=unlinked&c=${c}`)), 'the account page');
      assert.equal(page.status, 200);
      assert.doesNotMatch(visibleText(page.html), /was removed from your account|undefined|Call \+1/, c);
    }
    const identities = await rows<{ connection: string }>('SELECT connection FROM identities WHERE user_id = $1', [user.id]);
    assert.deepEqual(identities.map((i) => i.connection), ['sso'], 'the linked account is still linked');
  });
});
