// Where a server's time went, from a `node --cpu-prof` profile: self time by package/area, and the top frames
// by self and by inclusive time. Also runnable alone, with a window from dist/bench-results.json if wanted:
//   node dist/test/bench/cpu-profile.js <file.cpuprofile> [top] [startUs endUs]
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

/** node_modules/<pkg>, dist/src/<folder>, node:internal, or the V8 pseudo-frames */
function areaOf(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const ours = /dist\/(src\/[^/]+|test\/[^/]+)/.exec(url);
  if (ours) return `tessera ${ours[1]}`;
  if (url.startsWith('node:')) return 'node core';
  return url;
}

function frameOf(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url ? `${url.replace(/^.*?(node_modules\/|dist\/)/, '$1')}:${lineNumber + 1}` : '';
  return `${functionName || '(anonymous)'} ${where}`.trim();
}

function top(map: Map<string, number>, total: number, count: number): string[] {
  return [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, count)
    .map(([key, ms]) => `  ${(ms / total * 100).toFixed(1).padStart(5)}%  ${ms.toFixed(0).padStart(7)} ms  ${key}`);
}

/** the pid and thread of a profile written by --cpu-prof: CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile */
export function profileProcess(file: string): { pid: number; thread: number } | null {
  const match = /\.(\d+)\.(\d+)\.\d+\.cpuprofile$/.exec(file);
  return match ? { pid: Number(match[1]), thread: Number(match[2]) } : null;
}

/**
 * @param options.window only samples taken inside it (CLOCK_MONOTONIC µs, the clock of process.hrtime and of
 *   V8's profile timestamps), so one scenario's window can be read out of a whole-process profile
 */
export function summariseProfile(file: string, options: { count?: number; window?: { startUs: number; endUs: number } } = {}): string {
  const count = options.count ?? 25;
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const areas = new Map<string, number>();
  let total = 0;
  let idle = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (options.window && (at < options.window.startUs || at > options.window.endUs)) return;
    const ms = (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0) / 1000;
    const node = byId.get(id)!;
    total += ms;
    if (node.callFrame.functionName === '(idle)') {
      idle += ms;
      return;
    }
    const leaf = frameOf(node);
    self.set(leaf, (self.get(leaf) ?? 0) + ms);
    const area = areaOf(node.callFrame.url, node.callFrame.functionName);
    areas.set(area, (areas.get(area) ?? 0) + ms);
    const seen = new Set<string>();
    for (let frameId: number | undefined = id; frameId !== undefined; frameId = parent.get(frameId)) {
      const frame = frameOf(byId.get(frameId)!);
      if (seen.has(frame)) continue;
      seen.add(frame);
      inclusive.set(frame, (inclusive.get(frame) ?? 0) + ms);
    }
  });
  const busy = total - idle;
  if (!total) return `${basename(file)}: no samples in the window`;
  return [
    `${basename(file)}: ${(total / 1000).toFixed(1)} s profiled, ${(busy / 1000).toFixed(1)} s on CPU (${(busy / total * 100).toFixed(0)}%); shares below are of CPU time`,
    'self time by area:', ...top(areas, busy, 15),
    'top frames by self time:', ...top(self, busy, count),
    'top frames by inclusive time:', ...top(inclusive, busy, count).filter((l) => !l.includes('(root)')),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, count, startUs, endUs] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: node dist/test/bench/cpu-profile.js <file.cpuprofile> [top] [startUs endUs]\n');
    process.exit(2);
  }
  process.stdout.write(`${summariseProfile(file, {
    count: count ? Number(count) : undefined,
    window: startUs && endUs ? { startUs: Number(startUs), endUs: Number(endUs) } : undefined,
  })}\n`);
}
