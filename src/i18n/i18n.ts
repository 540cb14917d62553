// The texts of every page a person sees, in the languages Tessera ships, through i18next (plural forms by
// Intl.PluralRules, `{{value}}` interpolation). A tenant may replace any text in any language (TextSettings).
// Two ways out: `t` gives plain text for `<%= %>`; `th` gives escaped HTML where `**…**` becomes <strong> and `` `…` ``
// <code> (commands and values on the development pages).
import i18next, { type i18n as I18nInstance } from 'i18next';
import { en } from './catalogues/en.js';
import { es } from './catalogues/es.js';
import { fr } from './catalogues/fr.js';
import { de } from './catalogues/de.js';
import { hi } from './catalogues/hi.js';
import { pt } from './catalogues/pt.js';

export const supportedLocales = ['en', 'es', 'fr', 'de', 'hi', 'pt'] as const;
export type Locale = (typeof supportedLocales)[number];
export const catalogues: Record<Locale, object> = { en, es, fr, de, hi, pt };

/** per language, catalogue key (with its plural suffix, e.g. `code.wrong_one`) → the tenant's text */
export type TextOverrides = Readonly<Partial<Record<Locale, Readonly<Record<string, string>>>>>;
export type Vars = Record<string, string | number>;

export interface Translator {
  readonly locale: Locale;
  t(key: string, vars?: Vars): string;
  th(key: string, vars?: Vars): string;
}

/** every key of a catalogue, dotted (`login.title`), plural forms as stored (`code.wrong_one`) */
export function flatKeys(catalogue: object, prefix = ''): string[] {
  return Object.entries(catalogue).flatMap(([key, value]) =>
    typeof value === 'string' ? [`${prefix}${key}`] : flatKeys(value as object, `${prefix}${key}.`));
}

/** the text at a dotted key of a catalogue, or undefined */
export function textAt(catalogue: object, key: string): string | undefined {
  let node: unknown = catalogue;
  for (const part of key.split('.')) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined;
  return typeof node === 'string' ? node : undefined;
}

/** the `{{names}}` a text uses */
export function placeholders(text: string): string[] {
  return [...text.matchAll(/\{\{\s*([a-zA-Z]+)\s*\}\}/g)].map((m) => m[1]!).sort();
}

export const isLocale = (value: unknown): value is Locale => (supportedLocales as readonly unknown[]).includes(value);

let instance: I18nInstance | null = null;
function shared(): I18nInstance {
  if (instance) return instance;
  const created = i18next.createInstance();
  // initAsync false: the resources are in memory, so init completes before it returns
  void created.init({
    resources: Object.fromEntries(supportedLocales.map((l) => [l, { translation: catalogues[l] }])),
    lng: 'en', fallbackLng: 'en', supportedLngs: [...supportedLocales], initAsync: false,
    interpolation: { escapeValue: false }, returnNull: false, showSupportNotice: false,
  } as Parameters<I18nInstance['init']>[0]);
  instance = created;
  return created;
}

const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c]!);
const stripMarks = (text: string) => text.replace(/\*\*(.+?)\*\*/g, '$1').replace(/`([^`]+)`/g, '$1');

// Building an Intl.PluralRules costs more than the rest of a translator (ICU data per instance): a request builds one
// or two translators, so each language's rules are built once and shared (they hold no state).
const pluralRules = new Map<Locale, Intl.PluralRules>();
function pluralRulesOf(locale: Locale): Intl.PluralRules {
  let rules = pluralRules.get(locale);
  if (!rules) pluralRules.set(locale, (rules = new Intl.PluralRules(locale)));
  return rules;
}

// A text without values is the same every time for a language (the catalogues are fixed once loaded; a tenant's
// override is looked up before): i18next's lookup, about 10 µs, runs once per text and language instead of on every
// page (the login page asks for some thirty).
const plainTexts = new Map<string, string>();
function plainText(i18n: I18nInstance, locale: Locale, key: string): string {
  const id = `${locale}\0${key}`;
  let text = plainTexts.get(id);
  if (text !== undefined) return text;
  text = i18n.t(key, { lng: locale }) as string;
  // only the catalogues' own keys are kept (i18next answers an unknown key with the key): a bounded map
  if (text !== key) plainTexts.set(id, text);
  return text;
}

/** a translator for one language, with a tenant's overrides on top */
export function translator(locale: Locale, overrides: TextOverrides = {}): Translator {
  const i18n = shared();
  const own = overrides[locale] ?? {};
  const plural = pluralRulesOf(locale);
  /** the raw text (marks kept), values interpolated by `fill` */
  function raw(key: string, vars: Vars, fill: (value: string | number) => string): string {
    const count = vars.count;
    const candidates = typeof count === 'number' ? [`${key}_${plural.select(count)}`, `${key}_other`, key] : [key];
    const override = candidates.map((k) => own[k]).find((v) => typeof v === 'string');
    if (override !== undefined) return override.replace(/\{\{\s*([a-zA-Z]+)\s*\}\}/g, (whole, name: string) => (name in vars ? fill(vars[name]!) : whole));
    const filled = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, k === 'count' ? v : fill(v)]));
    if (candidates.length === 1 && Object.keys(filled).length === 0) return plainText(i18n, locale, key);
    return i18n.t(key, { lng: locale, ...filled }) as string;
  }
  return {
    locale,
    t: (key, vars = {}) => stripMarks(raw(key, vars, String)),
    th(key, vars = {}) {
      // values pass through as numbered markers so that neither their text nor `**` in them is read as markup
      const values: string[] = [];
      const text = raw(key, vars, (value) => `\u0001${values.push(escapeHtml(String(value))) - 1}\u0002`);
      return escapeHtml(text)
        .replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>')
        .replace(/`([^`]+)`/g, '<code>$1</code>')
        .replace(/\u0001(\d+)\u0002/g, (_, i: string) => values[Number(i)]!);
    },
  };
}
