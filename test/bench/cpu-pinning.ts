// Pins the bench's processes with taskset (util-linux): every server under test on the same single core, the load
// generator on the others, so Tessera and the bare library get the same CPU and the client never competes with
// the server for it. PostgreSQL and Redis are left to the scheduler (both targets' stores float the same way).
//   BENCH_PIN=0 turns it off; BENCH_SERVER_CORE picks the server's core (default: the last one).
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

const cores = availableParallelism();

function tasksetWorks(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const pinning: { server: string; clients: string } | null = (() => {
  if (process.env.BENCH_PIN === '0' || cores < 2 || !tasksetWorks()) return null;
  const server = Number(process.env.BENCH_SERVER_CORE ?? cores - 1);
  const clients = Array.from({ length: cores }, (_, i) => i).filter((i) => i !== server).join(',');
  return { server: String(server), clients };
})();

/** `command args` wrapped in `taskset -c <cores>` when pinning is on (taskset execs it: the pid is kept) */
export function pinnedCommand(command: string, args: string[], cores: 'server' | 'clients' = 'server'): [string, string[]] {
  return pinning ? ['taskset', ['-c', pinning[cores], command, ...args]] : [command, args];
}

/** moves a running process, every thread of it, onto the given cores (no-op when pinning is off) */
export function pinProcess(pid: number, which: 'server' | 'clients'): void {
  if (!pinning) return;
  execFileSync('taskset', ['-a', '-p', '-c', pinning[which], String(pid)], { stdio: 'ignore' });
}

export function pinningNote(): string {
  return pinning
    ? `servers pinned to core ${pinning.server} (taskset), load generators to core ${pinning.clients}; PostgreSQL and Redis unpinned`
    : 'no CPU pinning (BENCH_PIN=0, one core, or no taskset)';
}
