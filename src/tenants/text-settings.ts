// A tenant's texts: the language its pages fall back to, and its own wording for any catalogue text in any
// shipped language. An override must name a key the catalogue has and use only the values its English text uses.
import { z } from 'zod';
import { catalogues, flatKeys, placeholders, supportedLocales, textAt, type Locale } from '../i18n/i18n.js';

const pluralSuffix = /_(zero|one|two|few|many|other)$/;
const englishKeys = new Set(flatKeys(catalogues.en));

/** the English text an override of `key` replaces (a plural form is checked against the English `_other`) */
function englishFor(key: string): string | undefined {
  if (englishKeys.has(key)) return textAt(catalogues.en, key);
  const base = key.replace(pluralSuffix, '');
  return base !== key && englishKeys.has(`${base}_other`) ? textAt(catalogues.en, `${base}_other`) : undefined;
}

const overrideTexts = z.record(z.string().max(100), z.string().min(1).max(1000)).superRefine((texts, ctx) => {
  for (const [key, text] of Object.entries(texts)) {
    const english = englishFor(key);
    if (english === undefined) {
      ctx.addIssue({ code: 'custom', path: [key], message: 'no such text' });
      continue;
    }
    const allowed = new Set(placeholders(english));
    const unknown = placeholders(text).filter((name) => !allowed.has(name));
    if (unknown.length) ctx.addIssue({ code: 'custom', path: [key], message: `unknown value {{${unknown[0]}}}; this text may use ${[...allowed].map((n) => `{{${n}}}`).join(', ') || 'none'}` });
  }
});

export const textSettingsSchema = z.object({
  defaultLocale: z.enum(supportedLocales).default('en'),
  overrides: z.partialRecord(z.enum(supportedLocales), overrideTexts).default({}),
}).strict();

export type TextSettings = z.output<typeof textSettingsSchema> & { defaultLocale: Locale };
