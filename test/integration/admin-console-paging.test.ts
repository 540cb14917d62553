// Paging in the console's tables (issue #14): a tenant's clients, a user's live sessions and the audit page's
// "Older entries" each hold more rows than one page; walking the pages by their next link shows every row exactly
// once, each later page links back to the first, and the last page has no next link.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Browser, type Page } from '../support/browser.js';
import { createTenant } from '../support/fixtures.js';
import { asCallback, atCallback, createRealm, loginPage } from '../support/hosted-pages.js';
import { waitForAudit } from '../support/email-flows.js';
import { asConsolePage, createOperator, csrfOf, post, signInToConsole } from '../support/admin-console.js';
import type { TesseraProcess } from '../support/tessera-process.js';
import { useTessera } from '../support/use-tessera.js';

const unescape = (href: string) => href.replaceAll('&amp;', '&');

/**
 * Follows a table's rel="next" links from `path` until a page has none.
 * @returns the keys `rowsOf` finds on each page, page by page
 */
async function walk(server: TesseraProcess, browser: Browser, path: string, rowsOf: (page: Page) => string[]): Promise<string[][]> {
  const pages: string[][] = [];
  let url = new URL(`${server.url}${path}`);
  for (let i = 0; i < 20; i++) {
    const page = asConsolePage(await browser.navigate(url.href), `page ${i + 1}`);
    assert.equal(page.status, 200, `page ${i + 1}: ${page.html.slice(0, 300)}`);
    pages.push(rowsOf(page));
    assert.equal(/>First page<\/a>/.test(page.html), i > 0, `page ${i + 1} links back to the first page only after the first`);
    const next = /<a href="([^"]+)" rel="next">/.exec(page.html)?.[1];
    if (!next) return pages;
    url = new URL(unescape(next), url);
  }
  assert.fail('more than 20 pages');
}

function assertEachOnce(pages: string[][], expected: string[], sizes: number[]) {
  assert.deepEqual(pages.map((p) => p.length), sizes, 'rows per page');
  const seen = pages.flat();
  assert.equal(new Set(seen).size, seen.length, 'no row on two pages');
  assert.deepEqual([...seen].sort(), [...expected].sort(), 'every row seen');
}

describe('admin console: paging', () => {
  const server = useTessera();

  it('pages through a tenant\'s clients, 25 a page: every client once, the last page has no next link', async () => {
    const owner = await createOperator(server, 'owner');
    const tenant = await createTenant(server);
    const base = `/admin/tenants/${tenant.slug}/clients`;
    const { browser, page } = await signInToConsole(server, owner, base);
    const made: string[] = [];
    for (let i = 0; i < 27; i++) {
      const created = asConsolePage(await post(browser, server, base, { _csrf: csrfOf(page), name: `App ${String(i).padStart(2, '0')}`, kind: 'machine' }), 'the client page');
      made.push(decodeURIComponent(created.url.pathname.split('/').pop()!));
    }
    const pages = await walk(server, browser, base, (p) => [...p.html.matchAll(/<tr class="client-row">.*?<td><code>([^<]+)<\/code>/g)].map((m) => m[1]!));
    assertEachOnce(pages, made, [25, 2]);
    assert.deepEqual(pages[0]!.slice(0, 2), made.slice(0, 2), 'in name order');
  });

  it('pages through a user\'s sessions, 20 a page: every session once, the last page has no "More sessions" link', async () => {
    const owner = await createOperator(server, 'owner');
    const realm = await createRealm(server);
    for (let i = 0; i < 22; i++) {
      const person = new Browser();
      const { page } = await loginPage(person, realm.firstParty);
      asCallback(await person.submit(page, '/login', { email: realm.user.email, password: realm.user.password }, atCallback), `sign-in ${i + 1}`);
    }
    const path = `/admin/tenants/${realm.slug}/users/${realm.user.id}`;
    const { browser } = await signInToConsole(server, owner, path);
    const pages = await walk(server, browser, path, (p) => [...p.html.matchAll(/\/sessions\/([^/"]+)\/revoke"/g)].map((m) => m[1]!));
    assert.deepEqual(pages.map((p) => p.length), [20, 2], 'sessions per page');
    const seen = pages.flat();
    assert.equal(new Set(seen).size, 22, 'every session once');
  });

  it('"Older entries" walks the audit log 50 at a time, keeping the filter: every entry once, none on the last page', async () => {
    const owner = await createOperator(server, 'owner');
    const tenant = await createTenant(server);
    const users = `/admin/tenants/${tenant.slug}/users`;
    const { browser, page } = await signInToConsole(server, owner, users);
    // an entry of another type, older than all of them: the filter must keep it off every page
    asConsolePage(await post(browser, server, `/admin/tenants/${tenant.slug}/clients`, { _csrf: csrfOf(page), name: 'Other entry', kind: 'machine' }), 'the client page');
    const made: string[] = [];
    for (let i = 0; i < 53; i++) {
      const created = asConsolePage(await post(browser, server, users, { _csrf: csrfOf(page), email: `a${String(i).padStart(2, '0')}@example.com` }), 'a user page');
      made.push(created.url.pathname.split('/').pop()!);
    }
    await waitForAudit(server.env.DATABASE_URL!, tenant.slug, 'admin.user_created', 53);
    const pages = await walk(server, browser, `/admin/tenants/${tenant.slug}/audit?type=admin.user_created`, (p) =>
      p.html.split('<tr class="audit-row">').slice(1).map((row) => {
        assert.match(row, /<code>admin\.user_created<\/code>/, 'only the filtered type, on every page');
        // the fourth cell: whom the entry is about, its id on hover
        return /title="([^"]+)"/.exec(row.split('<td>')[4]!)?.[1] ?? '';
      }));
    assertEachOnce(pages, made, [50, 3]);
    assert.equal(pages[0]![0], made.at(-1), 'newest first');
  });
});
