import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  renderCodeEmail,
  renderPasswordChangedEmail,
  smsText,
  type CodePurpose,
  type EmailBrand,
} from '../../src/notifications/email/email-templates.js';
import { supportedLocales, translator } from '../../src/i18n/i18n.js';

const GSM_7 = /^[@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&'()*+,\-./0-9:;<=>?¡A-ZÄÖÑÜ§¿a-zäöñüà^{}\\[~\]|€]*$/;

const brand: EmailBrand = { name: 'Acme Books', logoUrl: 'https://cdn.example.com/acme.png', primaryColor: '#0f766e' };
const LINK = 'https://id.example.com/t/acme/magic?token=abc&x=1';
const purposes: CodePurpose[] = ['signup', 'login', 'reset', 'verify'];
const EVIL = '<script>alert(1)</script>"&\'';

/** the text a reader sees: tags dropped, entities decoded (enough for these templates) */
function visible(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#34;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

describe('renderCodeEmail', () => {
  for (const purpose of purposes) {
    test(`${purpose}: subject, code, link as button and URL, expiry, brand, "did not ask" line`, async () => {
      const email = await renderCodeEmail({ brand, purpose, code: '482913', link: LINK, ttlMinutes: 10 });
      assert.match(email.subject, /Acme Books/);
      assert.doesNotMatch(email.subject, /482913/, 'the code stays out of the subject (mail logs, previews)');

      const escapedLink = LINK.replace(/&/g, '&amp;');
      assert.match(email.html, /^<!doctype html>/);
      assert.ok(email.html.includes(`<title>${email.subject}</title>`));
      assert.match(email.html, />482913<\/span>/, 'the code alone in its element');
      const anchors = [...email.html.matchAll(/<a href="([^"]+)"[^>]*>([^<]*)<\/a>/g)];
      assert.equal(anchors.length, 2, 'a button and the plain URL');
      for (const [, href] of anchors) assert.equal(href, escapedLink);
      assert.equal(anchors[1]![2], escapedLink, 'the URL is printed too');
      assert.match(email.html, /background-color:#0f766e;"><a href=/, 'the button wears the brand colour');
      assert.match(email.html, /border-top:4px solid #0f766e/);
      assert.match(email.html, /<img src="https:\/\/cdn.example.com\/acme.png" alt="Acme Books"/);
      assert.doesNotMatch(email.html, /<script|<style|<link/i);

      for (const body of [visible(email.html), email.text]) {
        assert.match(body, /482913/);
        assert.match(body, /expire in 10 minutes/);
        assert.match(body, /If you did not/);
        assert.match(body, /Acme Books/);
      }
      assert.ok(email.text.includes(LINK), 'the text version has the raw link');
      assert.match(email.text, /^ {4}482913$/m, 'the code on a line of its own');
      assert.doesNotMatch(email.text, /<[a-z]|&amp;|&lt;/i, 'no markup or entities in the text version');
    });
  }

  test('a sign-in email with a link is titled for the link, one without for the code', async () => {
    const linked = await renderCodeEmail({ brand, purpose: 'login', code: '1', link: LINK, ttlMinutes: 5 });
    assert.equal(linked.subject, 'Your Acme Books sign-in link');
    assert.match(linked.html, /<h1[^>]*>Your sign-in link<\/h1>/);
    assert.equal((await renderCodeEmail({ brand, purpose: 'login', code: '1', ttlMinutes: 5 })).subject, 'Your Acme Books sign-in code');
  });

  test('subjects differ per purpose', async () => {
    const subjects = await Promise.all(purposes.map(async (purpose) => (await renderCodeEmail({ brand, purpose, code: '1', ttlMinutes: 5 })).subject));
    assert.equal(new Set(subjects).size, purposes.length);
    assert.match(subjects[2]!, /password/i);
  });

  test('without a link: no button, no URL, and the expiry speaks of the code only', async () => {
    const email = await renderCodeEmail({ brand, purpose: 'login', code: '1234', ttlMinutes: 1 });
    assert.doesNotMatch(email.html, /<a\b/);
    assert.doesNotMatch(email.text, /https?:/);
    assert.match(email.text, /The code expires in 1 minute and works only once\./);
  });

  test('a sign-in link says it signs in only the browser that asked, and the "did not ask" line says so too', async () => {
    const email = await renderCodeEmail({ brand, purpose: 'login', code: '482913', link: LINK, ttlMinutes: 10 });
    for (const body of [visible(email.html), email.text]) {
      assert.match(body, /The link signs you in only on the device and in the browser where you started signing in\. Opened anywhere else, it signs in nobody\./);
      assert.match(body, /If you did not try to sign in, you can ignore this email: the link and the code are of no use to anyone without it, and opening the link does not sign anyone in elsewhere\./);
      assert.doesNotMatch(body, /nobody can sign in without this code/);
    }
    const codeOnly = await renderCodeEmail({ brand, purpose: 'login', code: '482913', ttlMinutes: 10 });
    assert.match(codeOnly.text, /nobody can sign in without this code/);
    assert.doesNotMatch(codeOnly.text, /browser where you started/);
    const reset = await renderCodeEmail({ brand, purpose: 'reset', code: '482913', link: LINK, ttlMinutes: 10 });
    assert.doesNotMatch(reset.text, /browser where you started/, 'a reset link may be opened anywhere');
  });

  test('an app\'s link says where it works: where it is opened, or (PKCE) only on the device and in the app that asked', async () => {
    const opener = await renderCodeEmail({ brand, purpose: 'login', code: '482913', link: LINK, ttlMinutes: 10, linkSignsIn: 'opener' });
    const bound = await renderCodeEmail({ brand, purpose: 'login', code: '482913', link: LINK, ttlMinutes: 10, linkSignsIn: 'asking-device' });
    for (const body of [visible(opener.html), opener.text]) {
      assert.match(body, /The link signs you in on the device and in the browser where you open it\. It signs in nobody else\./);
      assert.doesNotMatch(body, /where you asked to sign in|where you started signing in/);
    }
    for (const body of [visible(bound.html), bound.text]) {
      assert.match(body, /The link works only on the device, and in the app or browser, where you asked to sign in: open it there\. Opened anywhere else, it signs in nobody\./);
      assert.match(body, /If you did not try to sign in, you can ignore this email/);
      assert.doesNotMatch(body, /where you open it|where you started signing in/);
    }
    assert.equal(bound.subject, opener.subject);
  });

  test('whole hours read as hours', async () => {
    const email = await renderCodeEmail({ brand, purpose: 'verify', code: '1234', ttlMinutes: 120 });
    assert.match(email.text, /expires in 2 hours/);
  });

  test('the tenant name and the code are escaped in the HTML, and kept single-line in the subject', async () => {
    const evilBrand = { name: `${EVIL}\r\nBcc: victim@example.com`, logoUrl: null, primaryColor: '#112233' };
    const email = await renderCodeEmail({ brand: evilBrand, purpose: 'signup', code: EVIL, link: LINK, ttlMinutes: 10 });
    assert.doesNotMatch(email.html, /<script/);
    assert.ok(email.html.includes('&lt;script&gt;alert(1)&lt;/script&gt;&#34;&amp;&#39;'));
    assert.doesNotMatch(email.subject, /[\r\n]/);
    assert.doesNotMatch(email.html, /<img/, 'no logo: the name is shown instead');
    assert.ok(email.text.includes('<script>alert(1)</script>'), 'the text version is plain text, not HTML');
  });

  test('the brand colour is used only when it is #rrggbb; a logo only when it is https', async () => {
    for (const primaryColor of ['red', '#fff', '#12345g', 'url(javascript:alert(1))', '#000000;background:url(x)']) {
      const email = await renderCodeEmail({ brand: { ...brand, primaryColor }, purpose: 'login', code: '1', link: LINK, ttlMinutes: 5 });
      assert.ok(!email.html.includes(`solid ${primaryColor};`) && !email.html.includes(`background-color:${primaryColor};`), primaryColor);
      assert.match(email.html, /border-top:4px solid #1d4ed8/, 'falls back to the default brand colour');
    }
    for (const logoUrl of ['http://cdn.example.com/l.png', 'javascript:alert(1)', 'https://user:pw@cdn.example.com/l.png', 'not a url']) {
      const email = await renderCodeEmail({ brand: { ...brand, logoUrl }, purpose: 'login', code: '1', ttlMinutes: 5 });
      assert.doesNotMatch(email.html, /<img/, logoUrl);
    }
  });

  test('button text contrasts with the brand colour', async () => {
    const light = await renderCodeEmail({ brand: { ...brand, primaryColor: '#fde047' }, purpose: 'login', code: '1', link: LINK, ttlMinutes: 5 });
    assert.match(light.html, /color:#000000;text-decoration:none/);
    const dark = await renderCodeEmail({ brand: { ...brand, primaryColor: '#1e3a8a' }, purpose: 'login', code: '1', link: LINK, ttlMinutes: 5 });
    assert.match(dark.html, /color:#ffffff;text-decoration:none/);
  });

  test('refuses a link that is not a web URL and a ttl that is not a positive integer', async () => {
    await assert.rejects(renderCodeEmail({ brand, purpose: 'login', code: '1', link: 'javascript:alert(1)', ttlMinutes: 5 }), /email\.invalid_link/);
    await assert.rejects(renderCodeEmail({ brand, purpose: 'login', code: '1', ttlMinutes: 0 }), RangeError);
  });
});

describe('renderPasswordChangedEmail', () => {
  test('says when and from where, what to do if it was not you, branded and escaped', async () => {
    const email = await renderPasswordChangedEmail({
      brand: { ...brand, name: `Acme ${EVIL}` },
      when: new Date('2026-03-04T05:06:07Z'),
      ip: '203.0.113.9',
    });
    assert.match(email.subject, /password was changed/);
    for (const body of [visible(email.html), email.text]) {
      assert.match(body, /4 March 2026 at 05:06 UTC/);
      assert.match(body, /203\.0\.113\.9/);
      assert.match(body, /If you did not change it, reset your password/);
    }
    assert.doesNotMatch(email.html, /<script/);
    assert.match(email.html, /border-top:4px solid #0f766e/);
  });

  test('without an IP address the sentence still reads', async () => {
    const email = await renderPasswordChangedEmail({ brand, when: new Date('2026-03-04T05:06:07Z'), ip: null });
    assert.match(email.text, /was changed on 4 March 2026 at 05:06 UTC\./);
    assert.doesNotMatch(email.text, /IP address/);
  });
});

describe('smsText', () => {

  for (const purpose of purposes) {
    test(`${purpose}: contains the code and the expiry, one GSM-7 segment even for a very long brand`, () => {
      const short = smsText({ brandName: 'Acme', purpose, code: '482913', ttlMinutes: 10 });
      assert.match(short, /^482913 is your Acme .*code\. It expires in 10 minutes\./);
      const long = smsText({ brandName: 'The Extraordinarily Long-Named Bookshop and Café Company of Greater Manchester, Limited '.repeat(3), purpose, code: '48291375', ttlMinutes: 1440 });
      assert.ok(long.length <= 160, `${long.length}: ${long}`);
      assert.ok(long.startsWith('48291375 is your The Extraordinarily'), long);
      assert.match(long, /expires in 24 hours/);
      assert.match(long, GSM_7);
    });
  }

  test('brand characters outside GSM-7 are transliterated or dropped, so the message stays GSM-7', () => {
    const text = smsText({ brandName: 'Łódź “Zażółć” 🚀 Bücher', purpose: 'login', code: '1234', ttlMinutes: 5 });
    assert.match(text, GSM_7, text);
    assert.match(text, /^1234 is your Lodz "Zazolc" Bücher sign-in code\./);
  });

  test('counts GSM-7 extension characters twice', () => {
    const text = smsText({ brandName: '€'.repeat(200), purpose: 'login', code: '1234', ttlMinutes: 5 });
    const septets = [...text].reduce((n, c) => n + ('^{}\\[~]|€'.includes(c) ? 2 : 1), 0);
    assert.ok(septets <= 160, String(septets));
    assert.ok(septets >= 158, 'the brand uses the room there is');
  });

  test('a brand with nothing printable leaves a clean sentence; line breaks never reach the SMS', () => {
    assert.equal(smsText({ brandName: '🚀🚀', purpose: 'reset', code: '9999', ttlMinutes: 10 }), '9999 is your password reset code. It expires in 10 minutes. Do not share it.');
    assert.doesNotMatch(smsText({ brandName: 'A\r\nB', purpose: 'login', code: '1', ttlMinutes: 5 }), /[\r\n]/);
  });
});

describe('messages in the language of the sign-in', () => {
  test('an email in every shipped language: its own subject, lang attribute, expiry and footer; no English left', async () => {
    const english = await renderCodeEmail({ brand, purpose: 'login', code: '482913', link: LINK, ttlMinutes: 10 });
    for (const locale of supportedLocales.filter((l) => l !== 'en')) {
      const email = await renderCodeEmail({ brand, purpose: 'login', code: '482913', link: LINK, ttlMinutes: 10, words: translator(locale) });
      assert.notEqual(email.subject, english.subject, locale);
      assert.match(email.subject, /Acme Books/, locale);
      assert.match(email.html, new RegExp(`<html lang="${locale}">`));
      for (const body of [visible(email.html), email.text]) {
        assert.match(body, /482913/);
        assert.match(body, /\b10\b/, `${locale}: the expiry keeps its number`);
        for (const phrase of ['expire in', 'Or do it in one step', 'If you did not', 'Never share', 'Sent by']) assert.ok(!body.includes(phrase), `${locale}: "${phrase}" is English`);
      }
    }
    // each kind of sign-in link says what it does in every language: three different sentences, none English
    for (const locale of supportedLocales) {
      const says = await Promise.all((['asker', 'asking-device', 'opener'] as const).map(async (linkSignsIn) =>
        (await renderCodeEmail({ brand, purpose: 'login', code: '1', link: LINK, ttlMinutes: 10, linkSignsIn, words: translator(locale) })).text));
      assert.equal(new Set(says).size, 3, locale);
      if (locale !== 'en') for (const text of says) assert.doesNotMatch(text, /The link (signs|works)/, locale);
    }
    const hindi = await renderCodeEmail({ brand, purpose: 'reset', code: '1', ttlMinutes: 120, words: translator('hi') });
    assert.match(hindi.text, /2 घंटे/);
    const changed = await renderPasswordChangedEmail({ brand, when: new Date('2026-03-04T05:06:07Z'), ip: null, words: translator('de') });
    assert.equal(changed.subject, 'Ihr Passwort für Acme Books wurde geändert');
    assert.match(changed.text, /4\. März 2026/);
  });

  test('a tenant\'s own text replaces the catalogue\'s in its email', async () => {
    const words = translator('fr', { fr: { 'email.login.subject': 'Code {{name}} pour entrer' } });
    assert.equal((await renderCodeEmail({ brand, purpose: 'login', code: '1', ttlMinutes: 5, words })).subject, 'Code Acme Books pour entrer');
  });

  test('an SMS in a Latin-script language stays one GSM-7 segment (accents transliterated); Hindi fits two UCS-2 segments', () => {
    const spanish = smsText({ brandName: 'Acme', purpose: 'login', code: '482913', ttlMinutes: 10, words: translator('es') });
    assert.equal(spanish, '482913 es tu codigo de acceso de Acme. Caduca en 10 minutos. No lo compartas.');
    for (const locale of ['es', 'fr', 'de', 'pt'] as const) {
      const long = smsText({ brandName: 'Extraordinarily Long-Named Bookshop Company '.repeat(5), purpose: 'reset', code: '48291375', ttlMinutes: 1440, words: translator(locale) });
      assert.match(long, GSM_7, `${locale}: ${long}`);
      assert.ok(long.length <= 160 && long.startsWith('48291375 '), `${locale}: ${long}`);
    }
    const hindi = smsText({ brandName: 'Acme Books '.repeat(20), purpose: 'mfa', code: '482913', ttlMinutes: 10, words: translator('hi') });
    assert.ok(hindi.length <= 134, `${hindi.length}: ${hindi}`);
    assert.match(hindi, /^482913 आपका Acme/);
    assert.match(hindi, /10 मिनट में समाप्त/);
    assert.equal(smsText({ brandName: '🚀', purpose: 'login', code: '1', ttlMinutes: 5, words: translator('hi') }), '1 आपका साइन-इन कोड है। 5 मिनट में समाप्त। किसी को न बताएँ।');
  });
});
