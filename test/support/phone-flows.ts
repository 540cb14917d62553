// The phone ways in (issue #3) as a user and an operator meet them: the four vendor stand-ins, tenants whose
// messaging points at them, the walk login page → phone page → code page → relying party, and the places a test
// reads what happened (the stand-ins' records, the outbox, the audit_events table).
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import pg from 'pg';
import { Browser, isPage, type Page } from './browser.js';
import { cliJson, createClient, createTenant, redirectUri } from './fixtures.js';
import { asCallback, asPage, atCallback, loginPage } from './hosted-pages.js';
import { discover, oidc, type AuthorizationRequest } from './relying-party.js';
import type { TesseraProcess } from './tessera-process.js';
import { startMsg91StandIn, type Msg91StandIn } from './vendors/msg91-stand-in.js';
import { startTwilioStandIn, type TwilioStandIn } from './vendors/twilio-stand-in.js';
import { startTwoFactorStandIn, type TwoFactorStandIn } from './vendors/two-factor-stand-in.js';
import { startWhatsAppStandIn, type WhatsAppStandIn } from './vendors/whatsapp-stand-in.js';

export interface Vendors {
  twilio: TwilioStandIn;
  msg91: Msg91StandIn;
  twoFactor: TwoFactorStandIn;
  whatsapp: WhatsAppStandIn;
  /** fails the test when a stand-in refused a request as not what its vendor documents (and forgets them) */
  assertNoRejections(): void;
  close(): Promise<void>;
}

export async function startVendors(): Promise<Vendors> {
  const [twilio, msg91, twoFactor, whatsapp] = await Promise.all([startTwilioStandIn(), startMsg91StandIn(), startTwoFactorStandIn(), startWhatsAppStandIn()]);
  const all = { twilio, msg91, twoFactor, whatsapp };
  return {
    ...all,
    assertNoRejections() {
      for (const [name, standIn] of Object.entries(all)) assert.deepEqual(standIn.rejections.splice(0), [], `the ${name} stand-in refused a request`);
    },
    close: async () => void (await Promise.all(Object.values(all).map((s) => s.close()))),
  };
}

/** how many messages each stand-in has recorded: compare later to prove that nothing (more) was sent */
export function sentCounts(v: Vendors) {
  return { twilio: v.twilio.messages.length + v.twilio.verifications.length, msg91: v.msg91.otps.length, twoFactor: v.twoFactor.sent.length, whatsapp: v.whatsapp.sent.length };
}

/** messaging settings (tessera tenant settings) pointing each vendor at its stand-in */
export const vendorSettings = {
  twilioMessaging: (v: Vendors) => ({ accountSid: v.twilio.accountSid, authToken: v.twilio.authToken, from: '+15005550006', baseUrl: v.twilio.url, verifyBaseUrl: v.twilio.url }),
  twilioVerify: (v: Vendors, providerGeneratedCodes: boolean) => ({
    accountSid: v.twilio.accountSid, authToken: v.twilio.authToken, baseUrl: v.twilio.url, verifyBaseUrl: v.twilio.url,
    verifyServiceSid: v.twilio.serviceSid, providerGeneratedCodes,
  }),
  msg91: (v: Vendors) => ({ authKey: v.msg91.authKey, templateId: v.msg91.templateId, baseUrl: v.msg91.url }),
  twoFactor: (v: Vendors) => ({ apiKey: v.twoFactor.apiKey, baseUrl: v.twoFactor.url }),
  whatsapp: (v: Vendors) => ({ phoneNumberId: v.whatsapp.phoneNumberId, accessToken: v.whatsapp.accessToken, baseUrl: v.whatsapp.url }),
};

/** a fresh mobile number, valid for libphonenumber-js (max metadata), in E.164 */
export function randomMobile(country: 'GB' | 'IN'): string {
  for (;;) {
    const candidate = country === 'GB' ? `+4479${randomInt(1e8).toString().padStart(8, '0')}` : `+9198${randomInt(1e8).toString().padStart(8, '0')}`;
    if (parsePhoneNumberFromString(candidate)?.isValid()) return candidate;
  }
}

/** the number as a person in its country writes it, without the country code ("07911 123456") */
export function nationalFormat(e164: string): string {
  return parsePhoneNumberFromString(e164)!.formatNational();
}

export interface PhoneTenant { slug: string; issuer: string; config: oidc.Configuration }

/** a tenant with `settings` applied (before anything loads it) and a first-party client to sign in to */
export async function createPhoneTenant(server: TesseraProcess, settings: Record<string, unknown>): Promise<PhoneTenant> {
  const tenant = await createTenant(server);
  await cliJson(server, ['tenant', 'settings', '--tenant', tenant.slug, '--set', JSON.stringify(settings)]);
  const client = await createClient(server, tenant.slug, ['--first-party']);
  return { slug: tenant.slug, issuer: tenant.issuer, config: await discover(tenant.issuer, client.client_id, client.client_secret!) };
}

/**
 * A fresh tenant's sandbox environment (`{tenant}~sandbox`, issue #19: sandbox behaviour holds in no live
 * environment) with `settings` applied and a first-party client to sign in to; `tenant` is the live slug.
 */
export async function createSandboxEnvironment(server: TesseraProcess, settings: Record<string, unknown>): Promise<PhoneTenant & { tenant: string }> {
  const tenant = await createTenant(server);
  const { issuer } = await cliJson<{ issuer: string }>(server, ['env', 'create', '--tenant', tenant.slug, '--name', 'sandbox']);
  const slug = `${tenant.slug}~sandbox`;
  await cliJson(server, ['tenant', 'settings', '--tenant', tenant.slug, '--env', 'sandbox', '--set', JSON.stringify(settings)]);
  const client = await createClient(server, tenant.slug, ['--first-party', '--env', 'sandbox']);
  return { tenant: tenant.slug, slug, issuer, config: await discover(issuer, client.client_id, client.client_secret!) };
}

/** polls `probe` until it returns something other than undefined */
export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** the code in an SMS text ("123456 is your Acme sign-in code…") */
export function codeInText(text: string): string {
  const match = /^(\d{4,8}) is your /.exec(text);
  assert.ok(match, `no code at the start of the SMS text: ${text}`);
  return match[1]!;
}

/** readers of the code a stand-in received for `to` after it had recorded `since` messages */
export const codeFrom = {
  twilioMessage: (v: Vendors, to: string, since = 0) => waitFor(`an SMS to ${to} at the Twilio stand-in`, () => {
    const message = v.twilio.messages.slice(since).find((m) => m.to === to);
    return message && codeInText(message.body);
  }),
  twilioVerification: (v: Vendors, to: string, since = 0) =>
    waitFor(`a verification for ${to} at the Twilio stand-in`, () => v.twilio.verifications.slice(since).find((m) => m.to === to)),
  msg91: (v: Vendors, to: string, since = 0) =>
    waitFor(`an OTP to ${to} at the MSG91 stand-in`, () => v.msg91.otps.slice(since).find((m) => `+${m.mobile}` === to)?.otp ?? undefined),
  twoFactor: (v: Vendors, to: string, since = 0) =>
    waitFor(`an OTP to ${to} at the 2Factor stand-in`, () => v.twoFactor.sent.slice(since).find((m) => `+${m.phone.replace(/^\+/, '')}` === to)?.otp),
  whatsapp: (v: Vendors, to: string, since = 0) =>
    waitFor(`a WhatsApp message to ${to} at the stand-in`, () => v.whatsapp.sent.slice(since).find((m) => `+${m.to.replace(/^\+/, '')}` === to)?.code),
};

/** starts an authorization request and follows "Use your phone number" from the login page */
export async function openPhonePage(browser: Browser, config: oidc.Configuration, params: Record<string, string> = {}) {
  const { request, page: login } = await loginPage(browser, config, params);
  const href = /<a class="button[^"]*" href="([^"]+\/phone)">Use your phone number<\/a>/.exec(login.html)?.[1];
  assert.ok(href, `the login page offers no phone sign-in:\n${login.html.slice(0, 800)}`);
  const page = asPage(await browser.navigate(new URL(href, login.url)), 'the phone');
  assert.equal(page.status, 200);
  return { request, page };
}

/** types `typed` on the phone page and presses the button of `channel`; returns where that leads */
export function submitPhone(browser: Browser, phonePage: Page, typed: string, channel: 'sms' | 'whatsapp' = 'sms') {
  return browser.submit(phonePage, '/phone', { phone: typed, channel }, atCallback);
}

/** the code page a phone submission must land on */
export function asCodePage(step: Page | URL): Page {
  const page = asPage(step, 'the code');
  assert.equal(page.status, 200, `code page status:\n${page.html.slice(0, 600)}`);
  assert.match(page.url.pathname, /\/interaction\/[^/]+\/code\/[^/]+$/);
  return page;
}

export function enterCode(browser: Browser, codePage: Page, code: string) {
  return browser.submit(codePage, new URL(codePage.url).pathname.replace(/^.*(\/code\/[^/]+)$/, '$1'), { code }, atCallback);
}

/** the relying party finishes: code exchange with PKCE, state and nonce checked, id_token validated */
export async function exchange(config: oidc.Configuration, request: AuthorizationRequest, callback: Page | URL) {
  const tokens = await oidc.authorizationCodeGrant(config, asCallback(callback, 'the relying party'), {
    pkceCodeVerifier: request.codeVerifier, expectedState: request.state, expectedNonce: request.nonce, idTokenExpected: true,
  });
  const claims = tokens.claims()!;
  const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
  return { tokens, claims, userinfo };
}

/**
 * A whole sign-in by phone: phone page, code from `readCode` (called once the code page is shown), relying party.
 * Asks for the `phone` scope so that userinfo shows the number.
 */
export async function phoneSignIn(config: oidc.Configuration, phone: string, readCode: () => Promise<string>, options: { channel?: 'sms' | 'whatsapp'; typed?: string; browser?: Browser } = {}) {
  const browser = options.browser ?? new Browser();
  const { request, page } = await openPhonePage(browser, config, { scope: 'openid phone' });
  const codePage = asCodePage(await submitPhone(browser, page, options.typed ?? phone, options.channel));
  const callback = await enterCode(browser, codePage, await readCode());
  if (isPage(callback)) assert.fail(`the code did not sign in: ${callback.status} ${callback.url.pathname}\n${callback.html.slice(0, 800)}`);
  return exchange(config, request, callback);
}

export interface OutboxEntry { channel: string; to: string; subject: string | null; text: string; code: string | null; link: string | null; provider: string | null; delivered: boolean }

/** the tenant's outbox, newest first */
export async function readOutbox(issuer: string): Promise<OutboxEntry[]> {
  const response = await fetch(`${issuer}/outbox`, { headers: { accept: 'application/json' } });
  assert.equal(response.status, 200);
  return ((await response.json()) as { entries: OutboxEntry[] }).entries;
}

export interface AuditRow { type: string; subject: string | null; actor: string | null; outcome: string; data: Record<string, unknown> }

/** audit events of a tenant, oldest first, optionally of some types only */
export async function auditEvents(server: TesseraProcess, slug: string, types?: string[]): Promise<AuditRow[]> {
  const client = new pg.Client({ connectionString: server.env.DATABASE_URL });
  await client.connect();
  try {
    const { rows } = await client.query<AuditRow>(
      `SELECT e.type, e.subject, e.actor, e.outcome, e.data FROM audit_events e JOIN tenants t ON t.id = e.tenant_id
       WHERE t.slug = $1 AND ($2::text[] IS NULL OR e.type = ANY($2)) ORDER BY e.id`, [slug, types ?? null]);
    return rows;
  } finally {
    await client.end();
  }
}

/** waits for the audit event of a background delivery (otp.sent or otp.delivery_failed) number `nth` (1-based) */
export function deliveryEvent(server: TesseraProcess, slug: string, nth = 1): Promise<AuditRow> {
  return waitFor(`delivery audit event #${nth} of ${slug}`, async () => (await auditEvents(server, slug, ['otp.sent', 'otp.delivery_failed']))[nth - 1]);
}

export { redirectUri };
