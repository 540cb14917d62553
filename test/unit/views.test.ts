// Every hosted-page template: safe (escaped, no script or style), accessible (labels, unique ids), CSRF on every
// form, and the shared page chrome. Page-by-page behaviour: page-views.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createPageRenderer, viewsDir } from '../../src/http/page-renderer.js';
import { english, CSRF, EVIL_ESCAPED, LOGOUT_FORM, PASSKEY_SCRIPT, inputIds, page, render, renderer, samples, button, buttons } from '../support/view-samples.js';

test('there is a sample for every view on disk', async () => {
  const views = (await readdir(viewsDir)).filter((f) => f.endsWith('.ejs')).map((f) => f.slice(0, -4));
  assert.deepEqual(views.sort(), Object.keys(samples).sort());
});

for (const [view, data] of Object.entries(samples)) {
  test(`${view}: safe, accessible, script- and style-free`, async () => {
    const html = await renderer.render(view, data);
    assert.match(html, /^<!doctype html>\s*<html lang="de">/);
    assert.doesNotMatch(html.replaceAll(PASSKEY_SCRIPT, ''), /<script/i);
    assert.doesNotMatch(html, /\sstyle\s*=|<style/i);
    assert.ok(html.includes(EVIL_ESCAPED), 'tenant name is shown escaped');
    assert.match(html, /<link rel="stylesheet" href="\/assets\/tessera.css">\s*<link rel="stylesheet" href="\/t\/acme\/brand.css">/);
    assert.match(html, /<main\b[\s\S]*<\/main>\s*<footer[^>]*>Secured by Tessera<\/footer>/);
    assert.doesNotMatch(html, /<img class="brand-logo"/, 'no logo without logoUrl');
    for (const id of inputIds(html)) {
      assert.ok(id, `${view}: every visible input has an id`);
      assert.ok(html.includes(`<label for="${id}">`), `${view}: #${id} has a label`);
    }
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!);
    assert.equal(new Set(ids).size, ids.length, `${view}: ids are unique`);
    for (const [, refs] of html.matchAll(/aria-describedby="([^"]+)"/g)) {
      for (const ref of refs!.split(' ')) assert.ok(ids.includes(ref), `${view}: aria-describedby points at #${ref}`);
    }
    for (const [form] of html.matchAll(/<form\b[\s\S]*?<\/form>/g)) {
      // oidc-provider's own forms (logout, device verification) carry its `xsrf` field
      const field = form.includes('id="op.') || view === 'device-input' ? 'xsrf' : '_csrf';
      assert.ok(new RegExp(`type="hidden" name="${field}" value="${CSRF}"`).test(form), `${view}: CSRF field in ${form}`);
    }
  });
}

test('login: fields, autocomplete, and an announced error linked to the inputs', async () => {
  const html = await renderer.render('login', samples.login!);
  assert.match(html, /<form method="post" action="\/i\/1\/login"/);
  assert.match(html, /<form method="post" action="\/i\/1\/abort"[\s\S]*>Cancel<\/button>/);
  assert.match(html, /<input id="email" name="email" type="email" value="&lt;script&gt;alert\(1\)&lt;\/script&gt;&#34;x" autocomplete="email"[^>]* required/);
  assert.match(html, /<input id="password" name="password" type="password" autocomplete="current-password" maxlength="128" required/);
  assert.match(html, /<p class="error" id="form-error" role="alert">&lt;script&gt;/);
  assert.equal(html.match(/aria-describedby="form-error"/g)?.length, 2);
  assert.ok(html.indexOf('role="alert"') < html.indexOf('<form'), 'error above the form');
  assert.match(html, /to continue to <strong>&lt;script&gt;/);

  const clean = await renderer.render('login', { ...samples.login, error: null, email: '' });
  assert.doesNotMatch(clean, /role="alert"|aria-describedby|aria-invalid/);
  assert.match(clean, /<input id="email"[^>]* autofocus>/);
});

test('consent: scopes listed, Allow and Deny post to their own endpoints', async () => {
  const html = await renderer.render('consent', samples.consent!);
  assert.match(html, /<h1>&lt;script&gt;alert\(1\)&lt;\/script&gt;&#34;x wants to:<\/h1>/);
  assert.match(html, /<li><strong>email<\/strong>/);
  assert.match(html, /action="\/i\/1\/consent"[\s\S]*>Allow<\/button>[\s\S]*action="\/i\/1\/abort"[\s\S]*>Deny<\/button>/);
});

test('logout: provider form inserted as is; only Sign out sends the logout field', async () => {
  const html = await renderer.render('logout', samples.logout!);
  assert.ok(html.includes(LOGOUT_FORM));
  const buttons = html.match(/<button\b[^>]*>[^<]*<\/button>/g) ?? [];
  assert.equal(buttons.length, 2);
  assert.match(buttons[0]!, /form="op.logoutForm" name="logout" value="yes"[^>]*>Sign out</);
  assert.match(buttons[1]!, /form="op.logoutForm"[^>]*>Stay signed in</);
  assert.doesNotMatch(buttons[1]!, /\bname=/);
});

test('error and expired pages: reference id, safe back links only', async () => {
  const error = await renderer.render('error', samples.error!);
  assert.match(error, /<code class="ref">&lt;script&gt;/);
  assert.match(error, /<a class="button button-primary" href="https:\/\/app.example.com\/">Go back<\/a>/);
  const expired = await renderer.render('expired', samples.expired!);
  assert.match(expired, /This sign-in has expired/);
  assert.match(expired, /href="https:\/\/app.example.com\/">Start again<\/a>/);
  for (const backUrl of [null, 'javascript:alert(1)', '//evil.example/']) {
    const html = await renderer.render('expired', { ...samples.expired, backUrl });
    assert.doesNotMatch(html, /<a\b/, String(backUrl));
    assert.match(html, /Go back to the app/);
    assert.doesNotMatch(await renderer.render('error', { ...samples.error, backUrl, requestId: null }), /<a\b|<code/);
  }
});

test('the error page shows a next-step link (421: the right origin) only for web URLs', async () => {
  const link = await renderer.render('error', { ...samples.error, backUrl: null, link: { href: 'https://id.example.com/', label: '<script>' } });
  assert.match(link, /<a class="button button-primary" href="https:\/\/id.example.com\/">&lt;script&gt;<\/a>/);
  const unsafe = await renderer.render('error', { ...samples.error, backUrl: null, link: { href: 'javascript:alert(1)', label: 'x' } });
  assert.doesNotMatch(unsafe, /<a\b/);
});

test('logo shown beside the tenant name (decorative, so a logo that fails leaves the name), only when set', async () => {
  const html = await renderer.render('logged-out', { ...samples['logged-out'], page: page('https://cdn.example.com/l.png') });
  assert.match(html, /<img class="brand-logo" src="https:\/\/cdn.example.com\/l.png" alt="" referrerpolicy="no-referrer">\s*<span class="brand-name">&lt;script&gt;/);
  assert.doesNotMatch((await renderer.render('logged-out', samples['logged-out']!)), /<img/);
  const plain = await renderer.render('logged-out', samples['logged-out']!);
  assert.match(plain, /<span class="brand-name">&lt;script&gt;/);
});

test('templates print raw HTML only for includes and the provider logout form', async () => {
  const files = [...Object.keys(samples), 'partials/head', 'partials/foot', 'partials/passkey-texts'];
  for (const file of files) {
    const source = await readFile(join(viewsDir, `${file}.ejs`), 'utf8');
    for (const [raw] of source.matchAll(/<%-[^%]*%>/g)) {
      // magic-link-sent passes the head a page whose refresh it decides (data, not markup)
      // th() is the translator's HTML form: catalogue text and values escaped, only **…** made <strong>
      assert.match(raw, /^<%- (include\('partials\/(head|foot|passkey-texts)'(, \{ page: \{ \.\.\.page, [^}]*\} \})?\)|formHtml|th\('[a-zA-Z.]+'( \+ via)?(, \{ [^}]* \})?\)) %>$/, `${file}: ${raw}`);
    }
  }
});

test('outbox: one row per message, escaped, web links only, an empty state', async () => {
  const html = await renderer.render('outbox', samples.outbox!);
  assert.equal(html.match(/<tr>/g)?.length, 3, 'a header row and two messages');
  assert.match(html, /<time datetime="2026-01-02T03:04:05.678Z">2026-01-02 03:04:05 UTC<\/time>/);
  assert.match(html, /<code class="ref">&lt;script&gt;/);
  assert.match(html, /<a href="https:\/\/id.example.com\/t\/acme\/magic\?t=&lt;script&gt;[^"]*">/);
  assert.equal(html.match(/<a\b/g)?.length, 1, 'the javascript: link is printed, not linked');
  assert.match(html, /<td data-label="Link">javascript:alert\(1\)<\/td>/);
  assert.match(html, /<td data-label="Subject">SMS &lt;script&gt;/, 'an SMS shows its text where an email has a subject');
  assert.match(html, /<td data-label="Delivered">yes<\/td>[\s\S]*<td data-label="Delivered">no<\/td>/);
  const empty = await renderer.render('outbox', { ...samples.outbox, entries: [] });
  assert.doesNotMatch(empty, /<table/);
  assert.match(empty, /No messages yet/);
});

test('the renderer refuses names outside the views folder and unknown views', async () => {
  for (const name of ['../package', '../../package', 'partials/head', 'head', 'Login', 'login.ejs', 'nope', 'partials', '']) {
    await assert.rejects(renderer.render(name, samples.login!), /http\.unknown_view/, name);
  }
});

test('a caching renderer renders the same page twice', async () => {
  const cached = createPageRenderer({ viewsDir, cache: true });
  const data = { ...samples.expired!, t: english.t, th: english.th };
  const first = await cached.render('expired', data);
  assert.equal(await cached.render('expired', data), first);
});

test('the stylesheet takes the brand colour only from custom properties', async () => {
  const css = await readFile(join(viewsDir, 'assets', 'tessera.css'), 'utf8');
  assert.match(css, /var\(--brand\b/);
  assert.match(css, /var\(--brand-contrast\b/);
  assert.match(css, /:focus-visible/);
  assert.doesNotMatch(css, /--brand\s*:/, 'the brand sheet, not tessera.css, defines --brand');
});

