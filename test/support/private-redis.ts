// A Redis server of the test's own on a free port, to stop and start again mid-test. The shared 6379 is used by
// other test files at the same time and must never be stopped.
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { freePort } from './tessera-process.js';

export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  /** kills the server (SIGKILL: like a crash, nothing flushed) and waits for it to be gone */
  stop(): Promise<void>;
  /** starts it again on the same port, empty */
  start(): Promise<void>;
  /** stops the server answering (SIGSTOP): connections stay open, commands are taken in and not answered */
  pause(): void;
  /** lets it answer again (SIGCONT) */
  resume(): void;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;

  async function start() {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (!(await accepts(port))) {
      if (Date.now() > deadline) throw new Error(`private redis on ${port} did not start`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  async function stop() {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  }
  await start();
  return { port, url: `redis://127.0.0.1:${port}`, stop, start, pause: () => { child?.kill('SIGSTOP'); }, resume: () => { child?.kill('SIGCONT'); } };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}
