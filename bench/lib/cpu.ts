import { readdir, readFile } from 'node:fs/promises';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on Linux). */
const TICKS = 100;

interface Stat {
  readonly ppid: number;
  /** utime + stime of the process itself. */
  readonly own: number;
  /** cutime + cstime: children it has waited for. */
  readonly reaped: number;
}

async function stat(pid: number): Promise<Stat | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses; fields start after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const n = (i: number) => Number(fields[i - 3]);
    return { ppid: n(4), own: n(14) + n(15), reaped: n(16) + n(17) };
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds used so far by a process and all its descendants: the live ones, plus what the
 * processes of the tree have reaped from children that already exited. Stays consistent when a
 * child exits between two readings (its time moves from "live" to "reaped"), which matters for
 * Postfix, whose master forks and reaps smtpd, cleanup and smtp processes all the time.
 */
export async function treeCpuSeconds(root: number): Promise<number> {
  const stats = new Map<number, Stat>();
  for (const name of await readdir('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    const s = await stat(pid);
    if (s) stats.set(pid, s);
  }
  const children = new Map<number, number[]>();
  for (const [pid, s] of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), pid]);
  let ticks = 0;
  const pending = [root];
  while (pending.length) {
    const pid = pending.pop()!;
    const s = stats.get(pid);
    if (!s) continue;
    ticks += s.own + s.reaped;
    pending.push(...(children.get(pid) ?? []));
  }
  return ticks / TICKS;
}
