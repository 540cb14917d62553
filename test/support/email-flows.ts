// The email-based ways in (issue #3) as a user meets them: a Tessera server whose email goes out over a real SMTP
// server started by the test, a tenant with the methods switched on, the mail parsed for its code and link, and the
// hosted-page steps of each flow. Reads of the database and Redis are for assertions only (what was recorded,
// what was stored), never to fake state.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';
import type { AddressObject, ParsedMail } from 'mailparser';
import pg from 'pg';
import { createClient as createRedisClient } from '@redis/client';
import { Browser, formsOf, type Page } from './browser.js';
import { cliJson, createClient, createTenant, redirectUri } from './fixtures.js';
import { asCallback, asPage, atCallback, loginPage } from './hosted-pages.js';
import { authorizationRequest, discover, oidc, type AuthorizationRequest } from './relying-party.js';
import { startSmtpServer, type SmtpServerOptions, type TestSmtpServer } from './smtp.js';
import { createTestServices, type TestServices } from './test-env.js';
import type { TesseraProcess } from './tessera-process.js';
import { startServer, type UseTesseraOptions } from './use-tessera.js';

export interface EmailWorld {
  readonly server: TesseraProcess;
  readonly smtp: TestSmtpServer;
  readonly services: TestServices;
}

/**
 * Registers `before`/`after` hooks: an SMTP server (unless `smtp: false`), a throwaway database and Redis prefix, and
 * a Tessera server (in this process unless `process: true`) using them with SMTP_URL pointing at that SMTP server.
 */
export function useEmailTessera(options: { env?: Record<string, string>; smtp?: SmtpServerOptions | false } & UseTesseraOptions = {}): EmailWorld {
  let smtp: TestSmtpServer | undefined;
  let services: TestServices | undefined;
  let server: TesseraProcess | undefined;
  before(async () => {
    if (options.smtp !== false) smtp = await startSmtpServer(options.smtp ?? {});
    services = await createTestServices();
    server = await startServer({ ...services.env, ...(smtp ? { SMTP_URL: smtp.url } : {}), ...options.env }, { process: options.process });
  });
  after(async () => {
    await server?.stop();
    await services?.drop();
    await smtp?.close();
  });
  const ready = <T>(value: T | undefined, what: string): T => value ?? assert.fail(`${what} is only there once before() has run`);
  return {
    get server() { return ready(server, 'the server'); },
    get smtp() { return ready(smtp, 'the SMTP server'); },
    get services() { return ready(services, 'the test services'); },
  };
}

export const uniqueEmail = (prefix = 'u') => `${prefix}-${randomBytes(5).toString('hex')}@example.com`;

export interface EmailRealm { slug: string; issuer: string; name: string; config: oidc.Configuration }

/** a tenant of its own with `signIn` settings applied before anything is served, and a first-party client */
export async function emailRealm(server: TesseraProcess, signIn: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<EmailRealm> {
  const tenant = await createTenant(server);
  await cliJson(server, ['tenant', 'settings', '--tenant', tenant.slug, '--set', JSON.stringify({ signIn, ...extra })]);
  const client = await createClient(server, tenant.slug, ['--first-party']);
  return { slug: tenant.slug, issuer: tenant.issuer, name: `Tenant ${tenant.slug}`, config: await discover(tenant.issuer, client.client_id, client.client_secret!) };
}

/** `tessera user create` without --verified: an account whose email is not verified */
export async function createUnverifiedUser(server: TesseraProcess, slug: string, email = uniqueEmail()) {
  const password = `Pw-${randomBytes(12).toString('base64url')}`;
  const user = await cliJson<{ id: string; email: string }>(server, ['user', 'create', '--tenant', slug, '--email', email, '--password', password]);
  return { ...user, password };
}

// --- mail ---------------------------------------------------------------------------------------------------

export interface Mail { subject: string; text: string; html: string; from: string; to: string[]; code: string | null; link: string | null }

const addresses = (field: AddressObject | AddressObject[] | undefined) =>
  (Array.isArray(field) ? field : field ? [field] : []).flatMap((a) => a.value.map((v) => (v.address ?? '').toLowerCase()));

export function readMail(mail: ParsedMail): Mail {
  const text = mail.text ?? '';
  return {
    subject: mail.subject ?? '',
    text,
    html: typeof mail.html === 'string' ? mail.html : '',
    from: mail.from?.text ?? '',
    to: addresses(mail.to),
    // the text template puts the code alone on an indented line, and the link alone on its line
    code: /^ {4}(\d{4,8})\s*$/m.exec(text)?.[1] ?? null,
    link: /^(https?:\/\/\S+\/(?:magic|reset-link)\/[\w-]+)\s*$/m.exec(text)?.[1] ?? null,
  };
}

const isTo = (address: string) => (mail: ParsedMail) => addresses(mail.to).includes(address.toLowerCase());

/** every message the SMTP server accepted for `address`, in arrival order */
export const mailsTo = (smtp: TestSmtpServer, address: string) => smtp.messages.filter(isTo(address)).map(readMail);

/** waits for the `nth` message (1-based) to `address` and returns it parsed */
export async function mailTo(smtp: TestSmtpServer, address: string, nth = 1): Promise<Mail> {
  const matches = isTo(address);
  const mail = await smtp.waitForMessage((m) => matches(m) && smtp.messages.filter(matches).indexOf(m) === nth - 1, 8_000);
  return readMail(mail);
}

/**
 * Proof that nothing went to `address`: `barrier`, the mail of a flow started after the one for `address`, has
 * arrived, and still nothing for `address` did. Delivery runs in the background, so this waits for a later message
 * rather than only for a time.
 */
export async function assertNoMailTo(smtp: TestSmtpServer, address: string, barrier: Promise<unknown>) {
  await barrier;
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.deepEqual(mailsTo(smtp, address), [], `no email may go to ${address}`);
}

// --- hosted pages --------------------------------------------------------------------------------------------

/** the login page, then "Email me a sign-in code" or "… link" with `email`: the code page or the waiting page */
export async function startByEmail(browser: Browser, config: oidc.Configuration, email: string, via: 'email-code' | 'magic-link', params: Record<string, string> = {}) {
  const { request, page: login } = await loginPage(browser, config, params);
  const page = asPage(await browser.submit(login, `/${via}`, { email }, atCallback), via === 'email-code' ? 'the code' : 'the waiting');
  return { request, login, page };
}

/** a page of the interaction the login page belongs to, e.g. `/signup`, `/reset` */
export async function interactionPage(browser: Browser, login: Page, path: string): Promise<Page> {
  const page = asPage(await browser.navigate(new URL(`${login.url.pathname.replace(/\/$/, '')}${path}`, login.url), atCallback), path);
  assert.equal(page.status, 200, `${path}: ${page.html.slice(0, 400)}`);
  return page;
}

/**
 * a form post no page offers (yet), made with the interaction's CSRF token taken from `page`, one of its pages
 */
export function postFrom(browser: Browser, page: Page, path: string, values: Record<string, string> = {}) {
  const csrf = /name="_csrf" value="([^"]*)"/.exec(page.html)?.[1] ?? assert.fail('no CSRF token on the page');
  return browser.navigate(new URL(path, page.url), atCallback, {
    method: 'POST',
    body: new URLSearchParams({ _csrf: csrf, ...values }),
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: page.url.origin },
  });
}

/** the challenge id in a code page's or waiting page's URL */
export function challengeOf(page: Page): string {
  const id = /\/(?:code|magic-sent)\/([\w-]{22})$/.exec(page.url.pathname)?.[1];
  return id ?? assert.fail(`not a code or waiting page: ${page.url.pathname}`);
}

/** types `code` into a code page and submits it */
export function submitCode(browser: Browser, page: Page, code: string) {
  const action = formsOf(page.html).map((f) => new URL(f.action, page.url).pathname).find((p) => /\/code\/[\w-]{22}$/.test(p));
  return browser.submit(page, action ?? assert.fail(`no code form on ${page.url.pathname}`), { code }, atCallback);
}

/** completes the code exchange with openid-client, which checks the id_token (signature, iss, aud, nonce) */
export async function exchange(config: oidc.Configuration, request: AuthorizationRequest, step: Page | URL) {
  const tokens = await oidc.authorizationCodeGrant(config, asCallback(step, 'the callback'), {
    pkceCodeVerifier: request.codeVerifier, expectedState: request.state, expectedNonce: request.nonce, idTokenExpected: true,
  });
  return { tokens, claims: tokens.claims()! };
}

/** asks for an id_token carrying the email claims (OIDC Core 5.5) */
export const emailClaims = { claims: JSON.stringify({ id_token: { email: null, email_verified: null, name: null } }) };

/** `This sign-in has expired`: the answer to a used, expired or foreign code, link or challenge */
export function assertExpired(step: Page | URL, what: string) {
  const page = asPage(step, `the expired page (${what})`);
  assert.equal(page.status, 400, what);
  assert.match(page.html, /<h1>This sign-in has expired<\/h1>/, what);
}

/** the page of a sign-in link that no longer works: what happened to it, and (where the sign-in is still open) the next step */
export function assertLinkGone(step: Page | URL, fate: 'used' | 'expired' | 'invalid', what: string): Page {
  const page = asPage(step, `the ${fate} link page (${what})`);
  const heading = { used: 'This sign-in link was already used', expired: 'This sign-in link has expired', invalid: 'This sign-in link is not valid' }[fate];
  assert.equal(page.status, fate === 'invalid' ? 400 : 410, what);
  assert.match(page.html, new RegExp(`<h1>${heading}</h1>`), what);
  assert.match(page.html, /Send a new link|Go back to the app you were using/, `${what}: a next step`);
  return page;
}

/** the error a prompt=none request gets in `browser`: null when it signs in silently */
export async function silentSignIn(browser: Browser, config: oidc.Configuration): Promise<string | null> {
  const request = await authorizationRequest(config, redirectUri, { prompt: 'none' });
  const callback = asCallback(await browser.navigate(request.url, atCallback), 'the prompt=none answer');
  return callback.searchParams.get('error');
}

/** the page with everything that differs between two equal answers (ids, CSRF tokens) replaced */
export function comparable(page: Page): string {
  const uid = /\/interaction\/([^/]+)/.exec(page.url.pathname)?.[1] ?? 'none';
  let html = page.html.replaceAll(uid, 'UID').replace(/name="_csrf" value="[^"]*"/g, 'name="_csrf" value="CSRF"');
  const challenge = /\/(?:code|magic-sent)\/([\w-]{22})/.exec(page.url.pathname)?.[1];
  if (challenge) html = html.replaceAll(challenge, 'CHALLENGE');
  return html;
}

// --- what was recorded and stored ----------------------------------------------------------------------------

export interface AuditRow { type: string; actor: string | null; subject: string | null; outcome: string; data: Record<string, unknown> }

export async function query<T>(databaseUrl: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** the tenant's audit events, oldest first */
export function auditEvents(databaseUrl: string, slug: string): Promise<AuditRow[]> {
  return query<AuditRow>(databaseUrl, 'SELECT e.type, e.actor, e.subject, e.outcome, e.data FROM audit_events e JOIN tenants t ON t.id = e.tenant_id WHERE t.slug = $1 ORDER BY e.id', [slug]);
}

/** polls until the tenant has `count` events of `type` (background deliveries record theirs late) */
export async function waitForAudit(databaseUrl: string, slug: string, type: string, count = 1): Promise<AuditRow[]> {
  const deadline = Date.now() + 8_000;
  for (;;) {
    const rows = (await auditEvents(databaseUrl, slug)).filter((e) => e.type === type);
    if (rows.length >= count) return rows;
    if (Date.now() > deadline) assert.fail(`expected ${count} ${type} event(s), found ${rows.length}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface UserRow { id: string; email: string; email_verified: boolean; has_password: boolean; name: string | null }

export async function userRow(databaseUrl: string, slug: string, email: string): Promise<UserRow | null> {
  const rows = await query<UserRow>(databaseUrl, `SELECT u.id, u.email, u.email_verified, u.password_hash IS NOT NULL AS has_password, u.profile->>'name' AS name
    FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE t.slug = $1 AND u.email = $2`, [slug, email]);
  return rows[0] ?? null;
}

/** every key under the run's Redis prefix with its value(s) as text */
export async function redisContents(redisUrl: string, prefix: string): Promise<Map<string, string>> {
  const redis = createRedisClient({ url: redisUrl });
  await redis.connect();
  const contents = new Map<string, string>();
  try {
    for await (const keys of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
      for (const key of keys) {
        const type = await redis.type(key);
        const value = type === 'string' ? [await redis.get(key)]
          : type === 'list' ? await redis.lRange(key, 0, -1)
            : type === 'set' ? await redis.sMembers(key)
              : type === 'hash' ? Object.entries(await redis.hGetAll(key)).flat()
                : type === 'zset' ? await redis.zRange(key, 0, -1) : [`(${type})`];
        contents.set(key, value.join('\n'));
      }
    }
  } finally {
    await redis.quit();
  }
  return contents;
}

/** every row of every table of the database, as text, by table */
export async function databaseContents(databaseUrl: string): Promise<Map<string, string>> {
  const tables = await query<{ name: string }>(databaseUrl, "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'");
  const contents = new Map<string, string>();
  for (const { name } of tables) {
    const rows = await query<{ row: string }>(databaseUrl, `SELECT r::text AS row FROM "${name}" r`);
    contents.set(name, rows.map((r) => r.row).join('\n'));
  }
  return contents;
}

/** the tenant's outbox as JSON (development and test servers only) */
export async function outbox(issuer: string) {
  const response = await fetch(`${issuer}/outbox`, { headers: { accept: 'application/json' } });
  assert.equal(response.status, 200);
  return ((await response.json()) as { entries: Array<{ id: string; at: string; channel: string; to: string; subject: string | null; text: string; code: string | null; link: string | null; provider: string | null; delivered: boolean }> }).entries;
}

export { Browser };

/** the newest `field` (code or link) of a message to `to` (an email address or phone number) once more than `since` with one went out */
async function newestInOutbox(issuer: string, to: string, field: 'code' | 'link', since: number): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const found = (await outbox(issuer)).filter((e) => e.to === to && e[field]);
    if (found.length > since) return found[0]![field]!;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`no ${field} for ${to} in the outbox`);
}

/** the newest code sent to `to` (an email address or phone number) once more than `since` such messages went out */
export const codeFromOutbox = (issuer: string, to: string, since = 0): Promise<string> => newestInOutbox(issuer, to, 'code', since);
/** the newest link sent to `to` once more than `since` messages with a link went out */
export const linkFromOutbox = (issuer: string, to: string, since = 0): Promise<string> => newestInOutbox(issuer, to, 'link', since);
