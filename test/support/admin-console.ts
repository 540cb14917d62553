// The admin console as an operator meets it: operators are users of the `system` tenant made with the CLI, given
// an operator role by SQL (no CLI command assigns roles yet), then signed in through the system tenant's login page.
import assert from 'node:assert/strict';
import { Browser, formsOf, isPage, type Page } from './browser.js';
import { createUser } from './fixtures.js';
import { query } from './email-flows.js';
import type { TesseraProcess } from './tessera-process.js';

export interface TestOperator { id: string; email: string; password: string }

/** a system-tenant user holding `role` (owner, admin, viewer; none = a user without any operator role) */
export async function createOperator(server: TesseraProcess, role: 'owner' | 'admin' | 'viewer' | null): Promise<TestOperator> {
  const user = await createUser(server, 'system');
  if (role) {
    await query(server.env.DATABASE_URL!, `INSERT INTO user_roles (user_id, role_id)
      SELECT $1::uuid, r.id FROM roles r JOIN tenants t ON t.id = r.tenant_id WHERE t.slug = 'system' AND r.name = $2`, [user.id, role]);
  }
  return user;
}

export function asConsolePage(step: Page | URL, what: string): Page {
  assert.ok(isPage(step), `expected ${what}, got a redirect to ${step instanceof URL ? step.href : ''}`);
  return step;
}

/** opens /admin in a fresh browser, signs in on the system tenant's login page and returns where it lands */
/** `headers`: what the browser sends with every request (e.g. its Accept-Language) */
export async function signInToConsole(server: TesseraProcess, operator: TestOperator, path = '/admin', headers: Record<string, string> = {}): Promise<{ browser: Browser; page: Page }> {
  const browser = new Browser(headers);
  const login = asConsolePage(await browser.navigate(`${server.url}${path}`), 'the system login page');
  assert.ok(login.url.pathname.startsWith('/t/system/interaction/'), `not the system login page: ${login.url.href}`);
  const page = asConsolePage(await browser.submit(login, '/login', { email: operator.email, password: operator.password }), 'a console page');
  return { browser, page };
}

/** the CSRF token of a console page's forms */
export function csrfOf(page: Page): string {
  const token = formsOf(page.html).find((f) => f.fields._csrf)?.fields._csrf;
  assert.ok(token, `no form with a CSRF token on ${page.url.pathname}`);
  return token;
}

/** posts a console form as the browser would (same-origin Origin header) and follows redirects */
export function post(browser: Browser, server: TesseraProcess, path: string, fields: Record<string, string | string[]>): Promise<Page | URL> {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) for (const v of [value].flat()) body.append(name, v);
  return browser.navigate(`${server.url}${path}`, undefined, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url } });
}
