// The hosted login and consent pages as a browser meets them (test/integration/hosted-*.test.ts): a tenant with a
// user and two clients to sign in to, and the steps of the walk, each asserting it landed where it should.
import assert from 'node:assert/strict';
import { Browser, formsOf, isPage, type Page } from './browser.js';
import { createClient, createTenant, createUser, redirectUri } from './fixtures.js';
import { authorizationRequest, discover, type oidc } from './relying-party.js';
import type { TesseraProcess } from './tessera-process.js';

export const atCallback = (location: URL) => location.href.startsWith(redirectUri);

export interface Realm {
  slug: string;
  issuer: string;
  name: string;
  user: { id: string; email: string; password: string };
  firstParty: oidc.Configuration;
  thirdParty: oidc.Configuration;
}

/** a tenant of its own with one user, a first-party and a third-party client */
export async function createRealm(server: TesseraProcess): Promise<Realm> {
  const tenant = await createTenant(server);
  const [user, first, third] = await Promise.all([
    createUser(server, tenant.slug),
    createClient(server, tenant.slug, ['--first-party']),
    createClient(server, tenant.slug),
  ]);
  return {
    slug: tenant.slug,
    issuer: tenant.issuer,
    name: `Tenant ${tenant.slug}`,
    user,
    firstParty: await discover(tenant.issuer, first.client_id, first.client_secret!),
    thirdParty: await discover(tenant.issuer, third.client_id, third.client_secret!),
  };
}

export function asPage(step: Page | URL, what: string): Page {
  assert.ok(isPage(step), `expected ${what} page, got a redirect to ${step instanceof URL ? step.href : ''}`);
  return step;
}

export function asCallback(step: Page | URL, what: string): URL {
  assert.ok(!isPage(step), `expected ${what} at the redirect_uri, got page ${isPage(step) ? `${step.status} ${step.url.pathname}\n${step.html.slice(0, 600)}` : ''}`);
  assert.ok(atCallback(step));
  return step;
}

/** the text a user reads: tags, hidden values and whitespace removed */
export function visibleText(html: string): string {
  return html.replace(/<input\b[^>]*type="hidden"[^>]*>/g, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
}

export const isLoginPage = (page: Page) => formsOf(page.html).some((f) => f.action.endsWith('/login'));
export const isConsentPage = (page: Page) => formsOf(page.html).some((f) => f.action.endsWith('/confirm'));

/** starts an authorization request in `browser` and returns the first page it lands on (or the callback) */
export async function open(browser: Browser, config: oidc.Configuration, params: Record<string, string> = {}) {
  const request = await authorizationRequest(config, redirectUri, params);
  return { request, step: await browser.navigate(request.url, atCallback) };
}

/** starts an authorization request in `browser` and asserts it lands on the login page */
export async function loginPage(browser: Browser, config: oidc.Configuration, params: Record<string, string> = {}) {
  const { request, step } = await open(browser, config, params);
  const page = asPage(step, 'the login');
  assert.equal(page.status, 200);
  assert.ok(isLoginPage(page), `not the login page:\n${page.html.slice(0, 600)}`);
  return { request, page };
}
