// What the machine did while a scenario ran, read from /proc (Linux). On a small machine the server, the load
// generator, PostgreSQL and Redis share the same cores — and other people's processes may too — so besides the
// server's peak resident memory (VmRSS, sampled) the report says where all the CPU time went:
// the server (all its threads), the load generator, the PostgreSQL backends of the bench database, Redis,
// and everything else (other processes, kernel). "Other" is the noise indicator of a run.
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** Linux reports CPU times in clock ticks; USER_HZ is 100 on every mainstream kernel/arch. */
const ticksPerSecond = 100;

export function rssMb(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null; // the process is gone
  }
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** CPU seconds (utime + stime, all threads) of every process, by pid */
function processTimes(): Map<number, number> {
  const times = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = read(`/proc/${entry}/stat`);
    if (!stat) continue;
    // the command name (field 2) may hold spaces: fields are counted after its closing parenthesis
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    times.set(Number(entry), (Number(fields[11]) + Number(fields[12])) / ticksPerSecond);
  }
  return times;
}

/**
 * CPU seconds of the children a process has waited for (cutime + cstime): the load generator's wrk runs as a child
 * that starts and ends inside the measured window, so its time is read from its parent once it is reaped
 */
function childrenTime(pid: number): number {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return 0;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / ticksPerSecond;
}

/** busy and total core-seconds of the machine; steal (another VM's time) counts as neither */
function machineSeconds(): { busy: number; total: number } {
  const [user, nice, system, idle, iowait, irq, softirq] = read('/proc/stat')!.split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const busy = user! + nice! + system! + irq! + softirq!;
  return { busy: busy / ticksPerSecond, total: (busy + idle! + iowait!) / ticksPerSecond };
}

export interface CpuShares {
  /** cores used (1.0 = one core busy for the whole window), per party */
  server: number;
  loadGenerator: number;
  postgres: number;
  redis: number;
  /** everything else: other processes, the kernel (e.g. loopback networking) */
  other: number;
  /** share of all cores busy, 0..1 */
  machineBusy: number;
}

export interface WindowUsage {
  seconds: number;
  /** highest VmRSS of the server seen in the window, MiB */
  serverPeakRssMb: number;
  cpu: CpuShares;
}

export interface SampledParties {
  server: number;
  loadGenerator: number;
  /** the bench database: its backends' command line names it */
  database: string;
}

function classify(pid: number, parties: SampledParties): keyof Omit<CpuShares, 'machineBusy' | 'other'> | null {
  if (pid === parties.server) return 'server';
  if (pid === parties.loadGenerator) return 'loadGenerator';
  const comm = read(`/proc/${pid}/comm`)?.trim();
  if (comm === 'redis-server') return 'redis';
  if (comm === 'postgres' && read(`/proc/${pid}/cmdline`)?.includes(` ${parties.database} `)) return 'postgres';
  return null;
}

/** Samples the server's RSS every `intervalMs` until stop(); CPU shares are measured between start and stop. */
export function startSampler(parties: SampledParties, intervalMs = 50) {
  const started = performance.now();
  const machineStart = machineSeconds();
  const timesStart = processTimes();
  const generatorChildrenStart = childrenTime(parties.loadGenerator);
  let peak = 0;
  const sample = () => { peak = Math.max(peak, rssMb(parties.server) ?? 0); };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop(): WindowUsage {
      clearInterval(timer);
      sample();
      const seconds = (performance.now() - started) / 1000;
      const machineEnd = machineSeconds();
      const timesEnd = processTimes();
      const cores = { server: 0, loadGenerator: (childrenTime(parties.loadGenerator) - generatorChildrenStart) / seconds, postgres: 0, redis: 0 };
      for (const [pid, time] of timesEnd) {
        const party = classify(pid, parties);
        // a process that started inside the window (a new backend) spent all its time in it
        if (party) cores[party] += (time - (timesStart.get(pid) ?? 0)) / seconds;
      }
      const machineCores = (machineEnd.busy - machineStart.busy) / seconds;
      const total = machineEnd.total - machineStart.total;
      const ours = cores.server + cores.loadGenerator + cores.postgres + cores.redis;
      return {
        seconds,
        serverPeakRssMb: peak,
        cpu: { ...cores, other: Math.max(0, machineCores - ours), machineBusy: total > 0 ? (machineEnd.busy - machineStart.busy) / total : 0 },
      };
    },
  };
}

export function machineDescription() {
  const cpuinfo = read('/proc/cpuinfo') ?? '';
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  const mhz = /^cpu MHz\s*:\s*(.*)$/m.exec(cpuinfo)?.[1]?.trim();
  const memTotal = /^MemTotal:\s+(\d+)/m.exec(read('/proc/meminfo') ?? '')?.[1];
  return { model, mhz: mhz ? Number(mhz) : null, memoryGb: memTotal ? Math.round(Number(memTotal) / 1024 / 1024) : null };
}

/** share of all cores busy over the next `ms` milliseconds, 0..1 */
export async function machineBusyOver(ms: number): Promise<number> {
  const start = machineSeconds();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const end = machineSeconds();
  const total = end.total - start.total;
  return total > 0 ? (end.busy - start.busy) / total : 0;
}
