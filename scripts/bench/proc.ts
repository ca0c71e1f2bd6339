// Memory and CPU of a process, read from /proc (Linux). Elsewhere the figures are
// simply absent: the bench still runs, it only reports less.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface MemorySample {
  /** Resident set size now, in MB. */
  rssMb: number;
  /** Peak resident set size over the process's life (VmHWM), in MB. */
  peakRssMb: number;
}

/** RSS and peak RSS of a process, or undefined when /proc is not there or the process is gone. */
export function memoryOf(pid: number): MemorySample | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string): number | undefined => {
      const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
      return m ? Number(m[1]) : undefined;
    };
    const rss = kb('VmRSS');
    const peak = kb('VmHWM');
    if (rss === undefined) return undefined;
    return { rssMb: rss / 1024, peakRssMb: (peak ?? rss) / 1024 };
  } catch {
    return undefined;
  }
}

/**
 * CPU time (user + system) a process has used so far, in ms. Sampled before and after
 * a phase, the difference says how much CPU that process spent per unit of work, a
 * figure that carries over to bigger machines better than wall time on 2 shared cores.
 */
export function cpuMsOf(pid: number): number | undefined {
  return procCpu(pid)?.ms;
}

/** A process's CPU so far (and that of its children it has reaped), in ms, and its parent. */
function procCpu(pid: number): { ms: number; reapedMs: number; ppid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Counted after the parenthesised command name: ppid is field 4, utime, stime, cutime and cstime 14 to 17.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    const ms = ((fields[11] + fields[12]) * 1000) / clockTickHz();
    const reapedMs = ((fields[13] + fields[14]) * 1000) / clockTickHz();
    return Number.isFinite(ms) ? { ms, reapedMs, ppid: fields[1] } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * CPU time of every process whose command is `name` (all of PostgreSQL's backends), in ms,
 * with what the ones that ended already spent: the top process of the group (the
 * postmaster) has it as its reaped children's CPU. Without it, a backend or autovacuum
 * worker that exits during a phase took its CPU out of the sum (a negative figure).
 */
function cpuMsOfCommand(name: string): number {
  const group = new Map<number, NonNullable<ReturnType<typeof procCpu>>>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== name) continue;
      const cpu = procCpu(Number(entry));
      if (cpu) group.set(Number(entry), cpu);
    } catch {
      // The process ended between the listing and the read.
    }
  }
  let total = 0;
  for (const cpu of group.values()) total += cpu.ms + (group.has(cpu.ppid) ? 0 : cpu.reapedMs);
  return total;
}

/**
 * CPU time the whole machine has spent so far (all cores, user + system + interrupts), and
 * the time the hypervisor gave this VM's cores to someone else while they had work (steal),
 * in ms.
 */
function machineCpuMs(): { used: number; stolen: number } | undefined {
  try {
    const [, user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).map(Number);
    const ms = (ticks: number) => (ticks * 1000) / clockTickHz();
    return { used: ms(user + nice + system + irq + softirq), stolen: ms(steal ?? 0) };
  } catch {
    return undefined;
  }
}

/** Where a phase's CPU went, in ms per item: each process of the stack, and the rest of the machine. */
export interface CpuSplit {
  temporal: number;
  worker: number;
  postgres: number;
  /** This process: the API (the bench runs it in-process) and the load it is given. */
  bench: number;
  /** The kernel's networking and anything else running on the machine. */
  other: number;
  total: number;
  /** Not in `total`: time the host gave this VM's cores to others while they had work; it slows whichever side it falls on. */
  stolen: number;
}

/**
 * Starts counting CPU by process; the function it returns ends the phase and divides by
 * `items`. On 2 shared cores this says where the difference between a figure and its
 * baseline goes. Undefined where /proc is missing.
 */
export function startCpuSplit(pids: { temporal: number; worker: number }): (items: number) => CpuSplit | undefined {
  const read = () => {
    const own = process.cpuUsage();
    return { temporal: cpuMsOf(pids.temporal) ?? 0, worker: cpuMsOf(pids.worker) ?? 0, postgres: cpuMsOfCommand('postgres'), bench: (own.user + own.system) / 1000, machine: machineCpuMs() };
  };
  const before = read();
  return (items) => {
    const after = read();
    if (before.machine === undefined || after.machine === undefined) return undefined;
    const per = (k: 'temporal' | 'worker' | 'postgres' | 'bench') => (after[k] - before[k]) / items;
    const total = (after.machine.used - before.machine.used) / items;
    const split = { temporal: per('temporal'), worker: per('worker'), postgres: per('postgres'), bench: per('bench') };
    return { ...split, other: Math.max(0, total - split.temporal - split.worker - split.postgres - split.bench), total, stolen: (after.machine.stolen - before.machine.stolen) / items };
  };
}

/** The mean of rounds' splits (each over the same number of items): the pooled CPU per item. */
export function meanSplit(splits: Array<CpuSplit | undefined>): CpuSplit | undefined {
  if (splits.length === 0 || splits.some((x) => x === undefined)) return undefined;
  const all = splits as CpuSplit[];
  const mean = (k: keyof CpuSplit) => all.reduce((a, x) => a + x[k], 0) / all.length;
  return { temporal: mean('temporal'), worker: mean('worker'), postgres: mean('postgres'), bench: mean('bench'), other: mean('other'), total: mean('total'), stolen: mean('stolen') };
}

let ticksPerSecond: number | undefined;
/** Kernel clock ticks per second, the unit of /proc/<pid>/stat times (almost always 100). */
function clockTickHz(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** Samples a process's resident set every 100 ms until stopped: where it started and its peak. */
export function watchMemory(pid: number) {
  const first = memoryOf(pid)?.rssMb ?? 0;
  let peak = first;
  const timer = setInterval(() => {
    peak = Math.max(peak, memoryOf(pid)?.rssMb ?? 0);
  }, 100);
  return {
    stop: () => {
      clearInterval(timer);
      return { startMb: first, peakMb: peak, growthMb: peak - first };
    },
  };
}
