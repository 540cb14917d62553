// The error catalogue's messages in every shipped language (issue #14): each code has a text in each catalogue, the
// English text is the error catalogue's own (the README's and OpenAPI's reference), and a missing one is noticed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorCatalogue } from '../../src/errors/error-catalogue.js';
import { errorMessageKey } from '../../src/i18n/catalogues/en.errors.js';
import { catalogues, supportedLocales, textAt } from '../../src/i18n/i18n.js';

/** the error codes without a message in `catalogue` */
const untranslated = (catalogue: object) => Object.keys(errorCatalogue).filter((code) => !textAt(catalogue, errorMessageKey(code))?.trim());

describe('error messages in every language', () => {
  it('English is the error catalogue\'s own text, code for code', () => {
    for (const [code, entry] of Object.entries(errorCatalogue)) assert.equal(textAt(catalogues.en, errorMessageKey(code)), entry.message, code);
    assert.equal(Object.keys((catalogues.en as { apiErrors: object }).apiErrors).length, Object.keys(errorCatalogue).length);
  });

  for (const locale of supportedLocales.filter((l) => l !== 'en')) {
    it(`${locale}: a message for every error code, its own words`, () => {
      assert.deepEqual(untranslated(catalogues[locale]), []);
      const same = Object.keys(errorCatalogue).filter((code) => textAt(catalogues[locale], errorMessageKey(code)) === textAt(catalogues.en, errorMessageKey(code)));
      assert.deepEqual(same, [], `${locale}: copied from English`);
    });
  }

  it('the check notices a code without a message', () => {
    const { apiErrors, ...rest } = catalogues.es as { apiErrors: Record<string, string> };
    const { tenant_not_found: _dropped, ...fewer } = apiErrors;
    assert.deepEqual(untranslated({ ...rest, apiErrors: fewer }), ['tenant.not_found']);
  });
});
