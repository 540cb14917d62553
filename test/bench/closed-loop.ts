// What the load generator's jobs share: the messages to the parent, the measured window, and the closed loop of
// virtual users that the session scenarios (logins, refreshes, JSON logins) run.
export type LoadMessage = { type: 'measure-start' } | { type: 'measure-end' } | { type: 'result'; result: unknown } | { type: 'error'; message: string };

export const send = (message: LoadMessage) => process.send!(message);

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * Tells the parent when the window opens and closes, on timers. `close()` sends whatever a timer has not sent yet:
 * on a busy machine the last worker's answer can be handled in the same event-loop turn as the due end timer and
 * before it, and clearing that timer used to lose `measure-end` (the parent then saw no measured window).
 */
export function windowSignals(windowStart: number, windowEnd: number, to: (message: LoadMessage) => void = send): { close(): void } {
  let sent = 0;
  const next = () => { if (sent < 2) to({ type: sent++ === 0 ? 'measure-start' : 'measure-end' }); };
  const opened = setTimeout(next, windowStart - Date.now());
  const closed = setTimeout(() => { if (sent === 1) next(); }, windowEnd - Date.now());
  return {
    close() {
      clearTimeout(opened);
      clearTimeout(closed);
      next();
      next();
    },
  };
}

export interface ClosedLoopJob { virtualUsers: number; warmupSeconds: number; durationSeconds: number }
export interface ClosedLoopResult { perSecond: number; count: number; p50Ms: number; p99Ms: number; errors: number; firstError: string | null; seconds: number }

/**
 * Closed loop: every virtual user prepares (outside the window: `prepare` may sign in), then repeats `iteration`
 * without pausing; iterations finishing inside the window count (steady state).
 */
export async function closedLoop<S>(job: ClosedLoopJob, prepare: (index: number) => Promise<S>, iteration: (state: S) => Promise<void>): Promise<ClosedLoopResult> {
  const states = await Promise.all(Array.from({ length: job.virtualUsers }, (_, i) => prepare(i)));
  const windowStart = Date.now() + job.warmupSeconds * 1000;
  const windowEnd = windowStart + job.durationSeconds * 1000;
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | null = null;
  const signals = windowSignals(windowStart, windowEnd);

  async function virtualUser(state: S) {
    while (Date.now() < windowEnd) {
      const started = performance.now();
      try {
        await iteration(state);
      } catch (error) {
        errors++;
        firstError ??= (error as Error).stack ?? String(error);
        continue;
      }
      const ended = Date.now();
      if (ended >= windowStart && ended <= windowEnd) latencies.push(performance.now() - started);
    }
  }

  await Promise.all(states.map(virtualUser));
  signals.close();
  latencies.sort((a, b) => a - b);
  return {
    perSecond: latencies.length / job.durationSeconds,
    count: latencies.length,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    errors,
    firstError,
    seconds: job.durationSeconds,
  };
}
