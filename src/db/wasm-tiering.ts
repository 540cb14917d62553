// Prisma's query compiler is WebAssembly (about 2 MB). V8 runs it on Liftoff, its baseline compiler, and
// re-compiles a function with TurboFan once it has run "hot" (--wasm-tiering-budget, about 13 MB of executed
// code). Start-up alone (the schema, the first query plans) crossed that for enough of the compiler's large
// functions to keep V8's background threads compiling for seconds, and their compiler memory lands in glibc's
// per-thread malloc arenas, which keep it after it is freed: measured here, about 100 MB of the server's idle RSS
// (gone after a gdb `malloc_trim(0)`, and never there with --liftoff-only), and varying from run to run with how
// many threads compiled at once. Query plans are cached (queryPlanCacheMaxSize, 1,000), so after start-up the compiler
// runs only for a query shape it has not seen: baseline code is fast enough for that.
//
// Prisma's schema engine (WebAssembly too, about 9 MB) runs once at start-up to apply migrations: the same
// tier-ups, for work that never runs again, made the embedded first start's RSS swing between 560 and 760 MB.
//
// The budget is read when a WebAssembly instance is created and again after each tier-up, so it is raised only
// while those two are instantiated and put back afterwards: the embedded PGlite database, which runs every query
// of the embedded mode, keeps V8's default tiering.
import { setFlagsFromString } from 'node:v8';

/** V8's default in Node 22 (`node --v8-options`): flags cannot be read back, so this is what is put back */
const defaultTieringBudget = 13_000_000;
/** 100× the default: a function must run a hundred times longer than V8 would wait before it is re-compiled */
export const baselineTieringBudget = 1_300_000_000;

/**
 * Runs `start` (which must instantiate the WebAssembly module: for the query compiler, the client's first query)
 * with the raised budget, and puts the default back whether it succeeds or throws. `setFlags` is V8's, replaceable
 * in tests.
 */
export async function withWasmOnBaselineTier<T>(start: () => Promise<T>, setFlags: (flags: string) => void = setFlagsFromString): Promise<T> {
  setFlags(`--wasm-tiering-budget=${baselineTieringBudget}`);
  try {
    return await start();
  } finally {
    setFlags(`--wasm-tiering-budget=${defaultTieringBudget}`);
  }
}
