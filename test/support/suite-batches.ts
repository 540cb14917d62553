// How run-suite.ts shares test processes among the `together` files: a test process loads the app's modules once
// (about 1.5 CPU-seconds, half a small file's CPU), so the files are dealt into batches and each batch runs in one
// `node --test --experimental-test-isolation=none` process, its files one after another. Each file still has its
// own database, Redis prefix and servers, started and stopped by its own suites' hooks.
// A file keeps a process of its own when it says so (`// test-process: own`: it changes the process, e.g. a global
// it does not put back, or holds something from its loading to its tests) or when it has hooks at its top level:
// in a shared process those belong to the process's root and would run around every test of every file in it.

/** a line of its own, at the start of the line (tsc keeps comments) */
const ownMarker = /^\/\/ test-process: own\b/m;
/** `before(`, `afterEach(` … at the start of a line: a hook of the file's root, not of one of its suites */
const rootHook = /^(?:before|after|beforeEach|afterEach)\(/m;

/** whether a test file (its built source) may share a process with others */
export function sharesProcess(source: string): boolean {
  return !ownMarker.test(source) && !rootHook.test(source);
}

export interface Weighed { path: string; weight: number }

/**
 * Deals files into `count` batches of about equal weight (the heaviest first, each to the lightest batch so far),
 * the heaviest batch first. Each batch keeps its files in the order given.
 */
export function batches(files: readonly Weighed[], count: number): string[][] {
  const bins = Array.from({ length: Math.max(1, Math.min(count, files.length)) }, () => ({ weight: 0, files: [] as Weighed[] }));
  for (const file of [...files].sort((a, b) => b.weight - a.weight)) {
    const lightest = bins.reduce((min, bin) => (bin.weight < min.weight ? bin : min));
    lightest.weight += file.weight;
    lightest.files.push(file);
  }
  const order = new Map(files.map((f, i) => [f.path, i]));
  return bins.filter((bin) => bin.files.length).sort((a, b) => b.weight - a.weight)
    .map((bin) => bin.files.map((f) => f.path).sort((a, b) => order.get(a)! - order.get(b)!));
}

export type Kind = 'together' | 'lane';

/**
 * Runs the together batches `concurrency` at a time and, beside them, the lane's files `laneSlots` at a time, in the
 * order given (run-suite.ts gives the heaviest first, so the lane's long files do not end up alone at the end). The
 * lane is the suite's longest path (browsers, embedded databases, stores stopped and started), so it has its slots
 * from the start; a together worker that finds no batch left helps it, within the same `laneSlots`.
 * The results as they end.
 */
export async function shareOut<R>(together: readonly string[][], lane: readonly string[], concurrency: number, laneSlots: number,
  work: (files: string[], kind: Kind) => Promise<R>): Promise<Array<{ kind: Kind; result: R }>> {
  const results: Array<{ kind: Kind; result: R }> = [];
  let nextBatch = 0;
  let nextLane = 0;
  let laneRunning = 0;
  const runLane = async () => {
    const file = lane[nextLane++]!;
    laneRunning++;
    try {
      results.push({ kind: 'lane', result: await work([file], 'lane') });
    } finally {
      laneRunning--;
    }
  };
  const laneWorker = async () => {
    while (nextLane < lane.length) await runLane();
  };
  const togetherWorker = async () => {
    while (nextBatch < together.length) {
      const batch = together[nextBatch++]!;
      results.push({ kind: 'together', result: await work([...batch], 'together') });
    }
    while (nextLane < lane.length && laneRunning < laneSlots) await runLane();
  };
  const laneWorkers = Array.from({ length: Math.max(1, laneSlots) }, laneWorker);
  await Promise.all([...laneWorkers, ...Array.from({ length: Math.min(concurrency, together.length) }, togetherWorker)]);
  return results;
}
