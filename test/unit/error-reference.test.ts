// The one error catalogue, its README table and the OpenAPI Error schema must say the same thing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { errorCatalogue } from '../../src/errors/error-catalogue.js';
import { errorReferenceIn, errorReferenceMarkdown, errorSchema } from '../../src/errors/error-reference.js';
import { openApiDocument } from '../../src/management/openapi.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

test('every code has an HTTP error status, a message and what to do', () => {
  for (const [code, entry] of Object.entries(errorCatalogue)) {
    assert.match(code, /^[a-z]+\.[a-z_]+$/, code);
    assert.ok(entry.status >= 400 && entry.status <= 599, code);
    assert.ok(entry.message.length > 0 && entry.action.length > 0, code);
  }
});

test('README error reference is the catalogue (regenerate the table from errorReferenceMarkdown())', () => {
  const published = errorReferenceIn(readme);
  assert.ok(published, 'README.md has the error-reference markers');
  assert.equal(published, errorReferenceMarkdown());
  for (const [code, entry] of Object.entries(errorCatalogue)) {
    assert.ok(published.includes(`| \`${code}\` | ${entry.status} |`), `README lists ${code} with ${entry.status}`);
  }
});

test('the OpenAPI Error schema lists every code with its status and remedy', () => {
  const document = openApiDocument([], new URL('https://id.example.com')) as { components: { schemas: { Error: ReturnType<typeof errorSchema> } } };
  const schema = document.components.schemas.Error as { properties: { error: { enum: string[] } }; oneOf: { title: string; 'x-status': number; description: string }[] };
  assert.deepEqual(schema, errorSchema());
  assert.deepEqual(schema.properties.error.enum, Object.keys(errorCatalogue));
  for (const [code, entry] of Object.entries(errorCatalogue)) {
    const branch = schema.oneOf.find((b) => b.title === code);
    assert.ok(branch, code);
    assert.equal(branch['x-status'], entry.status);
    assert.ok(branch.description.includes(entry.action), code);
  }
});
