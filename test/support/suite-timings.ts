// What run-suite.ts expects each test file to take, to deal the together files into batches of about equal time and
// to start the longest processes first: each file's time in the last run on this machine, kept in the temp folder
// (`tessera-test-timings.json`, written at the end of every run), or, for a file not timed yet (a new clone, a new
// file), its size at the rate the timed files ran. Only the order and the dealing depend on it: which files run, and
// with what, does not.
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { FileTiming } from './file-timings.js';

const cacheFile = join(tmpdir(), 'tessera-test-timings.json');
/** a file's seconds per byte of built source when nothing has been timed (about what the suite's files average) */
const untimedRate = 1 / 1_500;
/** what starting a `node --test` process and loading the app's modules adds to a job (about, on two cores) */
export const processSeconds = 2;

type Seconds = Record<string, number>;

function readCache(): Seconds {
  try {
    const parsed: unknown = JSON.parse(readFileSync(cacheFile, 'utf8'));
    if (!parsed || typeof parsed !== 'object') return {};
    return Object.fromEntries(Object.entries(parsed).filter(([, v]) => typeof v === 'number' && Number.isFinite(v) && v >= 0)) as Seconds;
  } catch {
    return {}; // none yet, or unreadable: sizes stand in
  }
}

/** each file's expected seconds, by its path under `root`: timed where it was, its size at the timed files' rate otherwise */
export function expectedSeconds(files: readonly string[], root: string, cached: Seconds = readCache()): Map<string, number> {
  const size = new Map(files.map((file) => [file, statSync(file).size]));
  const timed = files.filter((file) => cached[relative(root, file)] !== undefined);
  const timedBytes = timed.reduce((sum, file) => sum + size.get(file)!, 0);
  const timedSeconds = timed.reduce((sum, file) => sum + cached[relative(root, file)]!, 0);
  const rate = timedBytes > 0 && timedSeconds > 0 ? timedSeconds / timedBytes : untimedRate;
  return new Map(files.map((file) => [file, cached[relative(root, file)] ?? size.get(file)! * rate]));
}

/** keeps this run's file times for the next run (the others' as they were); a failure to write only loses the hint */
export function rememberSeconds(timings: readonly FileTiming[], root: string): void {
  const merged = readCache();
  for (const t of timings) merged[relative(root, t.file)] = Math.round(t.seconds * 10) / 10;
  try {
    const partial = `${cacheFile}.${process.pid}`;
    writeFileSync(partial, `${JSON.stringify(merged, null, 1)}\n`);
    renameSync(partial, cacheFile);
  } catch { /* a read-only temp folder: the next run deals by size */ }
}
