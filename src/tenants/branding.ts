export interface Branding {
  logoUrl: string | null;
  /** '#rrggbb', lower case */
  primaryColor: string;
}

// #1d4ed8 on white text: contrast 6.7:1, well above WCAG AA (4.5:1).
export const defaultBranding: Branding = Object.freeze({ logoUrl: null, primaryColor: '#1d4ed8' });

const HEX6 = /^#[0-9a-f]{6}$/;
const HEX3 = /^#[0-9a-f]{3}$/;
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1']);

/** Tolerant: anything missing or invalid falls back to the default, field by field; never throws. */
export function parseBranding(input: unknown): Branding {
  const raw = typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {};
  return {
    logoUrl: parseLogoUrl(raw.logoUrl) ?? defaultBranding.logoUrl,
    primaryColor: normalizeColor(raw.primaryColor) ?? defaultBranding.primaryColor,
  };
}

/**
 * The per-tenant brand stylesheet: only custom properties, so no tenant input ever becomes CSS syntax. Links take
 * the brand colour (issue #14), darkened just enough to read as text on the pages' light backgrounds (WCAG AA).
 */
export function brandingCss(branding: Branding): string {
  const brand = normalizeColor(branding.primaryColor) ?? defaultBranding.primaryColor;
  const contrast =
    contrastRatio(brand, '#000000') > contrastRatio(brand, '#ffffff') ? '#000000' : '#ffffff';
  return `:root{--brand:${brand};--brand-contrast:${contrast};--brand-link:${linkColor(brand)}}`;
}

/** the lightest background text links sit on (tessera.css --page) */
const linkBackground = '#f4f6f8';

/** the brand colour, or the nearest darker shade of it that reads as link text (4.5:1 on the page background) */
export function linkColor(brand: string): string {
  const hex = normalizeColor(brand) ?? defaultBranding.primaryColor;
  const channels = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  for (let step = 0; step <= 20; step++) {
    const shade = `#${channels.map((c) => Math.round(c * (1 - step / 20)).toString(16).padStart(2, '0')).join('')}`;
    if (contrastRatio(shade, linkBackground) >= 4.5) return shade;
  }
  return '#000000';
}

/**
 * WCAG 2.x contrast ratio (1..21) of two '#rrggbb' / '#rgb' colours.
 * Throws an Error (code `branding.invalid_color`) for anything else.
 */
export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

// https://www.w3.org/TR/WCAG21/#dfn-relative-luminance
function luminance(color: string): number {
  const hex = normalizeColor(color);
  if (hex === null) {
    throw Object.assign(new Error('branding.invalid_color'), { code: 'branding.invalid_color' });
  }
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function normalizeColor(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const v = value.trim().toLowerCase();
  if (HEX6.test(v)) return v;
  if (HEX3.test(v)) return `#${v[1]}${v[1]}${v[2]}${v[2]}${v[3]}${v[3]}`;
  return null;
}

// Only https logos (the CSP allows img-src https:), plus plain http on the local machine for development.
function parseLogoUrl(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > 2048) return null;
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return null;
  }
  if (url.username || url.password) return null;
  const ok = url.protocol === 'https:' || (url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname));
  return ok ? url.href : null;
}
