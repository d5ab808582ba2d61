import { loadavg } from 'node:os';

/** The 1-minute load average: the bench alone keeps about 2 runnable (client and server). */
export function load1(): number {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}
