// A PostgreSQL cluster of the test's own (initdb under /tmp, a free port, trust auth), to stop and start mid-test.
// The shared 5432 serves other test files meanwhile and is never touched. initdb refuses to run as root: when the
// test runs as root, the cluster is made and run as the `postgres` user.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './tessera-process.js';

const run = promisify(execFile);

export interface PrivatePostgres {
  readonly url: string;
  /** immediate shutdown: connections are cut as in a crash */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** stops the cluster and deletes its files */
  destroy(): Promise<void>;
}

function binDir(): string {
  const root = '/usr/lib/postgresql';
  const version = readdirSync(root).sort((a, b) => Number(b) - Number(a))[0];
  if (!version) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql');
  return join(root, version, 'bin');
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tessera-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const asOwner = (command: string, args: string[]) =>
    process.getuid?.() === 0 ? run('runuser', ['-u', 'postgres', '--', join(bin, command), ...args]) : run(join(bin, command), args);
  await asOwner('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const pgCtl = (args: string[]) => asOwner('pg_ctl', ['-D', data, '-w', '-t', '30', ...args]);
  const start = async () => {
    await pgCtl(['-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, '-l', join(dir, 'log'), 'start']);
  };
  const stop = async () => {
    if (existsSync(join(data, 'postmaster.pid'))) await pgCtl(['-m', 'immediate', 'stop']);
  };
  await start();
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    stop,
    start,
    async destroy() {
      await stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
