// The message catalogues (issue #14): every language has exactly the English keys, the plural forms its language
// needs, the same values in each text; the language choice (ui_locales, Accept-Language, tenant default); a
// tenant's overrides (validated, escaped) on top.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { viewsDir } from '../../src/http/page-renderer.js';
import { catalogues, flatKeys, placeholders, supportedLocales, textAt, translator } from '../../src/i18n/i18n.js';
import { acceptedLanguages, chooseLocale } from '../../src/i18n/choose-locale.js';
import { textSettingsSchema } from '../../src/tenants/text-settings.js';

const pluralSuffix = /_(zero|one|two|few|many|other)$/;
/** keys without plural forms, each plural key once as its base */
const baseKeys = (catalogue: object) => new Set(flatKeys(catalogue).map((k) => k.replace(pluralSuffix, '')));

/** what is wrong with `catalogue` compared with English: missing and extra keys, missing plural forms */
function problems(locale: (typeof supportedLocales)[number]): string[] {
  const english = baseKeys(catalogues.en);
  const own = flatKeys(catalogues[locale]);
  const base = baseKeys(catalogues[locale]);
  const out = [...english].filter((k) => !base.has(k)).map((k) => `missing ${k}`);
  out.push(...[...base].filter((k) => !english.has(k)).map((k) => `extra ${k}`));
  const categories = new Intl.PluralRules(locale).resolvedOptions().pluralCategories;
  for (const key of flatKeys(catalogues.en).filter((k) => k.endsWith('_other')).map((k) => k.replace(pluralSuffix, ''))) {
    for (const category of categories) if (!own.includes(`${key}_${category}`)) out.push(`missing plural ${key}_${category}`);
  }
  for (const key of own.filter((k) => pluralSuffix.test(k))) {
    const category = pluralSuffix.exec(key)![1]!;
    if (!(categories as string[]).includes(category)) out.push(`plural form ${key} that ${locale} does not use`);
  }
  return out;
}

describe('message catalogues', () => {
  for (const locale of supportedLocales) {
    it(`${locale}: the English keys exactly, with the plural forms of its language and the same values`, () => {
      assert.deepEqual(problems(locale), []);
      for (const key of flatKeys(catalogues[locale])) {
        const text = textAt(catalogues[locale], key)!;
        const english = textAt(catalogues.en, key) ?? textAt(catalogues.en, key.replace(pluralSuffix, '_other'))!;
        assert.ok(text.trim(), `${locale} ${key} is empty`);
        const own = placeholders(text).filter((n) => n !== 'count');
        assert.deepEqual([...new Set(own)], [...new Set(placeholders(english).filter((n) => n !== 'count'))], `${locale} ${key}: values`);
        assert.equal((text.match(/\*\*/g) ?? []).length % 2, 0, `${locale} ${key}: unbalanced **`);
        assert.equal((text.match(/`/g) ?? []).length % 2, 0, `${locale} ${key}: unbalanced backticks`);
      }
    });
  }

  it('every key the views and the code name is in the English catalogue', async () => {
    const sections = Object.keys(catalogues.en).join('|');
    // a key in quotes, but not an audit event's type (`type: 'login.failed'`), an error's code (`code: 'email.…'`,
    // `new Error('email.invalid_link')`) nor a file name (`'passkeys.js'`)
    const named = new RegExp(`(?<!type: |code: |Error\\()'((?:${sections})\\.[a-zA-Z_.]+(?<!\\.e?js))'`, 'g');
    const srcDir = join(viewsDir, '..', 'src');
    const files = [
      ...(await readdir(viewsDir, { recursive: true })).filter((f) => f.endsWith('.ejs')).map((f) => join(viewsDir, f)),
      // the JSON APIs, the SDK, licensing, the login transaction and the metrics show no page text: their `login.…` strings are error
      // codes, transition results and audit events, not catalogue keys
      ...(await readdir(srcDir, { recursive: true }))
        .filter((f) => f.endsWith('.ts') && !/^(i18n|login|otp-api|rest-api|sdk|licenses|operations|errors)[\\/]/.test(f) && !f.endsWith('login-challenges.ts'))
        .map((f) => join(srcDir, f)),
    ];
    const english = new Set(flatKeys(catalogues.en));
    const missing: string[] = [];
    let seen = 0;
    for (const file of files) {
      for (const [, key] of (await readFile(file, 'utf8')).matchAll(named)) {
        seen++;
        // `'code.sentIf' + via` and the like name a family of keys: at least one must exist
        const family = [...english].some((k) => k === key || k.startsWith(`${key}_`) || (/(If|sent)$/.test(key!) && k.startsWith(key!)));
        if (!family) missing.push(`${file}: ${key}`);
      }
    }
    assert.ok(seen > 100, `found ${seen} keys: the scan works`);
    assert.deepEqual(missing, []);
  });

  it('the check notices a missing key, an extra key and a missing plural form', () => {
    const copy = structuredClone(catalogues.fr) as Record<string, Record<string, string>>;
    delete copy.login!.title;
    copy.login!.extra = 'x';
    delete copy.code!.wrong_many;
    const saved = catalogues.fr;
    (catalogues as Record<string, object>).fr = copy;
    try {
      assert.deepEqual(problems('fr').sort(), ['extra login.extra', 'missing login.title', 'missing plural code.wrong_many'].sort());
    } finally {
      (catalogues as Record<string, object>).fr = saved;
    }
  });

  it('translates with plurals and values; th escapes values and marks only **…** as bold', () => {
    const fr = translator('fr');
    assert.equal(fr.t('code.wrong', { count: 1 }), 'Ce code n’est pas le bon. Il vous reste 1 essai.');
    assert.equal(fr.t('code.wrong', { count: 3 }), 'Ce code n’est pas le bon. Il vous reste 3 essais.');
    const html = translator('en').th('login.lead', { client: '<b>**Evil**</b>' });
    assert.equal(html, 'to continue to <strong>&lt;b&gt;**Evil**&lt;/b&gt;</strong>');
    assert.equal(translator('en').t('login.lead', { client: 'App' }), 'to continue to App');
    assert.match(translator('hi').t('login.title'), /[\u0900-\u097F]/, 'Devanagari');
    assert.equal(translator('en').th('home.discoveryHint', { issuer: '<a>`x`</a>' }), 'issuer <code>&lt;a&gt;`x`&lt;/a&gt;</code>.', '`…` is code, values stay text');
    assert.equal(translator('en').t('home.discoveryHint', { issuer: 'https://x' }), 'issuer https://x.');
  });

  it('a tenant override replaces the text in its language only, escaped on pages', () => {
    const words = translator('es', { es: { 'login.title': 'Entra en <Acme>', 'code.wrong_one': 'Te queda {{count}} intento' } });
    assert.equal(words.t('login.title'), 'Entra en <Acme>');
    assert.equal(words.th('login.title'), 'Entra en &lt;Acme&gt;');
    assert.equal(words.t('code.wrong', { count: 1 }), 'Te queda 1 intento');
    assert.notEqual(translator('fr', { es: { 'login.title': 'x' } }).t('login.title'), 'x');
  });

  it('overrides are validated: known keys, known values, shipped languages', () => {
    assert.ok(textSettingsSchema.safeParse({ defaultLocale: 'hi', overrides: { de: { 'login.title': 'Anmelden bei Acme', 'code.wrong_one': 'Noch {{count}} Versuch' } } }).success);
    const refused = (value: unknown) => !textSettingsSchema.safeParse(value).success;
    assert.ok(refused({ defaultLocale: 'xx' }));
    assert.ok(refused({ overrides: { xx: { 'login.title': 'x' } } }));
    assert.ok(refused({ overrides: { en: { 'login.nope': 'x' } } }));
    assert.ok(refused({ overrides: { en: { 'login.lead': 'for {{secret}}' } } }));
    assert.ok(refused({ overrides: { en: { 'login.title': '' } } }));
    assert.ok(refused({ unknown: true }));
  });

  it('chooses ui_locales, then Accept-Language by q-value, then the tenant default', () => {
    assert.equal(chooseLocale({ uiLocales: 'hi', acceptLanguage: 'fr', tenantDefault: 'de' }), 'hi');
    assert.equal(chooseLocale({ uiLocales: 'xx pt-BR es', acceptLanguage: 'fr', tenantDefault: 'de' }), 'pt');
    assert.equal(chooseLocale({ uiLocales: 'xx', acceptLanguage: 'nl, fr;q=0.5, es;q=0.9', tenantDefault: 'de' }), 'es');
    assert.equal(chooseLocale({ uiLocales: undefined, acceptLanguage: 'es;q=0, *', tenantDefault: 'de' }), 'de');
    assert.equal(chooseLocale({ uiLocales: ['hi'], acceptLanguage: '', tenantDefault: 'fr' }), 'fr');
    assert.deepEqual(acceptedLanguages('de-CH, en;q=0.8, fr;q=0.9, *;q=0.1'), ['de-CH', 'fr', 'en']);
  });
});
