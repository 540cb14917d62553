// `npm test`: every test file, those that are isolated (their own database, Redis prefix, ports) several at a time,
// then the serial group one at a time: the browser (e2e/) and files marked `// test-group: serial` (several processes,
// or anything that stops a shared service). Each group is one `node --test` run; the suite fails if either does.
//   node dist/test/support/run-suite.js [folder-or-file ...]   only what lies under these (e.g. dist/test/unit)
//   TEST_CONCURRENCY=n                                          files at a time in the isolated group (default: cores)
//   TEST_TIMINGS=n                                              how many of each group's slowest files to list (default 15)
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const distTest = fileURLToPath(new URL('../', import.meta.url));
/** prints each group's slowest files when it ends (file-timings.ts) */
const timingsReporter = fileURLToPath(new URL('./file-timings.js', import.meta.url));
/** a line of its own, at the start of the line (tsc keeps comments) */
const serialMarker = /^\/\/ test-group: serial\b/m;
/** no single test (or suite) may run longer than this: a hang fails instead of stalling the run */
const testTimeoutMs = 10 * 60_000;

function testFiles(dir: string): string[] {
  if (statSync(dir).isFile()) return dir.endsWith('.test.js') ? [dir] : [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.test.js') ? [path] : [];
  });
}

export function isSerial(file: string): boolean {
  return relative(distTest, file).split(sep)[0] === 'e2e' || serialMarker.test(readFileSync(file, 'utf8'));
}

function run(files: string[], concurrency: number): Promise<number> {
  if (!files.length) return Promise.resolve(0);
  return new Promise((done) => {
    // naming a reporter replaces node's default, which is spec on a terminal and TAP otherwise: keep that choice
    const usual = process.stdout.isTTY ? 'spec' : 'tap';
    const reporters = [`--test-reporter=${usual}`, '--test-reporter-destination=stdout', `--test-reporter=${timingsReporter}`, '--test-reporter-destination=stderr'];
    // a hang fails the test that hangs (and names it) instead of stalling CI
    const child = spawn(process.execPath, ['--test', `--test-concurrency=${concurrency}`, `--test-timeout=${testTimeoutMs}`, ...reporters, ...files], { stdio: 'inherit' });
    child.on('exit', (code, signal) => done(code ?? (signal ? 1 : 0)));
  });
}

async function main(): Promise<void> {
  const roots = process.argv.slice(2).map((p) => resolve(p));
  const files = [...new Set((roots.length ? roots : [distTest]).flatMap(testFiles))].sort();
  if (!files.length) throw new Error(`no test files under ${roots.join(', ')}`);
  const requested = Number(process.env.TEST_CONCURRENCY);
  const concurrency = Number.isInteger(requested) && requested > 0 ? requested : availableParallelism();
  const serial = files.filter(isSerial);
  const isolated = files.filter((file) => !serial.includes(file));
  const started = Date.now();
  const codes = [await run(isolated, concurrency), await run(serial, 1)];
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  process.stdout.write(`# ${files.length} files (${isolated.length} at ${concurrency} a time, ${serial.length} one at a time) in ${minutes} min\n`);
  process.exitCode = codes.some((code) => code !== 0) ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
