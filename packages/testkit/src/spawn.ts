import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';

/** A listener as the `ready` log line reports it. */
export interface ReadyListener {
  readonly name: string;
  readonly role: string;
  readonly host: string;
  readonly port: number;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A `posthorn start` process that has logged its `ready` line. */
export interface PosthornProcess {
  readonly pid: number;
  /** Port of each listener, by listener name (the role, unless the config names it). */
  readonly ports: Readonly<Record<string, number>>;
  readonly listeners: readonly ReadyListener[];
  /** Standard output so far, one entry per line; keeps growing while the process runs. */
  readonly lines: readonly string[];
  /** Standard error so far, one entry per line. */
  readonly stderr: readonly string[];
  /** The JSON log lines of standard output so far, parsed (lines that are not JSON are skipped). */
  logs(): Record<string, unknown>[];
  /** Resolves with the first stdout line (already seen or still to come) that matches. */
  waitForLine(match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Resolves when the process has exited. */
  readonly exited: Promise<Exit>;
  /** Sends a signal (SIGTERM by default) and resolves when the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
  /** SIGKILL: for cleanup after a failed test. Resolves when the process is gone. */
  kill(): Promise<Exit>;
}

export interface SpawnOptions {
  readonly configPath: string;
  /** Added to (and overriding) the test process's environment. */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** How long to wait for the `ready` line. Default 30 s. */
  readonly readyTimeoutMs?: number;
}

export interface RunResult extends Exit {
  readonly stdout: string;
  readonly stderr: string;
}

/** The file the `posthorn` binary runs (packages/cli/src/bin.ts), found through the package. */
export function posthornBin(): string {
  const require = createRequire(import.meta.url);
  const packageJson = require.resolve('@posthorn/cli/package.json');
  const bin = (JSON.parse(readFileSync(packageJson, 'utf8')) as { bin: { posthorn: string } }).bin.posthorn;
  return resolve(dirname(packageJson), bin);
}

/**
 * The command that runs the binary: this very Node (the pinned Node 24 when tests run under
 * it) with the flags of the binary's shebang, so the PATH's node does not matter.
 */
function command(args: readonly string[]): [string, string[]] {
  return [process.execPath, ['--disable-warning=ExperimentalWarning', posthornBin(), ...args]];
}

function childEnv(extra: Readonly<Record<string, string>> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  // The test runner marks its own children; the server is not one of its test files.
  delete env.NODE_TEST_CONTEXT;
  return env;
}

/** Resolves on 'close' rather than 'exit', so every line the process printed has been read. */
function exitOf(child: ChildProcess): Promise<Exit> {
  return new Promise((resolveExit) => child.once('close', (code: number | null, signal: NodeJS.Signals | null) => resolveExit({ code, signal })));
}

/** Splits a stream into lines as they arrive. */
function collectLines(stream: NodeJS.ReadableStream, lines: string[], onLine: () => void): void {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    partial += chunk;
    let newline: number;
    while ((newline = partial.indexOf('\n')) !== -1) {
      lines.push(partial.slice(0, newline));
      partial = partial.slice(newline + 1);
    }
    onLine();
  });
  stream.on('end', () => {
    if (partial) lines.push(partial);
    partial = '';
    onLine();
  });
}

function parseJson(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/**
 * Starts `posthorn --config <configPath> start` and resolves once it has logged its `ready`
 * line, with the ports it listens on (configs for tests use port 0). Rejects, with what the
 * process printed, if it exits or stays silent past the deadline first.
 */
export async function spawnPosthorn(options: SpawnOptions): Promise<PosthornProcess> {
  const [file, args] = command(['--config', options.configPath, 'start']);
  const child = spawn(file, args, { cwd: options.cwd ?? process.cwd(), env: childEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const stderr: string[] = [];
  let waiters: (() => void)[] = [];
  const wake = () => {
    const current = waiters;
    waiters = [];
    for (const waiter of current) waiter();
  };
  collectLines(child.stdout!, lines, wake);
  collectLines(child.stderr!, stderr, wake);
  const exited = exitOf(child);
  let gone = false;
  void exited.then(() => {
    gone = true;
    wake();
  });

  const waitForLine = async (match: (line: string) => boolean, timeoutMs = 30_000): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    for (let seen = 0; ; ) {
      for (; seen < lines.length; seen++) if (match(lines[seen]!)) return lines[seen]!;
      if (gone) throw new Error(`posthorn exited before the expected line\nstdout:\n${lines.join('\n')}\nstderr:\n${stderr.join('\n')}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching line within ${timeoutMs} ms\nstdout:\n${lines.join('\n')}\nstderr:\n${stderr.join('\n')}`);
      await new Promise<void>((next) => {
        const timer = setTimeout(next, left);
        waiters.push(() => {
          clearTimeout(timer);
          next();
        });
      });
    }
  };

  const kill = async (): Promise<Exit> => {
    if (!gone) child.kill('SIGKILL');
    return exited;
  };

  let ready: Record<string, unknown>;
  try {
    ready = parseJson(await waitForLine((line) => parseJson(line)?.msg === 'ready', options.readyTimeoutMs ?? 30_000))!;
  } catch (err) {
    await kill();
    throw err;
  }
  const listeners = (ready.listeners as ReadyListener[] | undefined) ?? [];
  return {
    pid: child.pid!,
    ports: Object.freeze(Object.fromEntries(listeners.map((l) => [l.name, l.port]))),
    listeners,
    lines,
    stderr,
    logs: () => lines.map(parseJson).filter((entry): entry is Record<string, unknown> => entry !== undefined),
    waitForLine,
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (!gone) child.kill(signal);
      return exited;
    },
    kill,
  };
}

/**
 * Runs one `posthorn` command to its end: `runPosthorn(['--config', path, 'user', 'list'])`.
 * `input` is written to standard input (then closed); without it standard input is empty and
 * not a terminal.
 */
export async function runPosthorn(args: readonly string[], options: { input?: string; env?: Readonly<Record<string, string>>; cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  const [file, argv] = command(args);
  const child = spawn(file, argv, { cwd: options.cwd ?? process.cwd(), env: childEnv(options.env), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.on('error', () => undefined);
  child.stdin.end(options.input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  const exit = await exitOf(child);
  clearTimeout(timer);
  return { ...exit, stdout, stderr };
}
