// The words of every message we send: branded HTML + text emails (views/emails/*.ejs) and the SMS text.
// Copy is written here once per purpose and laid out by the templates, so the HTML and text versions say
// the same thing. Every tenant-supplied value is escaped by the templates (`<%= %>`); the brand colour and
// logo reach them only after validation, because email has no CSP to catch a bad value.
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ejs from 'ejs';
import { contrastRatio, defaultBranding } from '../../tenants/branding.js';

export type CodePurpose = 'signup' | 'login' | 'reset' | 'verify' | 'mfa';
export interface EmailBrand { name: string; logoUrl: string | null; primaryColor: string }
export interface RenderedEmail { subject: string; html: string; text: string }

// Compiled to dist/src/notifications/email/, so the repository's views/ folder is four levels up.
export const emailViewsDir: string = resolve(fileURLToPath(new URL('../../../../views/emails', import.meta.url)));

interface PurposeCopy {
  subject(name: string): string;
  heading: string;
  intro(name: string): string;
  button(name: string): string;
  ignore(name: string): string;
  /** when the email has a link and the link does something the code page does not say: what it does, and the "did not ask" line for it */
  link?: { does(name: string): string; ignore(name: string): string; subject(name: string): string; heading: string };
  /** what the SMS calls the code */
  smsKind: string;
}

const copy: Record<CodePurpose, PurposeCopy> = {
  signup: {
    subject: (name) => `Confirm your email address for ${name}`,
    heading: 'Confirm your email address',
    intro: (name) => `Enter this code to finish creating your ${name} account:`,
    button: () => 'Confirm email address',
    ignore: () => 'If you did not sign up, you can ignore this email: no account is created without this code.',
    smsKind: 'verification',
  },
  login: {
    subject: (name) => `Your ${name} sign-in code`,
    heading: 'Your sign-in code',
    intro: (name) => `Enter this code to sign in to ${name}:`,
    button: (name) => `Sign in to ${name}`,
    ignore: () =>
      'If you did not try to sign in, you can ignore this email: nobody can sign in without this code. Someone may have typed your address by mistake.',
    // magic-link.routes.ts: the link signs in only the browser whose sign-in sent this email
    link: {
      subject: (name) => `Your ${name} sign-in link`,
      heading: 'Your sign-in link',
      does: () => 'The link signs you in only on the device and in the browser where you started signing in. Opened anywhere else, it signs in nobody.',
      ignore: () =>
        'If you did not try to sign in, you can ignore this email: the link and the code are of no use to anyone without it, and opening the link does not sign anyone in elsewhere. Someone may have typed your address by mistake.',
    },
    smsKind: 'sign-in',
  },
  reset: {
    subject: (name) => `Reset your ${name} password`,
    heading: 'Reset your password',
    intro: (name) => `Enter this code to choose a new password for your ${name} account:`,
    button: () => 'Choose a new password',
    ignore: () => 'If you did not ask to reset your password, you can ignore this email: your password has not been changed.',
    smsKind: 'password reset',
  },
  mfa: {
    subject: (name) => `Your ${name} security code`,
    heading: 'Your security code',
    intro: (name) => `Enter this code to finish signing in to ${name}:`,
    button: (name) => `Finish signing in to ${name}`,
    ignore: () => 'If you are not signing in right now, someone may know your password: change it.',
    smsKind: 'security',
  },
  verify: {
    subject: (name) => `Verify your email address for ${name}`,
    heading: 'Verify your email address',
    intro: (name) => `Enter this code to verify your email address with ${name}:`,
    button: () => 'Verify email address',
    ignore: () => 'If you did not ask for this, you can ignore this email: your address stays unverified without this code.',
    smsKind: 'verification',
  },
};

/**
 * The email with a one-time code (and, when `link` is given, the same step as a button).
 * Throws an Error (code `email.invalid_link`) when `link` is not an http(s) URL, and a RangeError for a
 * `ttlMinutes` that is not a positive integer.
 */
export async function renderCodeEmail(input: {
  brand: EmailBrand; purpose: CodePurpose; code: string; link?: string; ttlMinutes: number;
}): Promise<RenderedEmail> {
  const brand = safeBrand(input.brand);
  const words = copy[input.purpose];
  const link = input.link === undefined ? null : webUrl(input.link);
  if (input.link !== undefined && link === null) {
    throw Object.assign(new Error('email.invalid_link'), { code: 'email.invalid_link' });
  }
  const ttl = duration(input.ttlMinutes);
  // an email with a link is about the link: its subject and heading say so (the code is the fallback)
  const linked = link && words.link ? words.link : null;
  const subject = linked ? linked.subject(brand.name) : words.subject(brand.name);
  const data = {
    brand, subject,
    heading: linked ? linked.heading : words.heading,
    intro: words.intro(brand.name),
    code: input.code,
    link,
    button: words.button(brand.name),
    linkDoes: link && words.link ? words.link.does(brand.name) : null,
    expiry: link ? `The code and the link expire in ${ttl} and work only once.` : `The code expires in ${ttl} and works only once.`,
    ignore: link && words.link ? words.link.ignore(brand.name) : words.ignore(brand.name),
    neverShare: `Never share this code with anyone: ${brand.name} will never ask you for it.`,
  };
  return { subject, html: await render('code.html.ejs', data), text: await render('code.text.ejs', data) };
}

/** Tells the user their password was changed, with when and from where, and what to do if it was not them. */
export async function renderPasswordChangedEmail(input: { brand: EmailBrand; when: Date; ip: string | null }): Promise<RenderedEmail> {
  const brand = safeBrand(input.brand);
  const subject = `Your ${brand.name} password was changed`;
  const when = `${new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }).format(input.when)} UTC`;
  const ip = input.ip ? singleLine(input.ip).slice(0, 64) : null;
  const data = {
    brand, subject,
    heading: 'Your password was changed',
    summary: `The password of your ${brand.name} account was changed on ${when}${ip ? ` from the IP address ${ip}` : ''}.`,
    ifYou: 'If this was you, there is nothing more to do. Your other sessions were signed out.',
    ifNotYou: `If you did not change it, reset your password now from the ${brand.name} sign-in page: someone else may know it.`,
  };
  return { subject, html: await render('notice.html.ejs', data), text: await render('notice.text.ejs', data) };
}

/**
 * Sent instead of a sign-up code to an address that already has an account: the sign-up answer stays the same for
 * every address (no enumeration), and the owner learns how to get in.
 */
export async function renderAccountExistsEmail(input: { brand: EmailBrand }): Promise<RenderedEmail> {
  const brand = safeBrand(input.brand);
  const subject = `You already have a ${brand.name} account`;
  const data = {
    brand, subject,
    heading: 'You already have an account',
    summary: `Someone tried to create a ${brand.name} account with this email address, which already has one. No new account was created.`,
    ifYou: `If this was you, sign in instead; if you forgot your password, reset it from the ${brand.name} sign-in page.`,
    ifNotYou: 'If this was not you, you can ignore this email: nothing changed on your account.',
  };
  return { subject, html: await render('notice.html.ejs', data), text: await render('notice.text.ejs', data) };
}

const SMS_LIMIT = 160;

/**
 * The SMS (and WhatsApp fallback) text: the code first so it shows in notification previews, always one
 * GSM-7 segment (160 characters). The brand is reduced to GSM-7 characters and shortened to fit, since a
 * single non-GSM character would switch the whole message to UCS-2 and a 70-character limit.
 */
export function smsText(input: { brandName: string; purpose: CodePurpose; code: string; ttlMinutes: number }): string {
  const kind = copy[input.purpose].smsKind;
  const tail = ` ${kind} code. It expires in ${duration(input.ttlMinutes)}. Do not share it.`;
  const head = `${input.code} is your `;
  const budget = SMS_LIMIT - gsmLength(head) - gsmLength(tail) - 1; // 1: the space after the brand
  let brand = '';
  for (const char of toGsm(singleLine(input.brandName))) {
    if (gsmLength(brand + char) > budget) break;
    brand += char;
  }
  brand = brand.trim();
  return brand ? `${head}${brand}${tail}` : `${head}${tail.slice(1)}`;
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

function duration(minutes: number): string {
  if (!Number.isSafeInteger(minutes) || minutes < 1) throw new RangeError(`ttlMinutes must be a positive integer, got ${minutes}`);
  if (minutes % 60 === 0) return plural(minutes / 60, 'hour');
  return plural(minutes, 'minute');
}

const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;

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
