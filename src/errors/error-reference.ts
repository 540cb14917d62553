// The error catalogue as published: the README's error reference (a Markdown table between two markers) and the
// OpenAPI Error schema. Both are generated here from error-catalogue.ts; test/unit/error-reference.test.ts fails
// when README.md or the served OpenAPI document drift from the catalogue.
import { errorCatalogue } from './error-catalogue.js';

export const readmeMarkers = { start: '<!-- error-reference:start (generated from src/errors/error-catalogue.ts) -->', end: '<!-- error-reference:end -->' };

const cell = (text: string) => text.replace(/\|/g, '\\|');

/** the README table, markers included */
export function errorReferenceMarkdown(): string {
  const rows = Object.entries(errorCatalogue).map(([code, e]) => `| \`${code}\` | ${e.status} | ${cell(e.message)} | ${cell(e.action)} |`);
  return [readmeMarkers.start, '| Code | HTTP status | Meaning | What to do |', '| --- | --- | --- | --- |', ...rows, readmeMarkers.end].join('\n');
}

/** the part of README.md between the markers (markers included), or null when they are missing */
export function errorReferenceIn(readme: string): string | null {
  const start = readme.indexOf(readmeMarkers.start);
  const end = readme.indexOf(readmeMarkers.end);
  return start < 0 || end < start ? null : readme.slice(start, end + readmeMarkers.end.length);
}

/** OpenAPI 3.1 (JSON Schema 2020-12): every JSON error body, one `oneOf` branch per code with its status and remedy */
export function errorSchema(): Record<string, unknown> {
  return {
    type: 'object',
    required: ['error', 'message'],
    properties: {
      error: { type: 'string', enum: Object.keys(errorCatalogue) },
      message: { type: 'string', description: 'The code\'s message in the language the call asked for (locale, ui_locales, Accept-Language, then the tenant\'s default); English text as in this reference.' },
      detail: { type: 'string', description: 'Only in a language other than English: the English message written for this one case (a field, a limit), when there is one.' },
    },
    oneOf: Object.entries(errorCatalogue).map(([code, e]) => ({
      title: code,
      properties: { error: { const: code } },
      description: `HTTP ${e.status}. ${e.message} What to do: ${e.action}`,
      'x-status': e.status,
    })),
  };
}
