import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort } from '../lib/ports.ts';
import { waitForSmtp } from '../lib/wait.ts';

/**
 * Postfix's smtp-sink with `-c`, playing the remote mail exchanger of the outbound measurement.
 * `-c` prints running counters ("sess=.. quit=.. mesg=N", each ended by a CR) whenever a session
 * ends, a QUIT arrives or a message's final "." is received; the bench reads them from a pipe and
 * notes when each count was reached, so it knows when the last message of a run arrived without
 * asking the server under test anything. The same C sink for every peer.
 */
export interface CountingSink {
  readonly port: number;
  readonly pid: number;
  readonly logFile: string;
  /** Messages received so far ("." seen). */
  count(): number;
  /** SMTP sessions ended so far (connections the peers opened and closed). */
  sessions(): number;
  /** performance.now() when the count reached `target` (also when that was before the call); rejects after `timeoutMs`. */
  reached(target: number, timeoutMs: number): Promise<number>;
  stop(): Promise<void>;
}

export async function startCountingSink(dir: string, name: string): Promise<CountingSink> {
  const port = await freePort();
  const logFile = join(dir, `${name}.log`);
  const log = createWriteStream(logFile);
  // Not detached: it forks nothing, and dies with the bench if the bench is killed outright.
  const child = spawn('smtp-sink', ['-c', '-u', 'nobody', `127.0.0.1:${port}`, '1024'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let count = 0;
  let sessions = 0;
  // Every increase of the count and when it was read, so a target already passed can be dated.
  const history: { count: number; at: number }[] = [];
  let carry = '';
  let alive = true;
  const waiters: { target: number; resolve: (at: number) => void }[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    const at = performance.now();
    const text = carry + chunk.toString('latin1');
    const end = text.lastIndexOf('\r');
    if (end < 0) {
      carry = text;
      return;
    }
    carry = text.slice(end + 1);
    const sess = text.slice(0, end).match(/sess=(\d+)/g);
    if (sess) sessions = Math.max(sessions, Number(sess[sess.length - 1]!.slice(5)));
    const matches = text.slice(0, end).match(/mesg=(\d+)/g);
    if (!matches) return;
    const latest = Number(matches[matches.length - 1]!.slice(5));
    if (latest <= count) return;
    count = latest;
    history.push({ count, at });
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (count >= waiters[i]!.target) waiters.splice(i, 1)[0]!.resolve(at);
    }
  });
  child.stderr.pipe(log);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      alive = false;
      resolve();
    });
    child.once('error', () => {
      alive = false;
      resolve();
    });
  });
  await waitForSmtp(port, 10_000, () => alive);
  // waitForSmtp's probe is a session of its own; let its counter line pass before anyone counts.
  await delay(50);
  return {
    port,
    pid: child.pid ?? -1,
    logFile,
    count: () => count,
    sessions: () => sessions,
    reached(target, timeoutMs) {
      if (count >= target) return Promise.resolve(history.find((h) => h.count >= target)?.at ?? performance.now());
      return new Promise((resolve, reject) => {
        const waiter = { target, resolve: (at: number) => (clearTimeout(timer), resolve(at)) };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`the sink had ${count} of ${target} messages after ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    async stop() {
      if (alive) child.kill('SIGTERM');
      await exited;
      log.end();
    },
  };
}
