// Which language a page is in: the app's ui_locales (OIDC Core §3.1.2.1, space-separated, in order of
// preference), then the browser's Accept-Language (RFC 9110 §12.5.4, by q-value), then the tenant's default.
// A tag matches a shipped language by its primary subtag (pt-BR → pt, hi-IN → hi).
import { isLocale, type Locale } from './i18n.js';

const primary = (tag: string): string => tag.trim().toLowerCase().split(/[-_]/)[0] ?? '';

/** the first shipped language among `tags`, or null */
function firstShipped(tags: string[]): Locale | null {
  for (const tag of tags) {
    const language = primary(tag);
    if (isLocale(language)) return language;
  }
  return null;
}

/** Accept-Language ranges by preference; q=0 means "not this one", `*` names nothing in particular */
export function acceptedLanguages(header: string | undefined): string[] {
  if (!header) return [];
  return header.slice(0, 1000).split(',')
    .map((part, index) => {
      const [range = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p)?.[1]).find((v) => v !== undefined);
      return { range: range.trim(), q: q === undefined ? 1 : Number(q), index };
    })
    .filter((entry) => entry.range && entry.range !== '*' && Number.isFinite(entry.q) && entry.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index)
    .map((entry) => entry.range);
}

export function chooseLocale(input: { uiLocales?: unknown; acceptLanguage?: string; tenantDefault: Locale }): Locale {
  const asked = typeof input.uiLocales === 'string' ? input.uiLocales.slice(0, 500).split(/\s+/).filter(Boolean) : [];
  return firstShipped(asked) ?? firstShipped(acceptedLanguages(input.acceptLanguage)) ?? input.tenantDefault;
}
