// The words of every message we send: branded HTML + text emails (views/emails/*.ejs) and the SMS text, in the
// language of the sign-in that sent them (the message catalogues, src/i18n, with the tenant's own texts on top).
// The words are chosen here once per purpose and laid out by the templates, so the HTML and text versions say
// the same thing. Every tenant-supplied value is escaped by the templates (`<%= %>`); the brand colour and
// logo reach them only after validation, because email has no CSP to catch a bad value.
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ejs from 'ejs';
import { contrastRatio, defaultBranding } from '../../tenants/branding.js';
import { translator, type Translator } from '../../i18n/i18n.js';

export type CodePurpose = 'signup' | 'login' | 'reset' | 'verify' | 'mfa';
/**
 * Whom a sign-in link signs in, which its email says: the browser that asked (a hosted page's link, bound to its
 * interaction cookie), the app on the device that asked (an app's link started with a PKCE code challenge: only the
 * holder of its verifier finishes it), or the browser that opens it (an app's link started without one).
 */
export const linkKinds = ['asker', 'asking-device', 'opener'] as const;
export type LinkSignsIn = (typeof linkKinds)[number];
export interface EmailBrand { name: string; logoUrl: string | null; primaryColor: string }
export interface RenderedEmail { subject: string; html: string; text: string }

// Compiled to dist/src/notifications/email/, so the repository's views/ folder is four levels up.
export const emailViewsDir: string = resolve(fileURLToPath(new URL('../../../../views/emails', import.meta.url)));

/** the catalogue keys of each purpose's email (literal, so the catalogue test sees every key named here) */
const copy: Record<CodePurpose, { subject: string; heading: string; intro: string; button: string; ignore: string; sms: string }> = {
  signup: { subject: 'email.signup.subject', heading: 'email.signup.heading', intro: 'email.signup.intro', button: 'email.signup.button', ignore: 'email.signup.ignore', sms: 'sms.signup' },
  login: { subject: 'email.login.subject', heading: 'email.login.heading', intro: 'email.login.intro', button: 'email.login.button', ignore: 'email.login.ignore', sms: 'sms.login' },
  reset: { subject: 'email.reset.subject', heading: 'email.reset.heading', intro: 'email.reset.intro', button: 'email.reset.button', ignore: 'email.reset.ignore', sms: 'sms.reset' },
  mfa: { subject: 'email.mfa.subject', heading: 'email.mfa.heading', intro: 'email.mfa.intro', button: 'email.mfa.button', ignore: 'email.mfa.ignore', sms: 'sms.mfa' },
  verify: { subject: 'email.verify.subject', heading: 'email.verify.heading', intro: 'email.verify.intro', button: 'email.verify.button', ignore: 'email.verify.ignore', sms: 'sms.verify' },
};

/** what a sign-in link's email says it does, for each kind of link (literal keys, as above) */
const linkDoes: Record<LinkSignsIn, string> = {
  asker: 'email.login.linkDoes',
  'asking-device': 'email.login.linkDoesAskingDevice',
  opener: 'email.login.linkDoesOpener',
};

/** the English words, where a caller names no language (tests, tools) */
const english = (): Translator => translator('en');

/**
 * The email with a one-time code (and, when `link` is given, the same step as a button).
 * Throws an Error (code `email.invalid_link`) when `link` is not an http(s) URL, and a RangeError for a
 * `ttlMinutes` that is not a positive integer.
 */
export async function renderCodeEmail(input: {
  brand: EmailBrand; purpose: CodePurpose; code: string; link?: string; ttlMinutes: number; words?: Translator;
  /** a sign-in link: whom it signs in (LinkSignsIn); the browser that asked, a hosted page's link, by default */
  linkSignsIn?: LinkSignsIn;
}): Promise<RenderedEmail> {
  const brand = safeBrand(input.brand);
  const keys = copy[input.purpose];
  const words = input.words ?? english();
  const name = { name: brand.name };
  const link = input.link === undefined ? null : webUrl(input.link);
  if (input.link !== undefined && link === null) {
    throw Object.assign(new Error('email.invalid_link'), { code: 'email.invalid_link' });
  }
  const ttl = duration(words, input.ttlMinutes);
  // an email with a link is about the link: its subject and heading say so (the code is the fallback). Only the
  // sign-in link does something the code page does not say (magic-link.routes.ts: it signs in only the browser
  // whose sign-in sent this email; an app's link, rest-magic-link.routes.ts: the app on the device that asked when it
  // was started with PKCE, else the browser that opens it); a reset link may be opened anywhere.
  const linked = link !== null && input.purpose === 'login';
  const subject = words.t(linked ? 'email.login.linkSubject' : keys.subject, name);
  const data = {
    brand, subject, lang: words.locale,
    heading: words.t(linked ? 'email.login.linkHeading' : keys.heading),
    intro: words.t(keys.intro, name),
    code: input.code,
    link,
    button: words.t(keys.button, name),
    linkDoes: linked ? words.t(linkDoes[input.linkSignsIn ?? 'asker']) : null,
    orOneStep: words.t('email.orOneStep'), buttonFallback: words.t('email.buttonFallback'), openLink: words.t('email.openLink'),
    expiry: words.t(link ? 'email.expiryLinked' : 'email.expiry', { duration: ttl }),
    ignore: words.t(linked ? 'email.login.linkIgnore' : keys.ignore, name),
    neverShare: words.t('email.neverShare', name),
    footer: words.t('email.footer', name),
  };
  return { subject, html: await render('code.html.ejs', data), text: await render('code.text.ejs', data) };
}

/** Tells the user their password was changed, with when and from where, and what to do if it was not them. */
export async function renderPasswordChangedEmail(input: { brand: EmailBrand; when: Date; ip: string | null; words?: Translator }): Promise<RenderedEmail> {
  const brand = safeBrand(input.brand);
  const words = input.words ?? english();
  const name = { name: brand.name };
  const subject = words.t('email.changed.subject', name);
  // English keeps its British day-month order; every other language its own
  const format = new Intl.DateTimeFormat(words.locale === 'en' ? 'en-GB' : words.locale, { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' });
  const when = `${format.format(input.when)} UTC`;
  const ip = input.ip ? singleLine(input.ip).slice(0, 64) : null;
  const data = {
    brand, subject, lang: words.locale,
    heading: words.t('email.changed.heading'),
    summary: ip ? words.t('email.changed.summaryFrom', { ...name, when, ip }) : words.t('email.changed.summary', { ...name, when }),
    ifYou: words.t('email.changed.ifYou'),
    ifNotYou: words.t('email.changed.ifNotYou', name),
    footer: words.t('email.footer', name),
  };
  return { subject, html: await render('notice.html.ejs', data), text: await render('notice.text.ejs', data) };
}

/**
 * Sent instead of a sign-up code to an address that already has an account: the sign-up answer stays the same for
 * every address (no enumeration), and the owner learns how to get in.
 */
export async function renderAccountExistsEmail(input: { brand: EmailBrand; words?: Translator }): Promise<RenderedEmail> {
  const brand = safeBrand(input.brand);
  const words = input.words ?? english();
  const name = { name: brand.name };
  const subject = words.t('email.exists.subject', name);
  const data = {
    brand, subject, lang: words.locale,
    heading: words.t('email.exists.heading'),
    summary: words.t('email.exists.summary', name),
    ifYou: words.t('email.exists.ifYou', name),
    ifNotYou: words.t('email.exists.ifNotYou'),
    footer: words.t('email.footer', name),
  };
  return { subject, html: await render('notice.html.ejs', data), text: await render('notice.text.ejs', data) };
}

/**
 * The email an operator sends to verify a user's address: one link, no code (views/emails/verify-link.*.ejs).
 * Throws an Error (code `email.invalid_link`) when `link` is not an http(s) URL.
 */
export async function renderVerificationLinkEmail(input: { brand: EmailBrand; link: string; ttlMinutes: number; words?: Translator }): Promise<RenderedEmail> {
  const brand = safeBrand(input.brand);
  const words = input.words ?? english();
  const link = webUrl(input.link);
  if (link === null) throw Object.assign(new Error('email.invalid_link'), { code: 'email.invalid_link' });
  const name = { name: brand.name };
  const subject = words.t('email.verifyLink.subject', name);
  const data = {
    brand, subject, lang: words.locale, link,
    heading: words.t('email.verifyLink.heading'),
    intro: words.t('email.verifyLink.intro', name),
    button: words.t('email.verifyLink.button'),
    buttonFallback: words.t('email.buttonFallback'),
    expiry: words.t('email.verifyLink.expiry', { duration: duration(words, input.ttlMinutes) }),
    ignore: words.t('email.verifyLink.ignore', name),
    footer: words.t('email.footer', name),
  };
  return { subject, html: await render('verify-link.html.ejs', data), text: await render('verify-link.text.ejs', data) };
}

const SMS_LIMIT = 160;
/** two concatenated UCS-2 segments (67 code units each): a script outside GSM-7 cannot say this in one of 70 */
const UCS2_LIMIT = 134;

/**
 * The SMS (and WhatsApp fallback) text in the language of `words`: the code first so it shows in notification
 * previews. A language written in GSM-7 (after transliteration: "código" → "codigo") is always one GSM-7 segment (160
 * characters), since a single non-GSM character would switch the whole message to UCS-2 and a 70-character limit; a
 * language that is not (Hindi) is at most two UCS-2 segments. The brand is shortened to fit, or left out.
 */
export function smsText(input: { brandName: string; purpose: CodePurpose; code: string; ttlMinutes: number; words?: Translator }): string {
  const words = input.words ?? english();
  const duration_ = duration(words, input.ttlMinutes);
  const sentence = (brand: string) => words.t(copy[input.purpose].sms, { code: input.code, brand, duration: duration_ })
    .replace(/[\p{Cc}\s]+/gu, ' ').replace(/ ([.,:;!?।])/g, '$1').trim();
  const bare = sentence('');
  const gsm = !/[^\u0000-\u024f\u2018-\u2026€]/.test(bare);
  const fit = gsm ? (text: string) => gsmLength(toGsm(text)) <= SMS_LIMIT : (text: string) => text.length <= UCS2_LIMIT;
  const clean = singleLine(input.brandName);
  let brand = '';
  // UCS-2 has no characters beyond the Basic Multilingual Plane (emoji): they are dropped
  for (const char of gsm ? toGsm(clean) : clean.replace(/[\u{10000}-\u{10FFFF}]/gu, '')) {
    if (!fit(sentence(brand + char))) break;
    brand += char;
  }
  const text = sentence(brand.trim());
  return gsm ? toGsm(text) : text;
}

async function render(file: string, data: Record<string, unknown>): Promise<string> {
  // Options are explicit so nothing in `data` can set ejs options (the CVE-2022-29078 class of bugs).
  return ejs.renderFile(join(emailViewsDir, file), data, { cache: true, root: emailViewsDir, views: [emailViewsDir], async: false });
}

interface SafeBrand { name: string; logoUrl: string | null; color: string; buttonText: string }

function safeBrand(brand: EmailBrand): SafeBrand {
  const name = singleLine(brand.name).slice(0, 100).trim() || 'Tessera';
  const color = /^#[0-9a-f]{6}$/i.test(brand.primaryColor) ? brand.primaryColor.toLowerCase() : defaultBranding.primaryColor;
  const buttonText = contrastRatio(color, '#000000') > contrastRatio(color, '#ffffff') ? '#000000' : '#ffffff';
  return { name, logoUrl: httpsUrl(brand.logoUrl), color, buttonText };
}

// Control characters (line breaks included) would break subject lines and SMS bodies; collapse them.
function singleLine(value: string): string {
  return value.replace(/[\p{Cc}\p{Zl}\p{Zp}\s]+/gu, ' ').trim();
}

function webUrl(value: string): string | null {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

// Remote images in mail are fetched by the reader's client: only https, and no credentials in the URL.
function httpsUrl(value: string | null): string | null {
  if (!value || value.length > 2048) return null;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && !url.username && !url.password ? url.href : null;
  } catch {
    return null;
  }
}

function duration(words: Translator, minutes: number): string {
  if (!Number.isSafeInteger(minutes) || minutes < 1) throw new RangeError(`ttlMinutes must be a positive integer, got ${minutes}`);
  if (minutes % 60 === 0) return words.t('email.hours', { count: minutes / 60 });
  return words.t('email.minutes', { count: minutes });
}

// GSM 03.38 basic character set (one septet each) and its extension table (two septets: escape + char).
const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
const GSM_EXTENDED = new Set('^{}\\[~]|€');
// Letters without a Unicode decomposition to a base letter, and typographic punctuation.
const LOOKALIKES: Record<string, string> = {
  'Ł': 'L', 'ł': 'l', 'Đ': 'D', 'đ': 'd', 'Œ': 'OE', 'œ': 'oe', 'ı': 'i', 'Þ': 'Th', 'þ': 'th',
  '‘': "'", '’': "'", '“': '"', '”': '"', '–': '-', '—': '-', '…': '...',
};

function gsmLength(value: string): number {
  let n = 0;
  for (const char of value) n += GSM_EXTENDED.has(char) ? 2 : 1;
  return n;
}

/** keeps GSM-7 characters, replaces common look-alikes and accented letters, drops the rest */
function toGsm(value: string): string {
  let out = '';
  for (const char of value) {
    if (GSM_BASIC.has(char) || GSM_EXTENDED.has(char)) out += char;
    else if (LOOKALIKES[char]) out += LOOKALIKES[char];
    else {
      const base = char.normalize('NFD').replace(/\p{M}/gu, '');
      if ([...base].every((c) => GSM_BASIC.has(c))) out += base;
    }
  }
  return out.replace(/ {2,}/g, ' ');
}
