// Runs one load job (load-generator.ts) in its own process, pinned and sampled over its measured window, after
// waiting for the machine to settle. Every step of the bench measures through here.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pinProcess } from './cpu-pinning.js';
import type { Window } from './bench-report.js';
import type { Job, LoadMessage } from './load-generator.js';
import { machineBusyOver, startSampler, type WindowUsage } from './proc-sampler.js';

const quietWaitSeconds = Number(process.env.BENCH_QUIET_WAIT ?? 60);
const loadGeneratorScript = fileURLToPath(new URL('./load-generator.js', import.meta.url));

/**
 * Other people's processes (a test suite on a shared machine) would steal cores from a measurement: before each
 * one, wait (up to BENCH_QUIET_WAIT s) until the machine is below 15% busy over one second. Every run still
 * reports the CPU taken by others ("other"), which says how clean it was.
 */
export async function quietMachine(): Promise<void> {
  const deadline = Date.now() + quietWaitSeconds * 1000;
  let busy = await machineBusyOver(1000);
  if (busy < 0.15) return;
  process.stdout.write(`  (machine ${(busy * 100).toFixed(0)}% busy before the run: waiting for it to settle…`);
  while (busy >= 0.15 && Date.now() < deadline) busy = await machineBusyOver(1000);
  process.stdout.write(busy < 0.15 ? ' ok)\n' : ` still ${(busy * 100).toFixed(0)}% busy, measuring anyway)\n`);
}

/** runs one load job in its own process; samples the machine over the measured window */
export function runJob<R>(job: Job, server: number, database: string): Promise<{ result: R; usage: WindowUsage; window: Window }> {
  return new Promise((resolve, reject) => {
    const child = fork(loadGeneratorScript, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    // the hash baseline stands for the server's hashing: it gets the server's core, every other job the clients' ones
    pinProcess(child.pid!, job.kind === 'hash' ? 'server' : 'clients');
    let sampler: ReturnType<typeof startSampler> | undefined;
    let usage: WindowUsage | undefined;
    let result: R | undefined;
    const window = { startUs: 0, endUs: 0 };
    const nowUs = () => Number(process.hrtime.bigint() / 1000n);
    child.on('message', (message: LoadMessage) => {
      if (message.type === 'measure-start') {
        window.startUs = nowUs();
        sampler = startSampler({ server, loadGenerator: child.pid!, database });
      } else if (message.type === 'measure-end') {
        window.endUs = nowUs();
        usage = sampler?.stop();
      } else if (message.type === 'result') result = message.result as R;
      else reject(new Error(`load generator: ${message.message}`));
    });
    child.once('error', reject);
    // 'close', not 'exit': 'exit' can come before the last IPC messages are read (a job that ends right after its
    // window, like the hash baseline, then looked as if it had sent nothing); 'close' waits for the channel too
    child.once('close', (code) => {
      if (result !== undefined && usage) resolve({ result, usage, window });
      else reject(new Error(`load generator exited (${code}) without ${result === undefined ? 'a result' : 'a measured window'}`));
    });
    child.send(job);
  });
}

