// The pages of federated sign-in (issue #4): connection buttons on the login page, the "you already have an
// account" page, and the account page's link and unlink controls.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderer } from '../support/view-samples.js';

const page = { lang: 'en', title: 'Sign in', tenant: { name: 'Acme', slug: 'acme', logoUrl: null }, assetsUrl: '/assets', brandCssUrl: '/t/acme/branding.css' };
const none = { password: false, emailOtp: false, magicLink: false, phone: false, signUp: false, passwordReset: false };
const login = {
  page, action: '/i/1/login', csrfToken: 'csrf', email: '', error: null, notice: null, clientName: 'App', abortUrl: '/i/1/abort', otherWays: [],
  urls: { emailCode: '/i/1/email-code', magicLink: '/i/1/magic-link', phone: '/i/1/phone', signUp: '/i/1/signup', reset: '/i/1/reset', federated: '/i/1/federated' },
};
const button = (id: string, name: string) => ({ id, name, type: id, backgroundColor: null, textColor: null });

test('login: one button per connection, in the given order, each posting with the CSRF token to its own route', async () => {
  const html = await renderer.render('login', { ...login, methods: { ...none, password: true }, connections: [button('github', 'GitHub'), button('google', 'Google')] });
  const form = /<form method="post" action="\/i\/1\/federated\/github"[\s\S]*?<\/form>/.exec(html)?.[0] ?? '';
  assert.ok(form.includes('<input type="hidden" name="_csrf" value="csrf">'));
  const buttons = [...form.matchAll(/<button type="submit" formaction="([^"]+)"[^>]*class="([^"]+)">([^<]+)<\/button>/g)].map((m) => [m[1], m[2], m[3]]);
  assert.deepEqual(buttons, [
    ['/i/1/federated/github', 'button button-secondary button-connection connection-github', 'Continue with GitHub'],
    ['/i/1/federated/google', 'button button-secondary button-connection connection-google', 'Continue with Google'],
  ]);
  assert.equal(html.match(/<p class="divider">or<\/p>/g)?.length, 1);
});

test('login: connections alone are a way in (no empty state, no divider)', async () => {
  const html = await renderer.render('login', { ...login, methods: none, connections: [button('google', 'Google')] });
  assert.ok(html.includes('>Continue with Google</button>'));
  assert.ok(!html.includes('There is no way to sign in'));
  assert.ok(!html.includes('class="divider"'));
  const empty = await renderer.render('login', { ...login, methods: none, connections: [] });
  assert.ok(empty.includes('There is no way to sign in'));
});

test('federated-link: explains why, offers to sign in to the existing account or go back', async () => {
  const html = await renderer.render('federated-link', { page, name: 'Google', email: 'a•••@example.com', continueUrl: '/i/1/federated/continue', backUrl: '/i/1' });
  assert.match(html, /An account with <strong>a•••@example.com<\/strong> already exists here\./);
  assert.match(html, /<a class="button button-primary" href="\/i\/1\/federated\/continue">Sign in to link Google<\/a>/);
  assert.match(html, /<a class="button button-secondary" href="\/i\/1">Use another way in<\/a>/);
});

test('account: signed out, a sign-in button; signed in, unlink where allowed and link for the rest', async () => {
  const out = await renderer.render('account', { page, signedIn: false, signInUrl: '/t/acme/account/sign-in' });
  assert.match(out, /<a class="button button-primary" href="\/t\/acme\/account\/sign-in">Sign in<\/a>/);
  const html = await renderer.render('account', {
    page, signedIn: true, who: 'ann@example.com', csrfToken: 'csrf', base: '/t/acme/account', notice: 'Done', isError: false,
    linked: [{ connection: 'github', name: 'GitHub', email: 'ann@example.com', since: '2026-11-24', removable: true }, { connection: 'google', name: 'Google', email: null, since: '2026-11-20', removable: false }],
    addable: [button('discord', 'Discord')],
  });
  assert.match(html, /<form method="post" action="\/t\/acme\/account\/unlink\/github">\s*<input type="hidden" name="_csrf" value="csrf">\s*<button type="submit" class="button button-secondary">Unlink GitHub<\/button>/);
  assert.ok(!html.includes('/unlink/google'), 'the last way in has no unlink button');
  assert.match(html, /Your only way to sign in/);
  assert.match(html, /formaction="\/t\/acme\/account\/link\/discord"[^>]*>Link Discord<\/button>/);
  assert.match(html, /<p class="notice" id="form-notice" role="status">Done<\/p>/);
});
