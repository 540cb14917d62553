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
 * Deals files into `count` batches whose weights taper (the heaviest file first, each to the batch furthest below
 * its share): the first batch gets `count` shares of the total, the next `count` − 1, the last one. Batches run
 * longest first, so the last to start are the smallest: with equal batches the one that started last ran on alone
 * for most of a minute while the other slots stood idle (docs/test-suite.md). A file heavier than its share stays
 * whole. The heaviest batch first; each batch keeps its files in the order given.
 */
export function batches(files: readonly Weighed[], count: number): string[][] {
  const size = Math.max(1, Math.min(count, files.length));
  const bins = Array.from({ length: size }, (_, i) => ({ share: size - i, weight: 0, files: [] as Weighed[] }));
  for (const file of [...files].sort((a, b) => b.weight - a.weight)) {
    const furthest = bins.reduce((min, bin) => (bin.weight / bin.share < min.weight / min.share ? bin : min));
    furthest.weight += file.weight;
    furthest.files.push(file);
  }
  const order = new Map(files.map((f, i) => [f.path, i]));
  return bins.filter((bin) => bin.files.length).sort((a, b) => b.weight - a.weight)
    .map((bin) => bin.files.map((f) => f.path).sort((a, b) => order.get(a)! - order.get(b)!));
}

export type Kind = 'together' | 'lane';

/** one `node --test` process to run: a batch of together files, or one lane file; `seconds` is what it is expected to take */
export interface Job { files: string[]; kind: Kind; seconds: number }

/**
 * Runs the jobs `slots` at a time, at most `laneSlots` of them lane files. Whenever a process ends, its slot takes
 * the longest lane file left while the lane has a slot free, and otherwise the longest batch left: the lane's files
 * may only run `laneSlots` at a time, which makes the lane the suite's longest path unless it starts at once and never
 * waits, while batches fill every other slot, longest first so that no long one starts late and runs on alone at the
 * end. One pool of slots keeps every slot busy whichever group runs out first (before, the lane's slots stood idle
 * once its files were done, while batches still queued). The results as they end.
 */
export async function shareOut<R>(jobs: readonly Job[], slots: number, laneSlots: number,
  work: (files: string[], kind: Kind) => Promise<R>): Promise<Array<{ kind: Kind; result: R }>> {
  const results: Array<{ kind: Kind; result: R }> = [];
  const pending = [...jobs].sort((a, b) => b.seconds - a.seconds);
  let laneRunning = 0;
  const worker = async () => {
    for (;;) {
      const laneFree = laneRunning < Math.max(1, laneSlots);
      const lane = laneFree ? pending.findIndex((job) => job.kind === 'lane') : -1;
      const next = lane >= 0 ? lane : pending.findIndex((job) => job.kind === 'together');
      if (next < 0) return; // nothing left, or only lane files while the lane is full: a lane slot takes them
      const [job] = pending.splice(next, 1);
      if (job!.kind === 'lane') laneRunning++;
      try {
        results.push({ kind: job!.kind, result: await work([...job!.files], job!.kind) });
      } finally {
        if (job!.kind === 'lane') laneRunning--;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(slots, jobs.length)) }, worker));
  return results;
}
