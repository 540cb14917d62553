// pg.Pool#end resolves before its clients have closed: a server-side termination (a test's `drop database … with
// (force)` right after) reaching a client that is still closing would be an unhandled 'error' on the pool — in a
// test process shared by several files, the end of all of them. Wait for every client to go.
import type pg from 'pg';

export async function endPool(pool: pg.Pool): Promise<void> {
  const open = pool.totalCount;
  let closed = 0;
  const allClosed = new Promise<void>((resolve) => {
    if (open === 0) resolve();
    pool.on('remove', () => { closed += 1; if (closed >= open) resolve(); });
  });
  pool.on('error', () => {}); // a termination while closing is expected and harmless here
  await pool.end();
  await allClosed;
}
