// Accessible pages (issue #14) in a real browser: axe-core run in Chromium over the hosted pages and the account
// pages finds no violation (every rule axe runs by default: WCAG 2.x A and AA, best practices), the login page keeps
// AA contrast whatever the brand colour, and sign-in works with the keyboard alone (Tab and Enter), by password and
// by emailed code.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import type { Browser as Chromium, Page } from 'playwright-core';
import { createTestServices, type TestServices } from '../support/test-env.js';
import type { TesseraProcess } from '../support/tessera-process.js';
import { startServer } from '../support/use-tessera.js';
import { cliJson, createClient, createTenant, createUser } from '../support/fixtures.js';
import { discover, type oidc } from '../support/relying-party.js';
import { startRelyingParty } from '../support/relying-party-server.js';
import { launchChromium } from '../support/chromium.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';
import { mailTo } from '../support/email-flows.js';
import { renderer, samples } from '../support/view-samples.js';

interface AxeViolation { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }

describe('accessible pages (axe-core in Chromium) and keyboard-only sign-in', () => {
  let services: TestServices;
  let server: TesseraProcess;
  let smtp: TestSmtpServer;
  let chromium: Chromium;
  let rp: Awaited<ReturnType<typeof startRelyingParty>>;
  let slug: string;
  let user: Awaited<ReturnType<typeof createUser>>;
  let firstParty: oidc.Configuration;
  let thirdParty: oidc.Configuration;
  let axeSource: string;

  before(async () => {
    chromium = await launchChromium();
    axeSource = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
    [services, rp, smtp] = await Promise.all([createTestServices(), startRelyingParty(), startSmtpServer()]);
    server = await startServer({ ...services.env, SMTP_URL: smtp.url });
    const tenant = await createTenant(server);
    slug = tenant.slug;
    await cliJson(server, ['tenant', 'settings', '--tenant', slug, '--set', JSON.stringify({ signIn: { methods: { password: true, emailOtp: true, magicLink: true }, signUp: true } })]);
    const [created, first, third] = await Promise.all([
      createUser(server, slug),
      createClient(server, slug, ['--first-party', '--redirect-uri', rp.redirectUri]),
      createClient(server, slug, ['--redirect-uri', rp.redirectUri]),
    ]);
    user = created;
    firstParty = await discover(tenant.issuer, first.client_id, first.client_secret!);
    thirdParty = await discover(tenant.issuer, third.client_id, third.client_secret!);
  });
  after(async () => {
    await chromium?.close();
    await rp?.close();
    await server?.stop();
    await smtp?.close();
    await services?.drop();
  });

  async function tab(): Promise<Page> {
    // axe is injected as a script: the pages' CSP (script-src 'self') would refuse it, so this profile bypasses CSP
    const context = await chromium.newContext({ bypassCSP: true });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    return page;
  }

  /** the violations axe finds on the page as it is now, as readable lines */
  async function violations(page: Page): Promise<string[]> {
    await page.addScriptTag({ content: axeSource });
    const found = await page.evaluate(async () => {
      const axe = (globalThis as unknown as { axe: { run(context: Document): Promise<{ violations: AxeViolation[] }> } }).axe;
      return (await axe.run(document)).violations;
    });
    return found.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }

  async function assertAccessible(page: Page, what: string) {
    assert.deepEqual(await violations(page), [], `${what} (${page.url()})`);
  }

  it('the check itself finds violations where there are some', async () => {
    const page = await tab();
    await page.setContent('<!doctype html><html><body><img src="data:,x"><input type="text"></body></html>');
    const found = await violations(page);
    assert.ok(found.some((v) => v.startsWith('image-alt')), found.join('\n'));
    assert.ok(found.some((v) => v.startsWith('label')), found.join('\n'));
    await page.context().close();
  });

  it('the sign-in pages have no violations: login (also with an error, and in Hindi), code, magic link, sign-up, reset, consent, expired, error', async () => {
    const page = await tab();
    const flow = await rp.begin(firstParty);
    await page.goto(flow.url.href);
    const loginUrl = page.url();
    await assertAccessible(page, 'login');
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill('Wrong-password-1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    await assertAccessible(page, 'login with an error');
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.waitForURL(/\/signup$/);
    await assertAccessible(page, 'sign-up');
    await page.goto(loginUrl);
    await page.getByRole('link', { name: 'Forgot password?' }).click();
    await page.waitForURL(/\/reset$/);
    await assertAccessible(page, 'reset request');
    await page.goto(loginUrl);
    await page.getByLabel('Email').fill(user.email);
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await page.waitForURL(/\/magic-sent\//);
    await assertAccessible(page, 'magic link sent');
    await page.getByRole('link', { name: 'Enter the code from the email' }).click();
    await page.waitForURL(/\/code\//);
    await assertAccessible(page, 'code');
    await page.goto(`${server.issuer(slug)}/interaction/nope`);
    await assertAccessible(page, 'expired');
    await page.goto(`${server.issuer(slug)}/auth?client_id=nope&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(rp.redirectUri)}`);
    await assertAccessible(page, 'error');
    const hindi = await rp.begin(firstParty);
    await page.goto(`${hindi.url.href}&ui_locales=hi`);
    assert.equal(await page.getAttribute('html', 'lang'), 'hi');
    await assertAccessible(page, 'login in Hindi');

    const consent = await rp.begin(thirdParty);
    await page.goto(consent.url.href);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    await assertAccessible(page, 'consent');
    await page.context().close();
  });

  it('the account pages have no violations: signed out, account, security, authenticator set-up, sessions, passkeys', async () => {
    const page = await tab();
    await page.goto(`${server.issuer(slug)}/account/security`);
    await assertAccessible(page, 'account, signed out');
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/account\/security$/);
    await assertAccessible(page, 'security');
    for (const path of ['', '/security/totp', '/sessions', '/passkeys']) {
      await page.goto(`${server.issuer(slug)}/account${path}`);
      await assertAccessible(page, `account${path}`);
    }
    await page.context().close();
  });

  it('the login page keeps AA contrast for any brand colour', async () => {
    for (const primaryColor of ['#ffff00', '#00ff00', '#777777', '#0000ff', '#ff0000', '#ffffff', '#000000']) {
      await cliJson(server, ['tenant', 'settings', '--tenant', slug, '--set', JSON.stringify({ branding: { primaryColor } })]);
      const page = await tab();
      await page.goto((await rp.begin(firstParty)).url.href);
      assert.deepEqual((await violations(page)).filter((v) => v.startsWith('color-contrast')), [], primaryColor);
      await page.context().close();
    }
    await cliJson(server, ['tenant', 'settings', '--tenant', slug, '--set', JSON.stringify({ branding: { primaryColor: null } })]);
  });

  it('the outbox table fits its card, on a wide screen and on a phone (long values wrap)', async () => {
    const page = await tab();
    // a message with a long link in the outbox
    await page.goto((await rp.begin(firstParty)).url.href);
    await page.getByLabel('Email').fill(user.email);
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await page.waitForURL(/\/magic-sent\//);
    // delivery runs in the background: wait for the message to reach the outbox
    for (let i = 0; i < 50 && !(await page.goto(`${server.issuer(slug)}/outbox`), await page.locator('table.outbox').count()); i++) await page.waitForTimeout(200);
    for (const viewport of [{ width: 1280, height: 800 }, { width: 375, height: 740 }]) {
      await page.setViewportSize(viewport);
      await page.goto(`${server.issuer(slug)}/outbox`);
      const fit = await page.evaluate(() => {
        const card = document.querySelector('main.card')!.getBoundingClientRect();
        const table = document.querySelector('table.outbox')!.getBoundingClientRect();
        return { card: [card.left, card.right], table: [table.left, table.right], page: document.documentElement.scrollWidth, view: window.innerWidth };
      });
      assert.ok(fit.table[0]! >= fit.card[0]! - 0.5 && fit.table[1]! <= fit.card[1]! + 0.5, `${viewport.width}px: ${JSON.stringify(fit)}`);
      assert.ok(fit.page <= fit.view, `${viewport.width}px: the page does not scroll sideways (${JSON.stringify(fit)})`);
    }
    await page.context().close();
  });

  it('the "Remember this browser" checkbox sits on its label\'s line, right before it', async () => {
    const page = await tab();
    const html = (await renderer.render('mfa', { ...samples.mfa!, error: null })).replaceAll('href="/assets/', `href="${server.url}/assets/`);
    await page.setContent(html, { waitUntil: 'load' });
    const box = await page.evaluate(() => {
      const input = document.getElementById('remember-totp')!.getBoundingClientRect();
      const label = document.querySelector('label[for="remember-totp"]')!.getBoundingClientRect();
      return { input: { top: input.top, bottom: input.bottom, right: input.right }, label: { top: label.top, bottom: label.bottom, left: label.left } };
    });
    const middle = (box.input.top + box.input.bottom) / 2;
    assert.ok(middle > box.label.top && middle < box.label.bottom, `same line: ${JSON.stringify(box)}`);
    assert.ok(box.label.left - box.input.right >= 0 && box.label.left - box.input.right <= 16, `next to it: ${JSON.stringify(box)}`);
    await page.context().close();
  });

  /** presses Tab until the focused element matches, at most `limit` times */
  async function tabTo(page: Page, matches: (el: { tag: string; name: string; text: string }) => boolean, limit = 15) {
    for (let i = 0; i < limit; i++) {
      const focused = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        return { tag: el?.tagName.toLowerCase() ?? '', name: el?.getAttribute('name') ?? el?.id ?? '', text: el?.textContent?.trim() ?? '' };
      });
      if (matches(focused)) return;
      await page.keyboard.press('Tab');
    }
    assert.fail('the element was not reached by Tab');
  }

  it('signs in with the keyboard alone: password', async () => {
    const page = await tab();
    const flow = await rp.begin(firstParty);
    await page.goto(flow.url.href);
    await tabTo(page, (el) => el.name === 'email');
    await page.keyboard.type(user.email);
    await page.keyboard.press('Tab');
    await tabTo(page, (el) => el.name === 'password');
    await page.keyboard.type(user.password);
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.href.startsWith(rp.redirectUri));
    assert.equal((await flow.result).sub, user.id);
    await page.context().close();
  });

  it('signs in with the keyboard alone: email code', async () => {
    const page = await tab();
    const flow = await rp.begin(firstParty);
    await page.goto(flow.url.href);
    await tabTo(page, (el) => el.name === 'email');
    await page.keyboard.type(user.email);
    await tabTo(page, (el) => el.tag === 'button' && el.text === 'Email me a sign-in code');
    const earlier = smtp.messages.filter((m) => JSON.stringify(m.to).includes(user.email)).length;
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/code\//);
    const mail = await mailTo(smtp, user.email, earlier + 1);
    await tabTo(page, (el) => el.name === 'code');
    await page.keyboard.type(mail.code!);
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.href.startsWith(rp.redirectUri));
    assert.equal((await flow.result).sub, user.id);
    await page.context().close();
  });
});
