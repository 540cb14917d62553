// PGlite is one process's database: two processes opening ./data would corrupt it. The server holds this
// lock file while it runs and records where it listens, so the CLI can ask it to do the work instead.
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../errors/app-error.js';

export interface EmbeddedLockInfo {
  pid: number;
  /** where the holder serves its CLI endpoint (servers only) */
  url?: string;
  token?: string;
}

const lockFile = (dataDir: string) => join(dataDir, 'tessera.lock');

// The lock is only ever seen whole: a reader that found it empty or half-written would take it for a dead
// holder's and delete a live server's lock. So content is written aside, then linked (create, fails when
// present) or renamed (update) into place, both atomic.
function writeAside(file: string, content: string): string {
  const pending = `${file}.${process.pid}.tmp`;
  writeFileSync(pending, content, { mode: 0o600 });
  return pending;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** the live holder of the lock, if any */
export function readEmbeddedLock(dataDir: string): EmbeddedLockInfo | null {
  try {
    const info = JSON.parse(readFileSync(lockFile(dataDir), 'utf8')) as EmbeddedLockInfo;
    return Number.isInteger(info.pid) && info.pid !== process.pid && alive(info.pid) ? info : null;
  } catch {
    return null;
  }
}

/** @throws AppError('db.embedded_in_use') when another live process holds it */
export function acquireEmbeddedLock(dataDir: string, info: Omit<EmbeddedLockInfo, 'pid'> = {}) {
  mkdirSync(dataDir, { recursive: true });
  const file = lockFile(dataDir);
  const content = () => JSON.stringify({ pid: process.pid, ...info });
  for (let attempt = 0; attempt < 2; attempt++) {
    const pending = writeAside(file, content());
    let taken = false;
    try {
      linkSync(pending, file);
      taken = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      rmSync(pending, { force: true });
    }
    if (taken) {
      return {
        update(more: Omit<EmbeddedLockInfo, 'pid'>) {
          Object.assign(info, more);
          renameSync(writeAside(file, content()), file);
        },
        release() {
          try {
            if ((JSON.parse(readFileSync(file, 'utf8')) as EmbeddedLockInfo).pid === process.pid) unlinkSync(file);
          } catch { /* already gone */ }
        },
      };
    }
    const holder = readEmbeddedLock(dataDir);
    if (holder) {
      throw new AppError('db.embedded_in_use', `The embedded database in ${dataDir} is in use by Tessera process ${holder.pid}. Stop it first, or set DATABASE_URL to use PostgreSQL.`);
    }
    rmSync(file, { force: true }); // left behind by a process that died
  }
  throw new AppError('db.embedded_in_use');
}
