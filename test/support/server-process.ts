// A Tessera process whose lifecycle the test controls: signals, exit code, output — for shutdown and chaos tests.
// (tessera-process.ts hides the child; this one hands it over.)
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort, processBaseEnv, repoRoot, untilListening } from './tessera-process.js';

const mainJs = fileURLToPath(new URL('../../src/main.js', import.meta.url));

export interface ServerProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** resolves with the exit code (or the signal's name) once the process has ended */
  readonly exited: Promise<number | string>;
  output(): string;
  /** SIGKILL unless already gone */
  kill(): Promise<void>;
}

/**
 * Starts `node dist/src/main.js` with `env` and resolves once /healthz answers 200.
 * @param options.publicUrl the issuer origin, e.g. a load balancer in front of several processes
 */
export async function startServerProcess(env: Record<string, string>, options: { publicUrl?: string } = {}): Promise<ServerProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [mainJs], {
    env: { ...processBaseEnv(), PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: options.publicUrl ?? url, LOG_LEVEL: 'warn', ...env },
    cwd: repoRoot,
  });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  await untilListening(child, url, () => output);
  return {
    url,
    child,
    exited,
    output: () => output,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
