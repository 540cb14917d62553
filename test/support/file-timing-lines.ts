// The reporter run-suite.ts adds: file-timings.ts's time of each file, one `#timing {…}` line per file (timingLine
// reads it back), so that the slowest files of a group can be listed when its files ran in several processes.
import { timingsOf, timingText, type TestEvent } from './file-timings.js';

export default async function* fileTimingLines(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  for (const timing of await timingsOf(source)) yield timingText(timing);
}
