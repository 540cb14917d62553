// What each hosted page shows and offers: the login page's controls per method, phone and code pages, magic links,
// sign-up and reset forms, notices, passkeys — rendered from the samples in test/support/view-samples.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { viewsDir } from '../../src/http/page-renderer.js';
import { contrastRatio } from '../../src/tenants/branding.js';
import { EVIL, PASSKEY_SCRIPT, page, render, renderer, samples, button, buttons, formCount } from '../support/view-samples.js';

test('login: every combination of methods renders exactly its controls', async () => {
  const names = ['password', 'emailOtp', 'magicLink', 'phone', 'signUp', 'passwordReset'] as const;
  for (let bits = 0; bits < 2 ** names.length; bits++) {
    const methods = Object.fromEntries(names.map((name, i) => [name, (bits & (1 << i)) !== 0])) as Record<(typeof names)[number], boolean>;
    const html = await render('login', { methods, error: null, email: '', connections: [] });
    const label = JSON.stringify(methods);
    const byEmail = methods.emailOtp || methods.magicLink;
    assert.equal(html.includes('id="password"'), methods.password, `password field: ${label}`);
    assert.equal(html.includes('id="email"'), methods.password || byEmail, `email field: ${label}`);
    assert.equal(!!button(html, 'Sign in'), methods.password, `Sign in: ${label}`);
    for (const [on, url, text] of [[methods.emailOtp, '/i/1/email-code', 'Email me a sign-in code'], [methods.magicLink, '/i/1/magic-link', 'Email me a sign-in link']] as const) {
      const found = button(html, text);
      assert.equal(!!found, on, `${text}: ${label}`);
      if (!found) continue;
      assert.match(found, new RegExp(`^<button type="submit" formaction="${url}"`));
      assert.equal(/\sformnovalidate\b/.test(found), methods.password, `formnovalidate only beside a required password: ${label}`);
    }
    // the email buttons share the one form that holds the email field, so the typed address is sent
    const emailForm = /<form\b[^>]*>(?:(?!<\/form>)[\s\S])*id="email"[\s\S]*?<\/form>/.exec(html)?.[0] ?? '';
    for (const text of ['Sign in', 'Email me a sign-in code', 'Email me a sign-in link']) {
      if (button(html, text)) assert.ok(emailForm.includes(`>${text}</button>`), `${text} in the email form: ${label}`);
    }
    assert.equal(formCount(html), (methods.password || byEmail ? 1 : 0) + 1, `forms: ${label}`);
    if (!methods.password && byEmail) {
      const first = methods.emailOtp ? '/i/1/email-code' : '/i/1/magic-link';
      assert.match(emailForm, new RegExp(`^<form method="post" action="${first}"`), `Enter goes to an email method: ${label}`);
      assert.match(html, /<input id="email"[^>]* required autofocus>/);
    }
    assert.equal(html.includes('<a href="/i/1/reset">Forgot password?</a>'), methods.password && methods.passwordReset, `reset link: ${label}`);
    assert.equal(/<a class="button [^"]+" href="\/i\/1\/phone">Use your phone number<\/a>/.test(html), methods.phone, `phone link: ${label}`);
    assert.equal(html.includes('New here? <a href="/i/1/signup">Create an account</a>'), methods.signUp, `sign-up link: ${label}`);
    const ways = [methods.password, byEmail, methods.phone].filter(Boolean).length;
    assert.equal(html.match(/<p class="divider">or<\/p>/g)?.length ?? 0, ways >= 2 ? 1 : 0, `one "or" before the alternatives: ${label}`);
    assert.equal(html.includes('There is no way to sign in'), !methods.password && !byEmail && !methods.phone, `empty state: ${label}`);
    assert.match(html, /<form method="post" action="\/i\/1\/abort"[\s\S]*>Cancel<\/button>\s*<\/form>\s*<\/main>/, `Cancel last: ${label}`);
    assert.equal(html.match(/class="button button-primary"/g)?.length ?? 0, methods.password || byEmail || methods.phone ? 1 : 0, `one primary action: ${label}`);
  }
});

test('login: reading order, and a notice announced politely above the form', async () => {
  const html = await render('login');
  const order = ['role="status"', 'role="alert"', 'id="email"', 'id="password"', '>Sign in</button>', 'Forgot password?', 'Email me a sign-in code', 'Email me a sign-in link', 'Use your phone number', 'Continue with', 'Create an account', '>Cancel<'];
  const at = order.map((s) => html.indexOf(s));
  assert.ok(at.every((i) => i > 0), String(at));
  assert.deepEqual([...at].sort((a, b) => a - b), at);
  assert.match(html, /<p class="notice" id="form-notice" role="status">&lt;script&gt;/);
  const quiet = await render('login', { notice: null, error: null });
  assert.doesNotMatch(quiet, /role="status"|role="alert"/);
});

test('phone: a labelled tel field with its hint, one button per channel, a way back', async () => {
  const html = await render('phone');
  assert.match(html, /<label for="phone">Phone number<\/label>\s*<p class="hint" id="phone-hint">Include the country code, e.g. \+44 7911 123456<\/p>/);
  assert.match(html, /<input id="phone" name="phone" type="tel" value="&lt;script&gt;[^"]*" autocomplete="tel" inputmode="tel" [^>]*required autofocus aria-describedby="form-error phone-hint" aria-invalid="true">/);
  assert.match(html, /<a href="\/i\/1">Back<\/a>/);
  const channelButtons = async (channels: object) => buttons(await render('phone', { channels, error: null }));
  const sms = '<button type="submit" name="channel" value="sms" class="button button-primary">Text me a code</button>';
  const whatsapp = (kind: string) => `<button type="submit" name="channel" value="whatsapp" class="button button-${kind}">Send the code on WhatsApp</button>`;
  assert.deepEqual(await channelButtons({ sms: true, whatsapp: true }), [sms, whatsapp('secondary')]);
  assert.deepEqual(await channelButtons({ sms: true, whatsapp: false }), [sms]);
  assert.deepEqual(await channelButtons({ sms: false, whatsapp: true }), [whatsapp('primary')]);
  const none = await render('phone', { channels: { sms: false, whatsapp: false } });
  assert.equal(formCount(none), 0);
  assert.match(none, /not available/);
  assert.match(await render('phone', { error: null }), /aria-describedby="phone-hint">/);
});

test('code: a one-time-code field sized to the code, a separate resend form, a way back', async () => {
  const html = await render('code');
  assert.match(html, /<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="\[0-9\]\*" maxlength="6" [^>]*required autofocus aria-describedby="form-error code-hint" aria-invalid="true">/);
  assert.match(html, /<p class="hint" id="code-hint">The 6-digit code from the email<\/p>/);
  assert.match(html, /<form method="post" action="\/i\/1\/code\/c1" class="stack">[\s\S]*>Continue<\/button>\s*<\/form>/);
  assert.match(html, /<form method="post" action="\/i\/1\/code\/c1\/resend" class="stack">\s*<input type="hidden"[^>]*>\s*<p class="hint" id="resend-wait">You can ask for a new code in 42 seconds.<\/p>\s*<button type="submit" class="button button-secondary" aria-describedby="resend-wait">Send a new code<\/button>/);
  assert.match(html, /<a href="\/i\/1">Use another way to sign in<\/a>/);
  assert.ok(html.indexOf('role="alert"') < html.indexOf('<form'), 'messages above the form');
  assert.match(await render('code', { resendAvailableIn: 1 }), /in 1 second\./);
  const now = await render('code', { resendAvailableIn: 0, error: null, notice: null, codeLength: 8 });
  assert.doesNotMatch(now, /resend-wait|aria-invalid|role="alert"|role="status"/);
  assert.match(now, /<button type="submit" class="button button-secondary">Send a new code<\/button>/, 'the button is there either way');
  assert.match(now, /maxlength="8"/);
});

test('code: heading per channel, and sign-in and reset pages that do not say whether an account exists', async () => {
  const lead = (html: string) => /<p class="lead">([\s\S]*?)<\/p>/.exec(html)?.[1];
  const dest = '<strong>&lt;script&gt;alert(1)&lt;/script&gt;&#34;x</strong>';
  for (const purpose of ['login', 'reset']) {
    assert.equal(lead(await render('code', { purpose })), `If an account can use this address, we sent a code to ${dest}.`);
  }
  for (const purpose of ['signup', 'verify']) assert.equal(lead(await render('code', { purpose })), `We sent a code to ${dest}.`);
  assert.match(await render('code', { purpose: 'signup' }), /If this address already has an account, no code is sent/);
  const sms = await render('code', { channel: 'sms' });
  assert.match(sms, /<h1>Check your phone<\/h1>/);
  assert.equal(lead(sms), `If an account can use this number, we sent a code by text message to ${dest}.`);
  assert.match(sms, /The 6-digit code from the message/);
  assert.match(await render('code', { channel: 'whatsapp', purpose: 'verify' }), /<h1>Check your phone<\/h1>[\s\S]*on WhatsApp or by text message/);
  assert.match(await render('code'), /<h1>Check your email<\/h1>/);
});

test('magic-link-sent: says the link signs in only here, offers the code, never reloads and asks nothing', async () => {
  const waiting = await render('magic-link-sent');
  assert.doesNotMatch(waiting, /http-equiv/);
  assert.match(waiting, /<h1>Check your email<\/h1>/);
  assert.match(waiting, /we sent a sign-in link to <strong>&lt;script&gt;[^<]*<\/strong>. Open it in this browser: it signs in only here./);
  assert.match(waiting, /<a class="button button-secondary" href="\/i\/1\/code\/c1">Enter the code from the email<\/a>/);
  assert.match(waiting, /<a href="\/i\/1">Use another way to sign in<\/a>/);
  assert.equal(formCount(waiting), 0, 'nothing to confirm or deny');
  assert.doesNotMatch(waiting, /Was this you|confirm|deny/i);
});

test('magic-link-elsewhere: says the link works only where it was asked for, offers nothing to click', async () => {
  const html = await render('magic-link-elsewhere');
  assert.match(html, /<h1>This link works only in the browser where you asked for it<\/h1>/);
  assert.match(html, /Nobody has been signed in\./);
  assert.match(html, /If you did not ask for it, close this page and ignore the email/);
  assert.doesNotMatch(html, /<form|<a\b|http-equiv/);
});

test('signup, reset request and new password: autocomplete, length rules and hints', async () => {
  const signup = await render('signup');
  assert.match(signup, /<label for="name">Name \(optional\)<\/label>\s*<input id="name" name="name" type="text" value="&lt;script&gt;[^"]*" autocomplete="name" maxlength="200">/);
  assert.match(signup, /<input id="email" name="email" type="email" value="&lt;script&gt;[^"]*" autocomplete="email"[^>]* required aria-describedby="form-error">/);
  assert.match(signup, /<p class="hint" id="password-hint">At least 8 characters<\/p>\s*<input id="password" name="password" type="password" autocomplete="new-password" minlength="8" maxlength="128" required aria-describedby="form-error password-hint" autofocus>/);
  assert.match(signup, /action="\/i\/1\/signup"[\s\S]*>Create account<\/button>/);
  assert.match(signup, /Already have an account\? <a href="\/i\/1">Sign in<\/a>/);
  assert.match(await render('signup', { email: '', error: null }), /<input id="name"[^>]* autofocus>/);

  const request = await render('reset-request');
  assert.match(request, /<h1>Reset your password<\/h1>/);
  assert.match(request, /<input id="email" name="email" type="email" value="&lt;script&gt;[^"]*" autocomplete="email"[^>]* required autofocus aria-invalid="true" aria-describedby="form-error">/);
  assert.match(request, /action="\/i\/1\/reset"[\s\S]*>Send reset code<\/button>/);
  assert.match(request, /<a href="\/i\/1">Back to sign in<\/a>/);

  const password = await render('reset-password');
  assert.match(password, /<form method="post" action="\/i\/1\/reset\/password\?p=abc&amp;x=1"/);
  assert.match(password, /<input id="password" name="password" type="password" autocomplete="new-password" minlength="10" maxlength="128" required autofocus aria-describedby="form-error password-hint" aria-invalid="true">/);
  assert.match(password, /<label for="confirm">Confirm new password<\/label>\s*<input id="confirm" name="confirm" type="password" autocomplete="new-password" minlength="10" maxlength="128" required aria-invalid="true" aria-describedby="form-error">/);
  assert.match(password, />Set new password<\/button>/);
  assert.doesNotMatch(await render('reset-password', { error: null }), /aria-invalid|form-error/);
});

test('notice: heading and message, a web link only', async () => {
  const html = await render('notice');
  assert.match(html, /<h1>&lt;script&gt;[^<]*<\/h1>\s*<p class="lead">&lt;script&gt;/);
  assert.match(html, /<a class="button button-primary" href="https:\/\/app.example.com\/">Continue<\/a>/);
  for (const backUrl of [null, 'javascript:alert(1)', '//evil.example/']) assert.doesNotMatch(await render('notice', { backUrl }), /<a\b/, String(backUrl));
});

test('head: a refresh meta only for a positive number of seconds', async () => {
  const refreshOf = async (refreshSeconds: unknown) => /<meta http-equiv="refresh"[^>]*>/.exec(await render('expired', { page: page(null, refreshSeconds) }))?.[0];
  assert.equal(await refreshOf(7), '<meta http-equiv="refresh" content="7">');
  assert.equal(await refreshOf(2.5), '<meta http-equiv="refresh" content="3">');
  for (const none of [null, undefined, 0, -1, Number.NaN, Infinity, '5', '5; url=https://evil.example/']) {
    assert.equal(await refreshOf(none), undefined, String(none));
  }
});

test('the stylesheet’s own colours meet WCAG AA contrast', async () => {
  const css = await readFile(join(viewsDir, 'assets', 'tessera.css'), 'utf8');
  const root = /:root\s*\{([^}]*)\}/.exec(css)![1]!;
  const color = (name: string) => new RegExp(`--${name}:\\s*(#[0-9a-f]{6})`).exec(root)?.[1] ?? assert.fail(`--${name}`);
  const pairs = [['text', 'surface'], ['text', 'page'], ['muted', 'surface'], ['muted', 'page'], ['link', 'surface'], ['error', 'error-bg'], ['notice', 'notice-bg']];
  for (const [fg, bg] of pairs) assert.ok(contrastRatio(color(fg!), color(bg!)) >= 4.5, `--${fg} on --${bg}`);
  assert.ok(contrastRatio(color('line'), color('surface')) >= 3, 'input borders (non-text, 3:1)');
});

test('login: the passkey form, its script and passkey autofill only when passkeys are on', async () => {
  const off = await render('login', { methods: { ...(samples.login!.methods as object), passkey: false } });
  assert.doesNotMatch(off, /data-passkey-mode|<script|webauthn/);
  const on = await render('login', { methods: { ...(samples.login!.methods as object), passkey: true }, urls: { ...(samples.login!.urls as object), passkey: '/i/1/passkey' } });
  assert.match(on, /<input id="email"[^>]* autocomplete="email webauthn"/);
  assert.match(on, /<form method="post" action="\/i\/1\/passkey" class="stack" id="passkey-login" data-passkey-mode="login" data-options-url="\/i\/1\/passkey\/options" data-passkey-text-cancelled="The passkey request was cancelled or timed out\. Try again\."[^>]*>\s*<input type="hidden" name="_csrf" value="csrf-token-123">\s*<input type="hidden" name="credential" value="">\s*<button type="submit" class="button button-secondary" data-passkey-button>Sign in with a passkey<\/button>/);
  assert.equal(on.split(PASSKEY_SCRIPT).length, 2, 'the script once');
  const only = await render('login', { methods: { passkey: true }, connections: [], error: null, urls: { passkey: '/i/1/passkey' } });
  assert.match(only, /class="button button-primary" data-passkey-button>Sign in with a passkey</);
  assert.doesNotMatch(only, /There is no way to sign in|class="divider"/);
});

test('account-passkeys: each passkey renamed and removed by its own form; the add form only while allowed', async () => {
  const html = await render('account-passkeys');
  assert.match(html, /<li class="linked-item" data-passkey-id="p1">/);
  assert.match(html, /added 2026-11-24 · never used · synced/);
  assert.match(html, /added 2026-11-24 · last used 2026-11-25<\/span>/);
  assert.match(html, /<form method="post" action="\/t\/acme\/account\/passkeys\/p2\/rename"[\s\S]*?<input id="name-p2" name="name" type="text" value="Phone" maxlength="64" required>/);
  assert.match(html, /<form method="post" action="\/t\/acme\/account\/passkeys\/p2\/remove">[\s\S]*?>Remove Phone<\/button>/);
  assert.match(html, /<form method="post" action="\/t\/acme\/account\/passkeys" class="stack" id="passkey-register" data-passkey-mode="register" data-options-url="\/t\/acme\/account\/passkeys\/options"[^>]* data-passkey-text-already-held="This device already holds a passkey for your account\."[^>]*>/);
  assert.ok(html.includes(PASSKEY_SCRIPT));
  for (const [extra, text] of [[{ available: false }, 'as many passkeys as an account may hold'], [{ available: false, enabled: false }, 'does not offer passkeys']] as const) {
    const limited = await render('account-passkeys', extra);
    assert.doesNotMatch(limited, /data-passkey-mode|<script/);
    assert.ok(limited.includes(text), text);
  }
  const empty = await render('account-passkeys', { passkeys: [] });
  assert.match(empty, /You have no passkeys yet/);
  const signedOut = await renderer.render('account-passkeys', { page: page(), signedIn: false, signInUrl: '/t/acme/account/sign-in' });
  assert.match(signedOut, /<a class="button button-primary" href="\/t\/acme\/account\/sign-in">Sign in<\/a>/);
  assert.doesNotMatch(signedOut, /<form|<script/);
});
