// What login-cost.ts and refresh-cost.ts read around a round of operations: CPU seconds of processes from /proc, the
// bench database's counters from pg_stat_database, and the statements PostgreSQL logged, counted by their first words.
import { readdirSync, readFileSync } from 'node:fs';
import type pg from 'pg';

/** Linux reports CPU times in clock ticks; USER_HZ is 100 on every mainstream kernel/arch */
const ticksPerSecond = 100;

/** CPU seconds (utime + stime) of a /proc stat file (a process's or one thread's), or 0 when it is gone */
export function cpuOfStat(path: string): number {
  try {
    const stat = readFileSync(path, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return 0;
  }
}

/** CPU seconds of the processes `which` picks, by their /proc/<pid>/cmdline */
export function cpuOf(which: (pid: number, cmdline: string) => boolean): number {
  let seconds = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (which(Number(entry), readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' '))) seconds += cpuOfStat(`/proc/${entry}/stat`);
    } catch {
      // the process is gone
    }
  }
  return seconds;
}

/** the bench database's PostgreSQL backends, by their process title */
export const isBackendOf = (database: string) => (_pid: number, cmdline: string) => cmdline.startsWith('postgres: ') && cmdline.includes(` ${database} `);
export const isRedis = (_pid: number, cmdline: string) => cmdline.startsWith('/usr/bin/redis-server') || cmdline.startsWith('redis-server');

export interface DbStats { xact_commit: number; tup_returned: number; tup_fetched: number; tup_inserted: number; tup_updated: number; tup_deleted: number; blks_hit: number }

export async function dbStats(admin: pg.Client, database: string): Promise<DbStats> {
  const { rows } = await admin.query<DbStats>('SELECT xact_commit, tup_returned, tup_fetched, tup_inserted, tup_updated, tup_deleted, blks_hit FROM pg_stat_database WHERE datname = $1', [database]);
  return rows[0]!;
}

/** `; statements per <unit>: SELECT 1.00, …` from the log lines PostgreSQL wrote with log_statement = all */
export function statementsPer(log: string, count: number, unit: string): string {
  const kinds = new Map<string, number>();
  for (const match of log.matchAll(/LOG: {2}(?:statement|execute [^:]*): (\S+(?: \S+)?)/g)) kinds.set(match[1]!, (kinds.get(match[1]!) ?? 0) + 1);
  return `; statements per ${unit}: ${[...kinds].map(([kind, n]) => `${kind} ${(n / count).toFixed(2)}`).join(', ')}`;
}

/** what a round reads before and after its operations (the fields both scripts share) */
export interface Reading { stats: DbStats; logBytes: number }

/**
 * The per-operation figures of a round of `counted` operations between two readings: `ms(a, b)` turns a CPU-seconds
 * difference into milliseconds per operation, `database` the pg_stat_database counters per operation (buffer hits
 * too where `hits`), `statements` the logged statements per operation (empty when they were not logged), `load` the
 * machine's load averages.
 */
export function perOperation(counted: number, before: Reading, after: Reading, unit: string, options: { digits: number; hits?: boolean; pgLog?: string }) {
  const per = (a: number, b: number) => (b - a) / counted;
  const stat = (name: keyof DbStats) => per(Number(before.stats[name]), Number(after.stats[name])).toFixed(2);
  const log = options.pgLog;
  return {
    ms: (a: number, b: number) => (per(a, b) * 1000).toFixed(options.digits),
    database: `commits ${stat('xact_commit')}, rows returned ${stat('tup_returned')} fetched ${stat('tup_fetched')} inserted ${stat('tup_inserted')} `
      + `updated ${stat('tup_updated')} deleted ${stat('tup_deleted')}${options.hits ? `, buffer hits ${stat('blks_hit')}` : ''}`,
    statements: log ? statementsPer(readFileSync(log).subarray(before.logBytes, after.logBytes).toString('utf8'), counted, unit) : '',
    load: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  };
}
