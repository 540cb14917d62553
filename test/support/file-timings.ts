// A `node --test` reporter that times each test file, from its first event to its last (module loading and
// server start-up included, as they run inside the file's first hook), and prints the slowest at the end.
// run-suite.ts adds it beside the usual reporter, writing to stderr; TEST_TIMINGS=n shows n files (default 15).
//   node --test --test-reporter=spec --test-reporter-destination=stdout \
//     --test-reporter=./dist/test/support/file-timings.js --test-reporter-destination=stderr <files>
import { relative } from 'node:path';

interface TestEvent { type: string; data?: { file?: string; nesting?: number; name?: string } }

const shown = Number(process.env.TEST_TIMINGS ?? 15);

export default async function* fileTimings(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const spans = new Map<string, { first: number; last: number; failed: boolean }>();
  for await (const event of source) {
    const file = event.data?.file;
    if (!file) continue;
    const now = performance.now();
    const span = spans.get(file) ?? { first: now, last: now, failed: false };
    span.last = now;
    if (event.type === 'test:fail') span.failed = true;
    spans.set(file, span);
  }
  const rows = [...spans.entries()].map(([file, s]) => ({ file: relative(process.cwd(), file), seconds: (s.last - s.first) / 1000, failed: s.failed }))
    .sort((a, b) => b.seconds - a.seconds);
  if (!rows.length) return;
  const total = rows.reduce((sum, r) => sum + r.seconds, 0);
  yield `# slowest test files (first to last event; ${rows.length} files, ${total.toFixed(0)} s summed):\n`;
  for (const r of rows.slice(0, shown)) yield `#   ${r.seconds.toFixed(1).padStart(6)} s  ${r.file}${r.failed ? '  (failed)' : ''}\n`;
}
