// Memory and CPU of a process, read from /proc (Linux). Elsewhere the figures are
// simply absent: the bench still runs, it only reports less.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

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
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields 14 and 15 (utime, stime), counted after the parenthesised command name.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1000) / clockTickHz() : undefined;
  } catch {
    return undefined;
  }
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
