// The harness's record of checks: each runs, and PASSes, FAILs with what it saw, or is SKIPped with the reason
// it could not run here. Printed as it goes; the tally decides the exit code.
export class Skip extends Error {}

/** a check cannot run against this deployment or with these options (never a disguised failure) */
export function skip(reason: string): never {
  throw new Skip(reason);
}

/** fails the check with `message` unless `condition` holds */
export function expect(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

export function expectEqual(actual: unknown, expected: unknown, what: string): void {
  if (actual !== expected) throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

export type Outcome = 'PASS' | 'FAIL' | 'SKIP';

export interface CheckResult { plan: string; name: string; outcome: Outcome; detail?: string; ms?: number }

export class Report {
  readonly results: CheckResult[] = [];

  /** @param print where the report's lines go (a run of several prints its lines as a block when it ends) */
  constructor(readonly print: (line: string) => void = (line) => process.stdout.write(`${line}\n`)) {}

  /** runs one check; its returned value is handed on (undefined when it did not pass) */
  async check<T>(plan: string, name: string, run: () => Promise<T> | T): Promise<T | undefined> {
    const started = Date.now();
    try {
      const value = await run();
      this.record({ plan, name, outcome: 'PASS', ms: Date.now() - started });
      return value;
    } catch (error) {
      const ms = Date.now() - started;
      if (error instanceof Skip) this.record({ plan, name, outcome: 'SKIP', detail: error.message, ms });
      else this.record({ plan, name, outcome: 'FAIL', detail: failure(error), ms });
      return undefined;
    }
  }

  /** a check that depends on an earlier one that did not pass */
  skipped(plan: string, name: string, reason: string): void {
    this.record({ plan, name, outcome: 'SKIP', detail: reason });
  }

  private record(result: CheckResult): void {
    this.results.push(result);
    const time = result.ms !== undefined && result.ms >= 1000 ? ` (${(result.ms / 1000).toFixed(1)} s)` : '';
    this.print(`${result.outcome} [${result.plan}] ${result.name}${result.detail ? ` — ${result.detail.split('\n')[0]}` : ''}${time}`);
  }

  count(outcome: Outcome): number {
    return Report.countOf(this.results, outcome);
  }

  tally(): string {
    return Report.tallyOf(this.results);
  }

  static countOf(results: readonly CheckResult[], outcome: Outcome): number {
    return results.filter((r) => r.outcome === outcome).length;
  }

  /** `12 passed, 0 failed, 1 skipped` */
  static tallyOf(results: readonly CheckResult[]): string {
    return `${Report.countOf(results, 'PASS')} passed, ${Report.countOf(results, 'FAIL')} failed, ${Report.countOf(results, 'SKIP')} skipped`;
  }
}

/**
 * an error's message with its cause's (undici's "fetch failed" says why only in its cause), and the OAuth error an
 * openid-client ResponseBodyError carries (its message only says that there was one)
 */
function failure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const { error: code, error_description: description } = error as { error?: unknown; error_description?: unknown };
  const oauth = typeof code === 'string' ? `: ${code}${typeof description === 'string' ? ` (${description})` : ''}` : '';
  const cause = error.cause instanceof Error ? error.cause.message : null;
  return `${error.message}${oauth}${cause ? ` (${cause})` : ''}`;
}
