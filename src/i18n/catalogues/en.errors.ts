// English: the messages of the error catalogue (src/errors/error-catalogue.ts), keyed by code with its first dot as
// `_` (`request.invalid` → `apiErrors.request_invalid`), spread into en.ts. Built from the catalogue itself, so the
// English text is the one reference for the README's error reference, the OpenAPI document and every translation.
import { errorCatalogue } from '../../errors/error-catalogue.js';

/** the catalogue key of an error code's message */
export const errorMessageKey = (code: string): string => `apiErrors.${code.replace('.', '_')}`;

export const enErrors = {
  apiErrors: Object.fromEntries(Object.entries(errorCatalogue).map(([code, e]) => [code.replace('.', '_'), e.message])) as Record<string, string>,
};
