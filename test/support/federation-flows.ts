// Federated sign-in (issue #4) as a user meets it: a tenant whose connections point at the local upstream
// stand-ins, the walk login page → "Continue with …" → upstream (which signs in the queued account) → back →
// relying party, and the places a test reads what happened (identities and audit_events tables).
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { Browser, formsOf, isPage, type Page } from './browser.js';
import { cliJson, createClient, createTenant, redirectUri } from './fixtures.js';
import { asPage, atCallback, loginPage } from './hosted-pages.js';
import { exchange } from './phone-flows.js';
import { query as sqlQuery } from './email-flows.js';
import type { oidc, AuthorizationRequest } from './relying-party.js';
import { discover } from './relying-party.js';
import type { TesseraProcess } from './tessera-process.js';

export { exchange };

export interface FederatedTenant { slug: string; issuer: string; callbackUrl: string; config: oidc.Configuration }

export const callbackUrlOf = (server: TesseraProcess, slug: string) => `${server.url}/t/${slug}/federated/callback`;

/**
 * A tenant with `connections` (built knowing the tenant's callback URL, so each can register it upstream),
 * sign-up as given, and a first-party client.
 */
export async function createFederatedTenant(
  server: TesseraProcess,
  connections: (callbackUrl: string) => Record<string, unknown>,
  signIn: Record<string, unknown> = { signUp: true },
): Promise<FederatedTenant> {
  const tenant = await createTenant(server);
  const callbackUrl = callbackUrlOf(server, tenant.slug);
  await cliJson(server, ['tenant', 'settings', '--tenant', tenant.slug, '--set', JSON.stringify({ signIn, connections: connections(callbackUrl) })]);
  const client = await createClient(server, tenant.slug, ['--first-party']);
  return { slug: tenant.slug, issuer: tenant.issuer, callbackUrl, config: await discover(tenant.issuer, client.client_id, client.client_secret!) };
}

/** Apple's .p8 key: a P-256 key pair, the private half as PKCS #8 PEM (what the tenant stores) */
export function appleKey() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicKey };
}

/** a form_post page (Apple): submits its auto-submitting form as the browser's script would */
async function throughFormPost(browser: Browser, step: Page | URL): Promise<Page | URL> {
  for (let i = 0; i < 3 && isPage(step); i++) {
    const page: Page = step;
    const form = formsOf(page.html).find((f) => /\/federated\/callback$/.test(new URL(f.action, page.url).pathname));
    if (!form) return page;
    step = await browser.navigate(new URL(form.action, page.url), atCallback, {
      method: 'POST', body: new URLSearchParams(form.fields), headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'null' },
    });
  }
  return step;
}

/** from the login page, "Continue with <connection>": returns where the browser ends (RP callback or a page) */
export async function continueWith(browser: Browser, page: Page, connection: string): Promise<Page | URL> {
  return throughFormPost(browser, await browser.submit(page, `/federated/${connection}`, {}, atCallback));
}

/** a whole sign-in by `connection` for a fresh (or given) browser; the upstream must have an account queued */
export async function federatedSignIn(tenant: FederatedTenant, connection: string, browser = new Browser()) {
  const { request, page } = await loginPage(browser, tenant.config);
  const step = await continueWith(browser, page, connection);
  return { browser, request, step };
}

/** the sign-in must reach the RP: its id_token and userinfo */
export async function signedIn(tenant: FederatedTenant, request: AuthorizationRequest, step: Page | URL) {
  return exchange(tenant.config, request, step);
}

export function noticePage(step: Page | URL, status: number): Page {
  const page = asPage(step, 'a notice');
  assert.equal(page.status, status, `status, page:\n${page.html.slice(0, 800)}`);
  return page;
}

const query = <T>(server: TesseraProcess, sql: string, params: unknown[]) => sqlQuery<T>(server.env.DATABASE_URL!, sql, params);

export interface IdentityRow { user_id: string; connection: string; subject: string; email: string | null; email_verified: boolean; profile: Record<string, unknown> }

export function identitiesOf(server: TesseraProcess, slug: string): Promise<IdentityRow[]> {
  return query(server, 'SELECT i.user_id, i.connection, i.subject, i.email, i.email_verified, i.profile FROM identities i JOIN tenants t ON t.id = i.tenant_id WHERE t.slug = $1 ORDER BY i.created_at', [slug]);
}

export interface AuditRow { type: string; actor: string | null; subject: string | null; outcome: string; data: Record<string, unknown> }

export function auditOf(server: TesseraProcess, slug: string, types: string[]): Promise<AuditRow[]> {
  return query(server, 'SELECT e.type, e.actor, e.subject, e.outcome, e.data FROM audit_events e JOIN tenants t ON t.id = e.tenant_id WHERE t.slug = $1 AND e.type = ANY($2) ORDER BY e.id', [slug, types]);
}

export function userByEmail(server: TesseraProcess, slug: string, email: string) {
  return query<{ id: string; email: string | null; email_verified: boolean; profile: Record<string, unknown>; password_hash: string | null }>(server,
    'SELECT u.id, u.email, u.email_verified, u.profile, u.password_hash FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE t.slug = $1 AND u.email = $2', [slug, email]).then((rows) => rows[0]);
}

/** a user created by the CLI whose email is NOT verified */
export async function createUnverifiedUser(server: TesseraProcess, slug: string, email: string, password: string) {
  return cliJson<{ id: string; email: string }>(server, ['user', 'create', '--tenant', slug, '--email', email, '--password', password, '--name', 'Local User']);
}

export { redirectUri };
