// run-suite's timing reporter (test/support/file-timings.ts): each file's time is the sum of its top-level tests and
// suites, nested tests are not counted twice, and the slowest files come first.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fileTimings from '../support/file-timings.js';

async function* events() {
  const pass = (file: string, nesting: number, ms: number) => ({ type: 'test:pass', data: { file, nesting, details: { duration_ms: ms } } });
  yield pass('/x/fast.test.js', 0, 1_000);
  yield pass('/x/slow.test.js', 1, 7_000);
  yield pass('/x/slow.test.js', 0, 8_000);
  yield pass('/x/slow.test.js', 0, 4_000);
  yield { type: 'test:fail', data: { file: '/x/fast.test.js', nesting: 0, details: { duration_ms: 500 } } };
  yield { type: 'test:diagnostic', data: { file: '/x/fast.test.js', nesting: 0 } };
}

it('lists each file once, slowest first, with its top-level time summed', async () => {
  let out = '';
  for await (const line of fileTimings(events())) out += line;
  const rows = out.trim().split('\n');
  assert.match(rows[0]!, /2 files, 14 s summed/);
  assert.match(rows[1]!, /^#\s+12\.0 s {2}.*slow\.test\.js$/);
  assert.match(rows[2]!, /^#\s+1\.5 s {2}.*fast\.test\.js {2}\(failed\)$/);
  assert.equal(rows.length, 3);
});
