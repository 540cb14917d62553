// A `node --test` reporter that times each test file: the summed durations of its top-level tests and suites (a
// suite's hooks, such as a server started in its `before`, are part of its duration; module loading is not), and
// prints the slowest at the end. (Arrival times would not do: the runner holds back a file's events while an
// earlier file is still reporting.)
// run-suite.ts adds it beside the usual reporter, writing to stderr; TEST_TIMINGS=n shows n files (default 15).
//   node --test --test-reporter=spec --test-reporter-destination=stdout \
//     --test-reporter=./dist/test/support/file-timings.js --test-reporter-destination=stderr <files>
import { relative } from 'node:path';

interface TestEvent { type: string; data?: { file?: string; nesting?: number; name?: string; details?: { duration_ms?: number } } }

const shown = Number(process.env.TEST_TIMINGS ?? 15);

export default async function* fileTimings(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const files = new Map<string, { ms: number; failed: boolean }>();
  for await (const event of source) {
    const file = event.data?.file;
    if (!file || event.data?.nesting !== 0 || (event.type !== 'test:pass' && event.type !== 'test:fail')) continue;
    const entry = files.get(file) ?? { ms: 0, failed: false };
    entry.ms += event.data.details?.duration_ms ?? 0;
    if (event.type === 'test:fail') entry.failed = true;
    files.set(file, entry);
  }
  const rows = [...files.entries()].map(([file, f]) => ({ file: relative(process.cwd(), file), seconds: f.ms / 1000, failed: f.failed }))
    .sort((a, b) => b.seconds - a.seconds);
  if (!rows.length) return;
  const total = rows.reduce((sum, r) => sum + r.seconds, 0);
  yield `# slowest test files (their top-level tests and suites; ${rows.length} files, ${total.toFixed(0)} s summed):\n`;
  for (const r of rows.slice(0, shown)) yield `#   ${r.seconds.toFixed(1).padStart(6)} s  ${r.file}${r.failed ? '  (failed)' : ''}\n`;
}
