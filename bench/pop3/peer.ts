import { connect } from 'node:net';
import { waitFor } from '../lib/wait.ts';
import type { AccountGroup, HashKind } from './dataset.ts';

/** A POP3 server under test. */
export interface Pop3Peer {
  readonly id: string;
  readonly label: string;
  version(): Promise<string>;
  /** Writes its config, the accounts (with these password hashes) and their mailboxes. */
  prepare(dir: string, groups: readonly AccountGroup[], hashes: Readonly<Record<HashKind, string>>): Promise<void>;
  start(): Promise<RunningPop3>;
}

export interface RunningPop3 {
  readonly port: number;
  /** The process tree whose CPU time is the server's. */
  readonly pid: number;
  /** How it runs, for the report. */
  readonly notes: readonly string[];
  stop(): Promise<void>;
}

/** The first line a server sends on a new connection. */
function greeting(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let text = '';
    const done = (line: string) => {
      socket.destroy();
      resolve(line);
    };
    const timer = setTimeout(() => done(''), 2000);
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      if (text.includes('\r\n')) {
        clearTimeout(timer);
        socket.end('QUIT\r\n');
        done(text.slice(0, text.indexOf('\r\n')));
      }
    });
    socket.on('error', () => {
      clearTimeout(timer);
      done('');
    });
  });
}

/** Waits until something on the port greets with +OK. */
export async function waitForPop3(port: number, timeoutMs: number, alive: () => boolean): Promise<void> {
  await waitFor(
    `a POP3 greeting on 127.0.0.1:${port}`,
    async () => {
      if (!alive()) throw new Error(`the server for port ${port} exited before it greeted`);
      return (await greeting(port)).startsWith('+OK');
    },
    timeoutMs,
    100,
  );
}
