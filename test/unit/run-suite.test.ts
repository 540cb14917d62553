// Which group `npm test` runs each file in (run-suite.ts): the browser files and those marked `lane` one at a time
// beside the rest, those marked `serial` alone at the end, all others together.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { groupOf, testCounts } from '../support/run-suite.js';

const built = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));

describe('test groups', () => {
  it('runs browser files and files marked `// test-group: lane` in the lane, those marked serial alone, the rest together', () => {
    assert.equal(groupOf(built('e2e/login.e2e.test.js')), 'lane', 'a browser file');
    assert.equal(groupOf(built('integration/database-outage.test.js')), 'lane', 'a file marked lane');
    assert.equal(groupOf(built('integration/multi-process.test.js')), 'serial', 'a file marked serial');
    // a browser file marked serial (none is now): a probe beside them, not named .test.js, so no run lists it
    const probe = built(`e2e/serial-marker-probe-${process.pid}.js`);
    writeFileSync(probe, '// test-group: serial (a probe)\n');
    try {
      assert.equal(groupOf(probe), 'serial', 'a browser file marked serial');
    } finally {
      rmSync(probe, { force: true });
    }
    assert.equal(groupOf(built('integration/code-flow.test.js')), 'together');
    assert.equal(groupOf(built('unit/run-suite.test.js')), 'together', 'naming a marker in a string does not mark a file');
  });
});

describe('the suite\'s closing line', () => {
  it('adds up the counts of a group\'s closing lines, tap or spec (coloured), a cancelled test as failed', () => {
    const tap = 'ok 1 - a\n# tests 3\n# suites 1\n# pass 2\n# fail 1\n# cancelled 0\n# skipped 0\n';
    assert.deepEqual(testCounts(tap), { passed: 2, failed: 1 });
    const spec = '\u001b[34mℹ tests 9\u001b[39m\n\u001b[34mℹ pass 7\u001b[39m\n\u001b[34mℹ fail 0\u001b[39m\n\u001b[34mℹ cancelled 2\u001b[39m\n';
    assert.deepEqual(testCounts(spec), { passed: 7, failed: 2 });
    assert.deepEqual(testCounts('# Subtest: # pass 5 in a name\nok 1 - x # pass 5\n'), { passed: 0, failed: 0 }, 'only lines of their own');
  });
});
