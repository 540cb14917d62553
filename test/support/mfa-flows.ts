// Second factors (issue #5) as a user meets them: signing in to the account pages, setting up an authenticator app
// there (the code computed with otplib from the secret the page shows), the challenge page after a password.
import assert from 'node:assert/strict';
import { generate } from 'otplib';
import { Browser, isPage, type Page } from './browser.js';
import { asPage, atCallback, isLoginPage, loginPage } from './hosted-pages.js';
import type { oidc } from './relying-party.js';
import type { TesseraProcess } from './tessera-process.js';

export const totpCode = (secret: string, at = Date.now()) => generate({ secret, epoch: Math.floor(at / 1000) });

/** the account page, signed in with email + password through the tenant's own flow */
export async function signInToAccount(
  server: TesseraProcess, slug: string, browser: Browser, user: { email: string; password: string },
  /** for a user with a second factor: what to enter on the challenge page */
  secondFactor?: { recoveryCode: string },
): Promise<Page> {
  const out = asPage(await browser.navigate(`${server.url}/t/${slug}/account/sign-in`), 'the login page');
  assert.ok(isLoginPage(out), out.html.slice(0, 300));
  let page = asPage(await browser.submit(out, '/login', { email: user.email, password: user.password }), 'the account page');
  if (secondFactor) page = asPage(await browser.submit(mfaPage(page), '/mfa/recovery', { code: secondFactor.recoveryCode }), 'the account page');
  assert.equal(page.url.pathname, `/t/${slug}/account`, page.html.slice(0, 500));
  return page;
}

/** the TOTP key an enrolment page shows, in groups of four characters: the key without the spaces */
export function totpKeyOn(html: string): string | undefined {
  const shown = /<code id="totp-secret" class="secret">([A-Z2-7]{1,4}(?: [A-Z2-7]{1,4})*)<\/code>/.exec(html)?.[1];
  return shown?.replaceAll(' ', '');
}

/** sets up an authenticator app on the security page; returns its secret and the recovery codes shown */
export async function enrolTotp(server: TesseraProcess, slug: string, browser: Browser): Promise<{ secret: string; codes: string[] }> {
  const page = asPage(await browser.navigate(`${server.url}/t/${slug}/account/security/totp`), 'the enrolment page');
  const secret = totpKeyOn(page.html);
  assert.ok(secret, page.html.slice(0, 600));
  assert.match(page.html, /<img class="qr" src="data:image\/png;base64,/);
  const done = asPage(await browser.submit(page, '/security/totp', { code: await totpCode(secret) }), 'the recovery codes');
  return { secret, codes: recoveryCodesOn(done) };
}

export function recoveryCodesOn(page: Page): string[] {
  return [...page.html.matchAll(/<li><code>([a-z0-9-]+)<\/code><\/li>/g)].map((m) => m[1]!);
}

/** a password sign-in from the RP's login page: where it lands (the MFA page, or the callback) */
export async function passwordStep(browser: Browser, config: oidc.Configuration, user: { email: string; password: string }, params: Record<string, string> = {}) {
  const { request, page } = await loginPage(browser, config, params);
  const step = await browser.submit(page, '/login', { email: user.email, password: user.password }, atCallback);
  return { request, step };
}

export function mfaPage(step: Page | URL): Page {
  const page = asPage(step, 'the second-factor page');
  assert.match(page.url.pathname, /\/interaction\/[^/]+\/mfa$/, `${page.status} ${page.url.pathname}\n${page.html.slice(0, 600)}`);
  return page;
}

export { isPage };
