// `npm test`: every test file, in three groups.
//   together  files that are isolated (their own database, Redis prefix, ports): several at a time;
//   lane      the browser files (e2e/) and those marked `// test-group: lane` (processes or stores of their own, stopped
//             and started): one at a time, in a lane of their own beside `together`;
//   serial    files marked `// test-group: serial` (they measure the machine or need all of it): one at a time, once
//             the other two groups are done, with nothing else running.
// Each group is one `node --test` run; the suite fails if any does. The lane's output is printed as a block when it
// ends (the `together` group's streams meanwhile), and the suite ends with one line counting every group's tests.
//   node dist/test/support/run-suite.js [folder-or-file ...]   only what lies under these (e.g. dist/test/unit)
//   TEST_CONCURRENCY=n                                          files at a time in `together` (default: cores + 1 on an
//                                                               idle machine, as a file keeps about half a core busy)
//   TEST_TIMINGS=n                                              how many of each group's slowest files to list (default 15)
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const distTest = fileURLToPath(new URL('../', import.meta.url));
/** prints each group's slowest files when it ends (file-timings.ts) */
const timingsReporter = fileURLToPath(new URL('./file-timings.js', import.meta.url));
/** a line of its own, at the start of the line (tsc keeps comments) */
const groupMarker = /^\/\/ test-group: (serial|lane)\b/m;
/** no single test (or suite) may run longer than this: a hang fails instead of stalling the run */
const testTimeoutMs = 10 * 60_000;

export type TestGroup = 'together' | 'lane' | 'serial';

function testFiles(dir: string): string[] {
  if (statSync(dir).isFile()) return dir.endsWith('.test.js') ? [dir] : [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.test.js') ? [path] : [];
  });
}

export function groupOf(file: string): TestGroup {
  const marked = groupMarker.exec(readFileSync(file, 'utf8'))?.[1] as TestGroup | undefined;
  if (marked === 'serial') return 'serial';
  return marked ?? (relative(distTest, file).split(sep)[0] === 'e2e' ? 'lane' : 'together');
}

interface GroupRun { code: number; passed: number; failed: number; output: { stdout: string; stderr: string } }

/** the counts in the closing lines of a `node --test` run (`# pass 12` in tap, `ℹ pass 12` in spec); a cancelled test failed */
export function testCounts(stdout: string): { passed: number; failed: number } {
  const plain = stdout.replace(/\u001b\[[0-9;]*m/g, '');
  const count = (word: string) => Number([...plain.matchAll(new RegExp(`^(?:#|ℹ) ${word} (\\d+)$`, 'gm'))].at(-1)?.[1] ?? 0);
  return { passed: count('pass'), failed: count('fail') + count('cancelled') };
}

/**
 * One `node --test` run of `files`, `concurrency` at a time. `live`: its output goes straight to this process's;
 * otherwise it is kept and handed back, to be printed in one piece.
 */
function run(files: string[], concurrency: number, live: boolean): Promise<GroupRun> {
  const output = { stdout: '', stderr: '' };
  if (!files.length) return Promise.resolve({ code: 0, passed: 0, failed: 0, output });
  return new Promise((done) => {
    // naming a reporter replaces node's default, which is spec on a terminal and TAP otherwise: keep that choice
    const usual = process.stdout.isTTY ? 'spec' : 'tap';
    const reporters = [`--test-reporter=${usual}`, '--test-reporter-destination=stdout', `--test-reporter=${timingsReporter}`, '--test-reporter-destination=stderr'];
    // a hang fails the test that hangs (and names it) instead of stalling CI
    // piped, so the reporter prints without colours (FORCE_COLOR would reach the test processes and what they print too)
    const child = spawn(process.execPath, ['--test', `--test-concurrency=${concurrency}`, `--test-timeout=${testTimeoutMs}`, ...reporters, ...files], {
      stdio: ['inherit', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (live) process.stdout.write(chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (live) process.stderr.write(chunk);
      else output.stderr += chunk;
    });
    child.on('close', (code, signal) => {
      if (!live) output.stdout = stdout;
      done({ code: code ?? (signal ? 1 : 0), ...testCounts(stdout), output });
    });
  });
}

/**
 * Node's compile cache (V8 code for every module loaded) for the test processes, and through processBaseEnv() for the
 * servers and CLI commands they start: every process loads the app's modules again, and a cached compile takes
 * about a sixth off loading them (a few percent of a file's CPU). An entry is checked against its source before use.
 */
function compileCacheEnv(): Record<string, string> {
  return process.env.NODE_COMPILE_CACHE ? {} : { NODE_COMPILE_CACHE: join(tmpdir(), 'tessera-test-compile-cache') };
}

/**
 * One file more than there are cores on a machine that is otherwise idle: a file keeps only about half a core busy
 * (README). On a machine that other work already keeps busy (a load average over twice the cores; the build
 * that `npm test` runs first stays under it) one file per core, as more would only queue for the cores and stretch
 * each file's time towards its limit.
 */
function defaultConcurrency(): number {
  const cores = availableParallelism();
  return loadavg()[0]! > 2 * cores ? cores : cores + 1;
}

async function main(): Promise<void> {
  const roots = process.argv.slice(2).map((p) => resolve(p));
  const files = [...new Set((roots.length ? roots : [distTest]).flatMap(testFiles))].sort();
  if (!files.length) throw new Error(`no test files under ${roots.join(', ')}`);
  const requested = Number(process.env.TEST_CONCURRENCY);
  const concurrency = Number.isInteger(requested) && requested > 0 ? requested : defaultConcurrency();
  Object.assign(process.env, compileCacheEnv());
  const [together, lane, serial] = (['together', 'lane', 'serial'] as const).map((group) => files.filter((file) => groupOf(file) === group));
  const started = Date.now();
  const [first, beside] = await Promise.all([run(together, concurrency, true), run(lane, 1, false)]);
  process.stdout.write(beside.output.stdout);
  process.stderr.write(beside.output.stderr);
  const last = await run(serial, 1, true);
  const runs = [first, beside, last];
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  process.stdout.write(`# ${files.length} files (${together.length} at ${concurrency} a time, ${lane.length} one at a time beside them, `
    + `${serial.length} alone) in ${minutes} min\n`);
  const sum = (key: 'passed' | 'failed') => runs.reduce((total, r) => total + r[key], 0);
  process.stdout.write(`suite: ${sum('passed')} passed, ${sum('failed')} failed\n`);
  process.exitCode = runs.some((r) => r.code !== 0) ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
