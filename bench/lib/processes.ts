import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';

/** The pinned Node runtime that runs this script (node_modules/.bin/node under npm run). */
export const NODE = process.execPath;

/** A long-running process the bench started, in its own process group. */
export interface Managed {
  readonly pid: number;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  alive(): boolean;
  /** `signal` (SIGTERM) to the group, then SIGKILL after `graceMs`. Resolves once it has exited. */
  stop(graceMs?: number, signal?: NodeJS.Signals): Promise<void>;
}

export interface StartOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** stdout and stderr go to this file, never through the bench's own event loop. */
  readonly logFile: string;
}

/**
 * Starts a server process detached into its own process group, so that stopping it also stops
 * whatever it forked (and nothing else: the group id is the pid we got back).
 */
export function startManaged(command: string, args: readonly string[], options: StartOptions): Managed {
  const fd = openSync(options.logFile, 'a');
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', fd, fd],
    detached: true,
  });
  closeSync(fd);
  let running = true;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      running = false;
      resolve(code);
    });
    child.once('error', () => {
      running = false;
      resolve(null);
    });
  });
  const pid = child.pid ?? -1;
  return {
    pid,
    child,
    exited,
    alive: () => running,
    async stop(graceMs = 10_000, signal: NodeJS.Signals = 'SIGTERM') {
      if (!running) return;
      signalGroup(pid, signal);
      const timedOut = await Promise.race([exited.then(() => false), delay(graceMs, undefined, { ref: false }).then(() => true)]);
      if (timedOut) {
        signalGroup(pid, 'SIGKILL');
        await exited;
      }
    },
  };
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/** Runs a short command to completion (installs, postfix start/stop, version queries). */
export function runCommand(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 120_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr: stderr + String(err), timedOut });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

/** Resident set size of a process in KiB, from /proc/<pid>/status (VmRSS). */
export async function rssKb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]);
}
