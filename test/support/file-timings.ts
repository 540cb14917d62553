// A `node --test` reporter that times each test file: the summed durations of its top-level tests and suites (a
// suite's hooks, such as a server started in its `before`, are part of its duration; module loading is not), and
// prints the slowest at the end. (Arrival times would not do: the runner holds back a file's events while an
// earlier file is still reporting.)
// run-suite.ts adds it beside the usual reporter, writing to stderr; TEST_TIMINGS=n shows n files (default 15).
// run-suite.ts itself uses file-timing-lines.ts instead, which prints every file as a `#timing {…}` line, to list the
// slowest of a group whose files ran in several `node --test` processes (timingLine, slowestFiles).
//   node --test --test-reporter=spec --test-reporter-destination=stdout \
//     --test-reporter=./dist/test/support/file-timings.js --test-reporter-destination=stderr <files>
import { relative } from 'node:path';

export interface TestEvent { type: string; data?: { file?: string; nesting?: number; name?: string; details?: { duration_ms?: number } } }

const shown = Number(process.env.TEST_TIMINGS ?? 15);

export interface FileTiming { file: string; seconds: number; failed: boolean }

const timingPrefix = '#timing ';

/** a `#timing {…}` line of file-timing-lines.ts read back; null for any other line */
export function timingLine(line: string): FileTiming | null {
  return line.startsWith(timingPrefix) ? JSON.parse(line.slice(timingPrefix.length)) as FileTiming : null;
}

/** the slowest `count` files, slowest first, after a line with how many files and their summed time */
export function slowestFiles(timings: readonly FileTiming[], count = shown): string {
  const rows = [...timings].map((t) => ({ ...t, file: relative(process.cwd(), t.file) })).sort((a, b) => b.seconds - a.seconds);
  if (!rows.length) return '';
  const total = rows.reduce((sum, r) => sum + r.seconds, 0);
  let out = `# slowest test files (their top-level tests and suites; ${rows.length} files, ${total.toFixed(0)} s summed):\n`;
  for (const r of rows.slice(0, count)) out += `#   ${r.seconds.toFixed(1).padStart(6)} s  ${r.file}${r.failed ? '  (failed)' : ''}\n`;
  return out;
}

/** each file's summed top-level time, and whether any of its top-level tests failed */
export async function timingsOf(source: AsyncIterable<TestEvent>): Promise<FileTiming[]> {
  const files = new Map<string, { ms: number; failed: boolean }>();
  for await (const event of source) {
    const file = event.data?.file;
    if (!file || event.data?.nesting !== 0 || (event.type !== 'test:pass' && event.type !== 'test:fail')) continue;
    const entry = files.get(file) ?? { ms: 0, failed: false };
    entry.ms += event.data.details?.duration_ms ?? 0;
    if (event.type === 'test:fail') entry.failed = true;
    files.set(file, entry);
  }
  return [...files.entries()].map(([file, f]) => ({ file, seconds: f.ms / 1000, failed: f.failed }));
}

/** `#timing {…}` for a file, as file-timing-lines.ts prints it */
export const timingText = (timing: FileTiming): string => `${timingPrefix}${JSON.stringify(timing)}\n`;

export default async function* fileTimings(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const table = slowestFiles(await timingsOf(source));
  if (table) yield table;
}
