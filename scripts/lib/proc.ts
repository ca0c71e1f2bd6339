// Small process and port helpers shared by the launchers (dev server, PostgreSQL, chaos).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** A process's command line from /proc; undefined when it is gone, a zombie, or there is no /proc (macOS). */
export function procCmdline(pid: number): string | undefined {
  if (!pid) return undefined;
  try {
    // A zombie has exited already; only its parent has not reaped it yet.
    if (/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) return undefined;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return undefined;
  }
}

export function procParent(pid: number): number | undefined {
  try {
    // Field 4 of /proc/<pid>/stat, after the parenthesised command name (which may hold spaces).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** Sends a signal, ignoring a process that is already gone. */
export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

/** A TCP port free on 127.0.0.1 right now (the OS picks it; a race with other processes is possible but rare). */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
