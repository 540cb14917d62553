// Hostile values (issue #13) in every field of the hosted sign-in forms and of the admin console's forms, and in the
// console's audit and users filters: a NUL, years 0 and 10000, integers past 64 bits, deep JSON. Never a 500; a NUL
// is refused when the form is sent — a sign-up name with one gets no code, so no challenge is spent on it later.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { asConsolePage, createOperator, post, signInToConsole } from '../support/admin-console.js';
import { deepJson, hostileCursors, hostileTextValues } from '../support/bad-input.js';
import { Browser, formsOf, isPage, type Page } from '../support/browser.js';
import {
  assertNoMailTo, emailClaims, emailRealm, interactionPage, mailTo, uniqueEmail, useEmailTessera, type EmailRealm,
} from '../support/email-flows.js';
import { asPage, atCallback, loginPage } from '../support/hosted-pages.js';
import { call, operator } from '../support/management.js';
import { managementScopes } from '../../src/tenants/system-tenant.js';

const hostileFormValues: Array<[label: string, value: string]> = [
  ['NUL', '\u0000'],
  ['NUL in text', 'Ada\u0000Lovelace'],
  ['year 0', '0000-01-01T00:00'],
  ['year 10000', '+010000-01-01T00:00:00Z'],
  ['beyond 64 bits', '99999999999999999999'],
  ['huge float', '1e400'],
  ['1,000-deep JSON', deepJson(1000)],
];

/** names of every field a form sends: inputs, text areas and selects */
function fieldNames(html: string, action: string): string[] {
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    if ((/action="([^"]*)"/i.exec(match[1]!)?.[1] ?? '') !== action) continue;
    return [...new Set([...match[2]!.matchAll(/<(?:input|textarea|select)\b[^>]*\bname="([^"]+)"/gi)].map((m) => m[1]!))];
  }
  return [];
}

const statusOf = (step: Page | URL) => (isPage(step) ? step.status : 303);

describe('hostile values in forms and filters', () => {
  const world = useEmailTessera();
  const server = { get url() { return world.server.url; } };
  let realm: EmailRealm;

  before(async () => {
    realm = await emailRealm(world.server, { signUp: true, methods: { password: true, emailOtp: true, magicLink: true } });
  });

  describe('hosted forms', () => {
    it('refuses a sign-up name holding a NUL when it is sent: 400, and no code is emailed', async () => {
      const browser = new Browser();
      const { page: login } = await loginPage(browser, realm.config, emailClaims);
      const form = await interactionPage(browser, login, '/signup');
      const email = uniqueEmail('nul');
      const answer = asPage(await browser.submit(form, '/signup', { email, password: 'correct horse battery staple 42', name: 'Ada\u0000Lovelace' }, atCallback), 'the refusal');
      assert.equal(answer.status, 400, answer.html.slice(0, 300));
      assert.match(answer.html, /cannot be used \(NUL\)/);
      // a sign-up without the NUL right after still gets its code: the refused one only sent nothing
      const control = uniqueEmail('ok');
      const { page: again } = await loginPage(browser, realm.config, emailClaims);
      const signUp = await interactionPage(browser, again, '/signup');
      await browser.submit(signUp, '/signup', { email: control, password: 'correct horse battery staple 42', name: 'Ada Lovelace' }, atCallback);
      await assertNoMailTo(world.smtp, email, mailTo(world.smtp, control));
    });

    it('answers hostile values in every field of every sign-in form without a 500', async () => {
      const browser = new Browser();
      const { page: login } = await loginPage(browser, realm.config, emailClaims);
      const pages = [login, await interactionPage(browser, login, '/signup'), await interactionPage(browser, login, '/reset')];
      const code = asPage(await browser.submit(login, '/email-code', { email: uniqueEmail('code') }, atCallback), 'the code page');
      pages.push(code);
      let probes = 0;
      for (const page of pages) {
        for (const form of formsOf(page.html)) {
          for (const target of [form.action, ...form.formActions]) {
            const suffix = new URL(target, page.url).pathname.split('/interaction/')[1]!.replace(/^[^/]+/, '');
            for (const field of fieldNames(page.html, form.action).filter((n) => n !== '_csrf')) {
              for (const [label, value] of hostileFormValues) {
                const step = await browser.submit(page, suffix, { [field]: value }, atCallback);
                probes++;
                assert.ok(statusOf(step) < 500, `${page.url.pathname} ${suffix} ${field}=${label} → ${statusOf(step)}`);
              }
            }
          }
        }
      }
      assert.ok(probes >= 40, `only ${probes} probes: the forms were not found`);
    });
  });

  describe('admin console', () => {
    let browser: Browser;
    let slug: string;
    const paths: string[] = [];

    before(async () => {
      const owner = await createOperator(world.server, 'owner');
      ({ browser } = await signInToConsole(world.server, owner));
      slug = realm.slug;
      const { token } = await operator(world.server, [...managementScopes]);
      const client = await call(world.server, 'POST', `/tenants/${slug}/clients`, { token, body: { client_name: 'Real', redirect_uris: ['https://rp.example/cb'] } });
      const user = await call(world.server, 'POST', `/tenants/${slug}/users`, { token, body: { email: uniqueEmail('real') } });
      const api = await call(world.server, 'POST', `/tenants/${slug}/apis`, { token, body: { identifier: 'https://api.real.example', name: 'Real' } });
      const t = `/admin/tenants/${slug}`;
      paths.push('/admin/tenants', t, `${t}/branding`, `${t}/clients`, `${t}/clients/${client.body.client_id}`, `${t}/keys`, `${t}/audit`,
        `${t}/policies`, `${t}/roles`, `${t}/roles/viewer`, `${t}/apis`, `${t}/apis/${api.body.id}`, `${t}/users`, `${t}/users/${user.body.id}`);
    });

    it('answers hostile values in every field of every console form without a 500', async () => {
      let probes = 0;
      for (const path of paths) {
        const page = asConsolePage(await browser.navigate(`${server.url}${path}`), path);
        assert.equal(page.status, 200, `${path}: ${page.html.slice(0, 300)}`);
        for (const form of formsOf(page.html).filter((f) => f.fields._csrf)) {
          const action = new URL(form.action || path, page.url).pathname;
          const base = Object.fromEntries(Object.entries(form.fields).filter(([name]) => name !== 'confirm'));
          for (const field of fieldNames(page.html, form.action).filter((n) => n !== '_csrf' && n !== 'confirm')) {
            for (const [label, value] of hostileFormValues) {
              const step = await post(browser, world.server, action, { ...base, [field]: value });
              probes++;
              assert.ok(statusOf(step) < 500, `${action} ${field}=${label} → ${statusOf(step)}\n${isPage(step) ? step.html.slice(0, 300) : ''}`);
            }
          }
        }
      }
      assert.ok(probes >= 100, `only ${probes} probes: the forms were not found`);
    });

    it('answers hostile audit and user filters and forged cursors with a page, never a 500', async () => {
      const t = `/admin/tenants/${slug}`;
      const probes: Array<[string, string]> = [];
      for (const name of ['type', 'who', 'from', 'to', 'before']) for (const [label, value] of hostileTextValues) probes.push([`${t}/audit?${name}=${value}`, label]);
      for (const name of ['q', 'cursor']) for (const [label, value] of hostileTextValues) probes.push([`${t}/users?${name}=${value}`, label]);
      for (const [label, cursor] of hostileCursors) probes.push([`${t}/users?cursor=${cursor}`, label], [`${t}/audit?before=${cursor}`, label]);
      for (const [path, label] of probes) {
        const step = await browser.navigate(`${server.url}${path}`);
        assert.ok(statusOf(step) < 500, `${path} (${label}) → ${statusOf(step)}`);
      }
      for (const from of ['0000-01-01T00%3A00', '%2B010000-01-01T00%3A00%3A00Z']) {
        const page = asConsolePage(await browser.navigate(`${server.url}${t}/audit?from=${from}`), 'the audit page');
        assert.equal(page.status, 400);
        assert.match(page.html, /between the years 1 and 9999/);
      }
    });
  });
});
