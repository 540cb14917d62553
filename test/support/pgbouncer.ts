// Debian's pgbouncer in transaction-pooling mode, started by a test on a free port in front of one database:
// a single server connection (default_pool_size 1), so every client transaction runs on the same backend.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`pgbouncer exited: ${log()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => { socket.destroy(); resolve(true); });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`pgbouncer did not listen: ${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface PgBouncer { readonly url: string; stop(): Promise<void> }

/** pgbouncer in front of `database` as `user` (trust auth on 127.0.0.1, as on the test machine) */
export async function startPgBouncer(database: string, user: string): Promise<PgBouncer> {
  const dir = mkdtempSync(join(tmpdir(), 'pgbouncer-'));
  chmodSync(dir, 0o777);
  const port = await freePort();
  let output = '';
  writeFileSync(join(dir, 'pgbouncer.ini'), [
    '[databases]',
    `appdb = host=127.0.0.1 port=5432 dbname=${database} user=${user}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    'auth_type = any',
    'pool_mode = transaction',
    'default_pool_size = 1',
    'max_client_conn = 20',
    'server_reset_query =',
    '',
  ].join('\n'));
  chmodSync(join(dir, 'pgbouncer.ini'), 0o644);
  // pgbouncer refuses to run as root; -u drops to an ordinary user
  const args = process.getuid?.() === 0 ? ['-u', 'postgres', join(dir, 'pgbouncer.ini')] : [join(dir, 'pgbouncer.ini')];
  const child = spawn('pgbouncer', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk: Buffer) => { output += chunk; });
  child.stderr!.on('data', (chunk: Buffer) => { output += chunk; });
  await waitForPort(port, child, () => output);
  return {
    url: `postgresql://${user}@127.0.0.1:${port}/appdb`,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
