// Which files `npm test` runs one at a time (run-suite.ts): the browser files and those marked serial; all others
// share the machine with each other.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isSerial } from '../support/run-suite.js';

const built = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));

describe('test groups', () => {
  it('runs browser files and files marked `// test-group: serial` one at a time, and the rest together', () => {
    assert.equal(isSerial(built('e2e/login.e2e.test.js')), true, 'a browser file');
    assert.equal(isSerial(built('integration/multi-process.test.js')), true, 'a marked file');
    assert.equal(isSerial(built('integration/code-flow.test.js')), false);
    assert.equal(isSerial(built('unit/run-suite.test.js')), false, 'naming the marker in a string does not mark a file');
  });
});
