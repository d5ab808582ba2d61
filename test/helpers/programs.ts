/** Running the real SMTP clients installed on the machine (swaks, curl, python3). */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface ProgramResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Whether an executable of that name is on PATH. */
export function onPath(name: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

/** A run whose standard output is kept as bytes (message content compared byte for byte). */
export interface ProgramBytesResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** Runs a program to its end (killed past the deadline), with `input` on standard input; stdout as bytes. */
export function runProgramBytes(file: string, args: readonly string[], options: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<ProgramBytesResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr });
    });
  });
}

/** Runs a program to its end (killed past the deadline), with `input` on standard input. */
export async function runProgram(file: string, args: readonly string[], options: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<ProgramResult> {
  const result = await runProgramBytes(file, args, options);
  return { ...result, stdout: result.stdout.toString('utf8') };
}

export function describeRun(result: ProgramResult | ProgramBytesResult): string {
  const stdout = typeof result.stdout === 'string' ? result.stdout : result.stdout.subarray(0, 2000).toString('latin1');
  return `exit ${result.code}${result.signal ? ` (${result.signal})` : ''}\nstdout:\n${stdout}\nstderr:\n${result.stderr}`;
}
