// Rewrites README.md's error reference (between its markers) from the built catalogue: `npm run docs:errors`.
import { readFileSync, writeFileSync } from 'node:fs';
import { errorReferenceIn, errorReferenceMarkdown } from '../dist/src/errors/error-reference.js';

const path = new URL('../README.md', import.meta.url);
const readme = readFileSync(path, 'utf8');
const published = errorReferenceIn(readme);
if (!published) throw new Error('README.md has no error-reference markers');
writeFileSync(path, readme.replace(published, errorReferenceMarkdown()));
