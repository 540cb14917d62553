// `npm test`: every test file, in three groups.
//   together  files that are isolated (their own database, Redis prefix, ports): dealt into batches of about equal
//             expected time (suite-timings.ts: each file's time in the last run here) that share a test process each
//             (suite-batches.ts: the app's modules are loaded once per batch, not once per file); a file marked
//             `// test-process: own`, or with hooks at its top level, is a batch of its own;
//   lane      the browser files (e2e/) and those marked `// test-group: lane` (processes or stores of their own, stopped
//             and started): each in a process of its own, at most two at a time;
//   serial    files marked `// test-group: serial` (they measure the machine or need all of it): one at a time, once
//             the other two groups are done, with nothing else running.
// The batches and the lane's files share one pool of slots (suite-batches.ts, shareOut): a slot that ends takes the
// longest lane file left while the lane has room (the lane would otherwise be the suite's longest path), else the
// longest batch left. Each batch, lane file and the serial group is one `node --test` run; the suite fails if any
// does. A batch's or lane file's output is printed as a block when it ends, the serial group's as it comes; each
// group ends with its slowest files, then a timeline of every process (its span and CPU), and the suite with one
// line counting every group's tests.
//   node dist/test/support/run-suite.js [folder-or-file ...]   only what lies under these (e.g. dist/test/unit)
//   TEST_CONCURRENCY=n                                          slots besides the lane's (default: the cores on an idle
//                                                               machine; with the lane's two, two processes more than
//                                                               cores, as a file keeps about half a core busy)
//   TEST_LANE_SLOTS=n                                           lane files at a time (default 2)
//   TEST_BATCH_FILES=n                                          files per shared process in `together` (default: the
//                                                               files dealt into four tapering batches per TEST_CONCURRENCY)
//   TEST_TIMINGS=n                                              how many of each group's slowest files to list (default 15)
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { slowestFiles, timingLine, type FileTiming } from './file-timings.js';
import { batches, sharesProcess, shareOut, type Job, type Kind } from './suite-batches.js';
import { expectedSeconds, processSeconds, rememberSeconds } from './suite-timings.js';

const distTest = fileURLToPath(new URL('../', import.meta.url));
/** each file's time as a line (file-timing-lines.ts), for the group's slowest files when it ends */
const timingsReporter = fileURLToPath(new URL('./file-timing-lines.js', import.meta.url));
/** a line of its own, at the start of the line (tsc keeps comments) */
const groupMarker = /^\/\/ test-group: (serial|lane)\b/m;
/** no single test (or suite) may run longer than this: a hang fails instead of stalling the run */
const testTimeoutMs = 10 * 60_000;
/** when the suite started: each run's span is counted from it */
const suiteStart = Date.now();

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

interface GroupRun {
  code: number; passed: number; failed: number; timings: FileTiming[]; output: { stdout: string; stderr: string };
  /** what ran, and when from the suite's start (for the timeline at the end) */
  span: { files: string[]; from: number; to: number };
  /** CPU-seconds of the `node --test` process and all it started (Linux; file-timing-lines.ts), null elsewhere */
  cpu: number | null;
}

/** the counts in the closing lines of a `node --test` run (`# pass 12` in tap, `ℹ pass 12` in spec); a cancelled test failed */
export function testCounts(stdout: string): { passed: number; failed: number } {
  const plain = stdout.replace(/\u001b\[[0-9;]*m/g, '');
  const count = (word: string) => Number([...plain.matchAll(new RegExp(`^(?:#|ℹ) ${word} (\\d+)$`, 'gm'))].at(-1)?.[1] ?? 0);
  return { passed: count('pass'), failed: count('fail') + count('cancelled') };
}

/**
 * One `node --test` run of `files`: each in a process of its own, `concurrency` at a time, or (`shared`) all in the
 * runner's own process, one after another. `live`: its output goes straight to this process's; otherwise it is kept
 * and handed back, to be printed in one piece. Either way the timing reporter's lines are kept, not printed.
 */
function run(files: string[], options: { concurrency?: number; shared?: boolean; live: boolean }): Promise<GroupRun> {
  const output = { stdout: '', stderr: '' };
  const timings: FileTiming[] = [];
  const from = Date.now() - suiteStart;
  let cpu: number | null = null;
  if (!files.length) return Promise.resolve({ code: 0, passed: 0, failed: 0, timings, output, span: { files, from, to: from }, cpu });
  return new Promise((done) => {
    // naming a reporter replaces node's default, which is spec on a terminal and TAP otherwise: keep that choice
    const usual = process.stdout.isTTY ? 'spec' : 'tap';
    const reporters = [`--test-reporter=${usual}`, '--test-reporter-destination=stdout', `--test-reporter=${timingsReporter}`, '--test-reporter-destination=stderr'];
    const isolation = options.shared ? ['--experimental-test-isolation=none'] : [`--test-concurrency=${options.concurrency ?? 1}`];
    // a hang fails the test that hangs (and names it) instead of stalling CI
    // piped, so the reporter prints without colours (FORCE_COLOR would reach the test processes and what they print too)
    const child = spawn(process.execPath, ['--test', ...isolation, `--test-timeout=${testTimeoutMs}`, ...reporters, ...files], {
      stdio: ['inherit', 'pipe', 'pipe'],
    });
    let stdout = '';
    let partial = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (options.live) process.stdout.write(chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        const timing = timingLine(line);
        if (timing) timings.push(timing);
        else if (line.startsWith('#cpu ')) cpu = Number(line.slice(5));
        else if (options.live) process.stderr.write(`${line}\n`);
        else output.stderr += `${line}\n`;
      }
    });
    child.on('close', (code, signal) => {
      if (partial) output.stderr += partial;
      if (options.live) process.stderr.write(output.stderr);
      else output.stdout = stdout;
      done({ code: code ?? (signal ? 1 : 0), ...testCounts(stdout), timings, output, span: { files, from, to: Date.now() - suiteStart }, cpu });
    });
  });
}

/** each process's span, by start: `#   0:00–5:43  lane  conformance.e2e` (where the suite's wall time went) */
export function timeline(runs: ReadonlyArray<{ kind: string; run: Pick<GroupRun, 'span' | 'timings' | 'cpu'> }>): string {
  const clock = (ms: number) => `${Math.floor(ms / 60_000)}:${String(Math.floor(ms / 1000) % 60).padStart(2, '0')}`;
  const name = (file: string) => file.split(sep).at(-1)!.replace(/\.test\.js$/, '');
  const rows = [...runs].sort((a, b) => a.run.span.from - b.run.span.from).map(({ kind, run: { span, timings, cpu } }) => {
    const slowest = [...timings].sort((a, b) => b.seconds - a.seconds)[0];
    const what = span.files.length === 1 ? name(span.files[0]!)
      : `${span.files.length} files${slowest ? `, the slowest ${name(slowest.file)} (${slowest.seconds.toFixed(0)} s)` : ''}`;
    const used = cpu === null ? '' : `${cpu.toFixed(0).padStart(4)} CPU-s  `;
    return `#   ${clock(span.from).padStart(5)}–${clock(span.to).padEnd(5)}  ${used}${kind.padEnd(8)}  ${what}\n`;
  });
  const total = runs.reduce((sum, r) => sum + (r.run.cpu ?? 0), 0);
  const head = `# timeline (minutes:seconds from the start${runs.some((r) => r.run.cpu !== null) ? `; ${total.toFixed(0)} CPU-s in all, PostgreSQL and Redis apart` : ''}):\n`;
  return rows.length ? `${head}${rows.join('')}` : '';
}

/** prints a run's output kept until it ended */
function print(run: GroupRun): GroupRun {
  process.stdout.write(run.output.stdout);
  process.stderr.write(run.output.stderr);
  return run;
}

/**
 * The together files as batches (suite-batches.ts) dealt by expected time (suite-timings.ts), four for each batch
 * at a time unless TEST_BATCH_FILES says how many files in one, and a job of its own for each file that may not
 * share a process; the lane's files a job each.
 */
function jobsOf(together: string[], lane: string[], concurrency: number): Job[] {
  const expected = expectedSeconds([...together, ...lane], distTest);
  const shared = together.filter((file) => sharesProcess(readFileSync(file, 'utf8')));
  const own = together.filter((file) => !shared.includes(file));
  const requested = Number(process.env.TEST_BATCH_FILES);
  const count = Number.isInteger(requested) && requested > 0 ? Math.ceil(shared.length / requested) : 4 * concurrency;
  const dealt = batches(shared.map((path) => ({ path, weight: expected.get(path)! })), count);
  const job = (files: string[], kind: Kind): Job => ({ files, kind, seconds: processSeconds + files.reduce((sum, f) => sum + expected.get(f)!, 0) });
  return [...dealt.map((files) => job(files, 'together')), ...own.map((file) => job([file], 'together')), ...lane.map((file) => job([file], 'lane'))];
}

/** lane files at a time (TEST_LANE_SLOTS, default 2) */
function laneSlots(): number {
  const requested = Number(process.env.TEST_LANE_SLOTS);
  return Number.isInteger(requested) && requested > 0 ? requested : 2;
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
 * As many batches as cores on a machine that is otherwise idle, beside the lane's two files: a file keeps only about
 * half a core busy (docs/test-suite.md). On a machine that other work already keeps busy (a load average over twice the cores;
 * the build that `npm test` runs first stays under it) one fewer, as more would only queue for the cores and stretch
 * each file's time towards its limit.
 */
function defaultConcurrency(): number {
  const cores = availableParallelism();
  return loadavg()[0]! > 2 * cores ? Math.max(1, cores - 1) : cores;
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
  const timingsOf = (runs: GroupRun[]) => slowestFiles(runs.flatMap((r) => r.timings));
  const ran = await shareOut(jobsOf(together, lane, concurrency), concurrency + laneSlots(), laneSlots(),
    async (batch, kind) => print(await run(batch, kind === 'together' ? { shared: true, live: false } : { live: false })));
  const shared = ran.filter((r) => r.kind === 'together').map((r) => r.result);
  const beside = ran.filter((r) => r.kind === 'lane').map((r) => r.result);
  process.stderr.write(timingsOf(shared));
  process.stderr.write(timingsOf(beside));
  const last = await run(serial, { concurrency: 1, live: true });
  process.stderr.write(timingsOf([last]));
  const runs = [...shared, ...beside, last];
  rememberSeconds(runs.flatMap((r) => r.timings), distTest);
  process.stderr.write(timeline([...ran.map((r) => ({ kind: r.kind, run: r.result })), { kind: 'serial', run: last }]));
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  process.stdout.write(`# ${files.length} files (${together.length} in ${shared.length} processes and ${lane.length} lane files, `
    + `${concurrency + laneSlots()} processes at a time, at most ${laneSlots()} of them lane files; ${serial.length} alone) in ${minutes} min\n`);
  const sum = (key: 'passed' | 'failed') => runs.reduce((total, r) => total + r[key], 0);
  process.stdout.write(`suite: ${sum('passed')} passed, ${sum('failed')} failed\n`);
  process.exitCode = runs.some((r) => r.code !== 0) ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
