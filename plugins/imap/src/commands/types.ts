import type { ParsedCommand } from '../protocol/parser.ts';
import type { Session } from '../session.ts';

/** RFC 9051 3: the states of a session. */
export type State = 'not-authenticated' | 'authenticated' | 'selected' | 'logout';

/** The tagged response that ends a command. */
export interface Completion {
  readonly status: 'OK' | 'NO' | 'BAD';
  /** Response code without brackets, e.g. `TRYCREATE`, `COPYUID 1 2 3`. */
  readonly code?: string;
  readonly text: string;
  /** Already written by the command itself (STARTTLS must answer before the handshake). */
  readonly silent?: boolean;
}

export interface CommandSpec {
  /** States in which the command is valid; in any other it gets a BAD. */
  readonly states: readonly State[];
  /**
   * RFC 9051 7.5.1: no EXPUNGE may be sent while a FETCH, STORE or SEARCH (without UID) is
   * answered; the session then keeps the mailbox's pending changes until a later command.
   */
  readonly holdsUpdates?: (command: ParsedCommand) => boolean;
  run(session: Session, command: ParsedCommand): Promise<Completion>;
}

export const ANY: readonly State[] = ['not-authenticated', 'authenticated', 'selected'];
export const AUTHENTICATED: readonly State[] = ['authenticated', 'selected'];
export const SELECTED: readonly State[] = ['selected'];
export const NOT_AUTHENTICATED: readonly State[] = ['not-authenticated'];

export function ok(text: string, code?: string): Completion {
  return code ? { status: 'OK', code, text } : { status: 'OK', text };
}

export function no(text: string, code?: string): Completion {
  return code ? { status: 'NO', code, text } : { status: 'NO', text };
}

export function bad(text: string, code?: string): Completion {
  return code ? { status: 'BAD', code, text } : { status: 'BAD', text };
}

/** Thrown from deep inside a command to end it with this completion. */
export class CommandFailure extends Error {
  readonly completion: Completion;

  constructor(completion: Completion) {
    super(completion.text);
    this.completion = completion;
  }
}

/** Maps the store's error codes (MailStore contract) onto IMAP response codes. */
export function storeFailure(err: unknown): Completion | undefined {
  const code = (err as { code?: string })?.code;
  const message = (err as Error)?.message ?? 'failed';
  switch (code) {
    case 'NONEXISTENT':
      return no('No such mailbox', 'NONEXISTENT');
    case 'ALREADYEXISTS':
      return no('Mailbox already exists', 'ALREADYEXISTS');
    case 'CANNOT':
      return no(message, 'CANNOT');
    case 'OVERQUOTA':
      return no('Quota exceeded', 'OVERQUOTA');
    case 'INUSE':
      return no('Mailbox in use', 'INUSE');
    default:
      return undefined;
  }
}

/**
 * Runs a store operation that puts messages into `mailbox`; a missing destination becomes
 * `NO [TRYCREATE]` (RFC 9051 6.3.12), so the client may create it and try again.
 */
export async function intoMailbox<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (err) {
    if ((err as { code?: string })?.code === 'NONEXISTENT') throw new CommandFailure(no('No such mailbox', 'TRYCREATE'));
    throw err;
  }
}
