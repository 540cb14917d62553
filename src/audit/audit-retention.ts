// Audit retention (issue #15): the oldest entries of a tenant's chain are exported to a JSON-lines file, the file is
// flushed to disk, and only then are they deleted — in one transaction that records the anchor (the last pruned
// entry's seq and hash) and appends an `audit.pruned` entry naming it. `audit verify` walks the remaining chain from
// the anchor, and an export file can be checked against the anchor it ends at, so the history stays provable.
import { createHash } from 'node:crypto';
import { open, readFile, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { AppError } from '../errors/app-error.js';
import { chainChecker, genesisHash, type ExportedEntry } from '../crypto/audit-chain.js';
import { PruneConflictError, type AuditPruneRepository } from '../db/audit-prune.repository.js';

export interface PruneResult {
  pruned: number;
  fromSeq?: number;
  throughSeq?: number;
  anchorHash?: string;
  file?: string;
  sha256?: string;
}

export interface ExportReport {
  ok: boolean;
  entries: number;
  fromSeq: number | null;
  throughSeq: number | null;
  /** what the file's last entry was checked against */
  anchoredBy: string | null;
  firstBroken: { line: number; seq: number | null; reason: string } | null;
}

export interface RetentionSettings {
  days: number;
  exportDir: string;
}

/** at most this many entries per tenant in one periodic prune: the tenant's appends wait while it deletes */
const JOB_LIMIT = 50_000;

export function createAuditRetention(deps: { repository: AuditPruneRepository; logger: Logger; now?: () => number; settings?: RetentionSettings }) {
  const now = deps.now ?? Date.now;

  /**
   * Exports the tenant's entries written before `before` to `file`, then prunes them.
   * @throws AppError audit.export_failed (the file could not be written: nothing pruned), audit.chain_broken,
   *   audit.prune_conflict
   */
  async function prune(tenantId: string, options: { before: Date; file: string; actor: string; limit?: number }): Promise<PruneResult> {
    const range = await deps.repository.plan(tenantId, options.before, options.limit);
    if (!range) return { pruned: 0 };
    const start = await deps.repository.anchor(tenantId);
    if (start.seq !== range.fromSeq - 1) throw new AppError('audit.prune_conflict', `Nothing was pruned: another prune moved the anchor to entry ${start.seq}.`);
    const written = await writeExport(options.file, deps.repository.entries(tenantId, range), chainChecker(tenantId, start));
    const data = {
      fromSeq: range.fromSeq, throughSeq: range.throughSeq, previousHash: start.hash, anchorHash: written.last.hash,
      entries: range.throughSeq - range.fromSeq + 1, before: options.before.toISOString(), export: basename(options.file), exportSha256: written.sha256,
    };
    try {
      const pruned = await deps.repository.prune(tenantId, range, written.last.hash, { actor: options.actor, data });
      return { pruned, fromSeq: range.fromSeq, throughSeq: range.throughSeq, anchorHash: written.last.hash, file: options.file, sha256: written.sha256 };
    } catch (error) {
      // nothing was deleted: the export stays on disk (it is a true copy) but names no anchor
      if (error instanceof PruneConflictError) throw new AppError('audit.prune_conflict', `Nothing was pruned: ${error.message}.`);
      throw error;
    }
  }

  /** the periodic job: each tenant's entries older than the retention, exported into the export directory */
  async function applyRetention(): Promise<number> {
    const settings = deps.settings;
    if (!settings) return 0;
    const before = new Date(now() - settings.days * 86_400_000);
    let total = 0;
    for (const tenantId of await deps.repository.tenantsWithEntriesBefore(before)) {
      const range = await deps.repository.plan(tenantId, before, JOB_LIMIT);
      if (!range) continue;
      // the time in the name: a run whose prune failed after its export (the file stays, a true copy) does not
      // block the next run's export of the same range
      const file = join(settings.exportDir, `audit-${tenantId}-${range.fromSeq}-${range.throughSeq}-${new Date(now()).toISOString().replace(/[-:.]/g, '')}.jsonl`);
      try {
        total += (await prune(tenantId, { before, file, actor: 'retention', limit: JOB_LIMIT })).pruned;
      } catch (error) {
        // one tenant's failure (a full disk, a broken chain) must not stop the others; it is retried next run
        deps.logger.error({ err: (error as Error).message, tenantId }, 'audit retention: nothing pruned for this tenant');
      }
    }
    return total;
  }

  /**
   * Checks an export file: its entries must chain one to the next, and its last entry must be an anchor — the
   * current one, or one an `audit.pruned` entry still in the database records (with the same start).
   * @throws AppError audit.export_unreadable
   */
  async function verifyExport(tenantId: string, file: string): Promise<ExportReport> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new AppError('audit.export_unreadable', `${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}).`);
    }
    const lines = text.split('\n').filter((line) => line.trim());
    const report = (entries: number, first: ExportedEntry | null, broken: ExportReport['firstBroken'], anchoredBy: string | null = null): ExportReport =>
      ({ ok: !broken, entries, fromSeq: first?.seq ?? null, throughSeq: first ? first.seq + entries - 1 : null, anchoredBy, firstBroken: broken });
    if (!lines.length) return report(0, null, { line: 0, seq: null, reason: 'the file holds no entries' });
    const entries: ExportedEntry[] = [];
    for (const [i, line] of lines.entries()) {
      try {
        entries.push(JSON.parse(line) as ExportedEntry);
      } catch {
        return report(i, entries[0] ?? null, { line: i + 1, seq: null, reason: 'not JSON' });
      }
    }
    const first = entries[0]!;
    if (first.seq === 1 && first.prevHash !== genesisHash(tenantId)) return report(0, first, { line: 1, seq: 1, reason: 'the first entry does not start the chain' });
    const checker = chainChecker(tenantId, { seq: first.seq - 1, hash: first.prevHash });
    for (const [i, entry] of entries.entries()) {
      const problem = checker.next(entry);
      if (problem) return report(i, first, { line: i + 1, seq: typeof entry.seq === 'number' ? entry.seq : null, reason: problem });
    }
    const last = checker.last();
    const anchor = await deps.repository.anchor(tenantId);
    const records = await deps.repository.prunedRecords(tenantId);
    const record = records.find(({ data }) => {
      const d = data;
      return d.fromSeq === first.seq && d.previousHash === first.prevHash && d.throughSeq === last.seq && d.anchorHash === last.hash;
    });
    if (record) return report(entries.length, first, null, `the audit.pruned entry ${record.seq}`);
    if (anchor.seq === last.seq && anchor.hash === last.hash) return report(entries.length, first, null, 'the current anchor');
    return report(entries.length, first, { line: entries.length, seq: last.seq, reason: 'the last entry is not an anchor the chain records' });
  }

  return { prune, applyRetention, verifyExport };
}

export type AuditRetention = ReturnType<typeof createAuditRetention>;

/**
 * Writes the entries to a new file (never over an existing one), checking the chain as they pass, and flushes the
 * file and its directory entry to disk before returning: only then may the entries be deleted.
 * @throws AppError audit.export_failed, audit.chain_broken — the partial file is removed
 */
async function writeExport(file: string, entries: AsyncIterable<Record<string, unknown>>, checker: ReturnType<typeof chainChecker>) {
  const failed = (error: unknown) => new AppError('audit.export_failed', `${file} could not be written (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); nothing was pruned.`);
  let handle;
  try {
    handle = await open(file, 'wx', 0o600);
  } catch (error) {
    throw failed(error);
  }
  const digest = createHash('sha256');
  try {
    let chunk = '';
    for await (const entry of entries) {
      const problem = checker.next(entry as unknown as ExportedEntry);
      if (problem) throw new AppError('audit.chain_broken', `Entry ${String(entry.seq)}: ${problem}; nothing was pruned.`);
      chunk += `${JSON.stringify(entry)}\n`;
      if (chunk.length > 1 << 20) {
        digest.update(chunk);
        await handle.write(chunk);
        chunk = '';
      }
    }
    digest.update(chunk);
    await handle.write(chunk);
    await handle.sync();
    await handle.close();
    const directory = await open(dirname(file), 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(file, { force: true });
    throw error instanceof AppError ? error : failed(error);
  }
  return { sha256: digest.digest('hex'), last: checker.last() };
}
