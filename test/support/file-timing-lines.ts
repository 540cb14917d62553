// The reporter run-suite.ts adds: file-timings.ts's time of each file, one `#timing {…}` line per file (timingLine
// reads it back), so that the slowest files of a group can be listed when its files ran in several processes; and,
// at the end, `#cpu <seconds>`: the CPU the `node --test` process and every process it waited for used (on Linux),
// for run-suite's timeline of where the suite's time went.
import { readFileSync } from 'node:fs';
import { timingsOf, timingText, type TestEvent } from './file-timings.js';

/** utime + stime + cutime + cstime of this process, in seconds (USER_HZ is 100); null where /proc is not there */
function cpuWithChildren(): number | null {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').slice(11, 15).map(Number);
    return fields.reduce((sum, ticks) => sum + ticks, 0) / 100;
  } catch {
    return null;
  }
}

export default async function* fileTimingLines(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  for (const timing of await timingsOf(source)) yield timingText(timing);
  const cpu = cpuWithChildren();
  if (cpu !== null) yield `#cpu ${cpu}\n`;
}
