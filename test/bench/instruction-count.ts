// `node dist/test/bench/instruction-count.js`: instructions per request, Tessera against the bare library, counted by
// valgrind's callgrind over a fixed number of requests (every thread of the server: main, GC helpers, compilers).
// Unlike req/s and even CPU time, the count hardly moves with other processes' load on a shared machine: it is
// what to compare a change by there. Both servers run under `valgrind --tool=callgrind --instr-atstart=no`
// (instrumentation off while they start and warm up, on only around the counted requests).
//   BENCH_INSTR_ONLY (token-rs256,token-es256)   BENCH_INSTR_REQUESTS (400 counted)   BENCH_INSTR_WARMUP (6,000)
//   BENCH_INSTR_CONCURRENCY (4 requests at a time)
// (No refresh scenario: under valgrind on a busy machine the sign-ins that start its chains crossed Tessera's store
// timeouts and failed.)
//   BENCH_INSTR_TESSERA: another build's dist/src/main.js to count instead of this one's (main's, to compare a change)
//   BENCH_INSTR_NODE_ARGS: node flags for both servers, e.g. `--perf-basic-prof --interpreted-frames-native-stack`
//   (V8 writes /tmp/perf-<pid>.map, which names the JIT code that callgrind only knows by address)
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../support/tessera-process.js';
import { createBenchServices, type Launch, type ServerProcess } from './bench-processes.js';
import { startBareTarget, startTesseraTarget, tokenRequest, type Issuer } from './bench-setup.js';

const run = promisify(execFile);
const counted = Number(process.env.BENCH_INSTR_REQUESTS ?? 400);
// Under valgrind V8's compiler was still 29–33% of a window counted after 2,500 tokens, and much of the middleware ran
// in the baseline tier: the unchanged bare library's totals varied by up to 14% between runs then, about 4% after
// 6,000 (docs/benchmarks.md, "Token endpoint, fifth pass").
const warmup = Number(process.env.BENCH_INSTR_WARMUP ?? 6000);
const concurrency = Number(process.env.BENCH_INSTR_CONCURRENCY ?? 4);
const only = (process.env.BENCH_INSTR_ONLY ?? 'token-rs256,token-es256').split(',').map((s) => s.trim());
const outDir = join(repoRoot, 'dist', 'bench-callgrind');

interface Request { url: string; method: string; headers: Record<string, string>; body?: string }
/** one request of the scenario by one of its `concurrency` workers */
type Load = (worker: number) => Promise<void>;

/**
 * Under valgrind a server runs tens of times slower, and a store call of Tessera's that crosses its timeout (2 s for
 * Redis) is answered 503 `store.unavailable`, or `temporarily_unavailable` inside the provider (a cache's reload,
 * seldom): such a request is sent again, and counted.
 */
let retried = 0;

async function send(request: Request): Promise<void> {
  for (;;) {
    const response = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body });
    const text = await response.text();
    if (response.status === 200) return;
    // the app's answer, or the provider's (RFC 6749's temporarily_unavailable, store-outage.ts)
    if (response.status === 503 && /store\.unavailable|temporarily_unavailable/.test(text)) retried++;
    else throw new Error(`${request.url}: ${response.status} ${text.slice(0, 300)}`);
  }
}

async function requests(load: Load, count: number): Promise<void> {
  let left = count;
  await Promise.all(Array.from({ length: concurrency }, async (_, worker) => {
    while (left-- > 0) await load(worker);
  }));
}

/** vgdb names its pipes after LOGNAME, USER and HOST: callgrind_control must see the server's (Tessera's has HOST) */
function vgdbEnv(pid: number): Record<string, string> {
  const server = Object.fromEntries(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
  const env: Record<string, string> = { PATH: process.env.PATH ?? '' };
  for (const name of ['LOGNAME', 'USER', 'HOST']) if (server[name] !== undefined) env[name] = server[name];
  return env;
}

/** callgrind_control acts when the server next runs: requests keep it running until the command is done */
async function control(server: ServerProcess, load: Load, args: string[]): Promise<void> {
  let done = false;
  const command = run('callgrind_control', [...args, String(server.pid)], { env: vgdbEnv(server.pid) }).finally(() => { done = true; });
  while (!done) await Promise.race([load(0), command]);
  const { stdout, stderr } = await command;
  if (!/OK/.test(stdout)) throw new Error(`callgrind_control ${args.join(' ')} ${server.pid}: ${stdout}${stderr}`);
}

function newestDump(pid: number): string {
  const files = readdirSync(outDir).filter((f) => f.startsWith(`callgrind.${pid}`)).map((f) => join(outDir, f));
  return files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]!;
}

/** instructions per request over `counted` requests, after `warmup` uninstrumented ones */
async function instructionsPerRequest(server: ServerProcess, load: Load): Promise<number> {
  await requests(load, warmup);
  await control(server, load, ['--zero']);
  await control(server, load, ['--instr=on']);
  await requests(load, counted);
  await control(server, load, ['--dump']);
  await control(server, load, ['--instr=off']);
  const file = newestDump(server.pid);
  const total = /^(?:summary|totals): (\d+)/m.exec(readFileSync(file, 'utf8'));
  if (!total) throw new Error(`no instruction total in ${file}`);
  return Number(total[1]) / counted;
}

async function main() {
  mkdirSync(outDir, { recursive: true });
  const launch: Launch = {
    wrapper: ['valgrind', '--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${join(outDir, 'callgrind.%p')}`],
    readyTimeoutMs: 600_000,
    nodeArgs: (process.env.BENCH_INSTR_NODE_ARGS ?? '').split(' ').filter(Boolean),
  };
  const other = process.env.BENCH_INSTR_TESSERA;
  const services = await createBenchServices();
  const running: ServerProcess[] = [];
  try {
    const tessera = await startTesseraTarget(services, other ? { ...launch, script: other } : launch);
    running.push(tessera.server);
    const bare = await startBareTarget(launch);
    running.push(bare.server);
    const token = (issuer: Issuer): Load => () => send(tokenRequest(issuer));
    const scenarios: [string, Load, Load][] = [
      ['token-rs256', token(tessera.rs256), token(bare.rs256)],
      ['token-es256', token(tessera.es256), token(bare.es256)],
    ];
    for (const [name, ours, theirs] of scenarios.filter(([n]) => only.includes(n))) {
      retried = 0;
      const tesseraCount = await instructionsPerRequest(tessera.server, ours);
      const bareCount = await instructionsPerRequest(bare.server, theirs);
      process.stdout.write(`${name}: Tessera ${(tesseraCount / 1e6).toFixed(3)} M instructions per request, bare ${(bareCount / 1e6).toFixed(3)} M, bare ÷ Tessera ${(bareCount / tesseraCount).toFixed(3)} (${counted} counted after ${warmup}, ${concurrency} at a time${retried ? `; ${retried} answered 503 store.unavailable and sent again` : ''})\n`);
    }
  } finally {
    await Promise.allSettled(running.map((s) => s.stop()));
    await services.drop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`instruction count failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
