import { connect } from 'node:net';
import type { AccountGroup, HashKind } from './mail-data.ts';
import { waitFor } from './wait.ts';

/** A mail-reading server under test (POP3 or IMAP): Posthorn or Dovecot. */
export interface MailPeer {
  readonly id: string;
  readonly label: string;
  version(): Promise<string>;
  /** Writes its config, the accounts (with these password hashes) and their mailboxes. */
  prepare(dir: string, groups: readonly AccountGroup[], hashes: Readonly<Record<HashKind, string>>): Promise<void>;
  start(): Promise<RunningMailPeer>;
}

export interface RunningMailPeer {
  readonly port: number;
  /** The process tree whose CPU time is the server's. */
  readonly pid: number;
  /** How it runs, for the report. */
  readonly notes: readonly string[];
  stop(): Promise<void>;
}

/** How a protocol greets and how a client takes its leave right after the greeting. */
export interface Greeting {
  readonly protocol: string;
  /** The greeting line starts with this (`+OK`, `* OK`). */
  readonly ok: string;
  /** Sent once the greeting is in, so the server sees an orderly goodbye (`QUIT`, `a LOGOUT`). */
  readonly bye: string;
}

export const POP3_GREETING: Greeting = { protocol: 'POP3', ok: '+OK', bye: 'QUIT' };
export const IMAP_GREETING: Greeting = { protocol: 'IMAP', ok: '* OK', bye: 'a LOGOUT' };

/** The first line a server sends on a new connection ('' if none within 2 s). */
function firstLine(port: number, bye: string): Promise<string> {
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
        socket.end(`${bye}\r\n`);
        done(text.slice(0, text.indexOf('\r\n')));
      }
    });
    socket.on('error', () => {
      clearTimeout(timer);
      done('');
    });
  });
}

/** Waits until something on the port greets as `greeting` says. */
export async function waitForGreeting(greeting: Greeting, port: number, timeoutMs: number, alive: () => boolean): Promise<void> {
  await waitFor(
    `a ${greeting.protocol} greeting on 127.0.0.1:${port}`,
    async () => {
      if (!alive()) throw new Error(`the server for port ${port} exited before it greeted`);
      return (await firstLine(port, greeting.bye)).startsWith(greeting.ok);
    },
    timeoutMs,
    100,
  );
}
