import type { SecureContext } from 'node:tls';
import type { Account, AccountDirectory, MailStore } from '@posthorn/contracts';
import { isLoopback, type Logger, type PasswordGate, type TlsMode } from '@posthorn/core';
import { COMMANDS } from './commands/registry.ts';
import { bad, CommandFailure, type Completion, type State, storeFailure } from './commands/types.ts';
import type { MessageCache } from './message-cache.ts';
import type { ImapOptions } from './options.ts';
import type { ImapConnection, Input } from './protocol/connection.ts';
import { ParseError, type ParsedCommand, parseCommand } from './protocol/parser.ts';
import type { ImapValue } from './protocol/values.ts';
import { response } from './protocol/writer.ts';
import type { SelectedMailbox } from './selected.ts';
import type { RecentClaims } from './recent-claims.ts';
import type { UserSessions } from './user-sessions.ts';

/** What a session needs from its listener and plugin. */
export interface SessionRuntime {
  readonly hostname: string;
  readonly store: MailStore;
  readonly accounts: AccountDirectory;
  readonly gate: PasswordGate;
  readonly options: ImapOptions;
  readonly cache: MessageCache;
  readonly users: UserSessions;
  /** Which messages some read-write session has been told of (\Recent). */
  readonly recent: RecentClaims;
  readonly listener: { readonly name: string; readonly tls: TlsMode; readonly allowInsecureAuth: boolean };
  readonly secureContext: SecureContext;
}

/** Extensions a client can switch on with ENABLE (RFC 5161) or by using them. */
export type Enableable = 'CONDSTORE' | 'QRESYNC' | 'IMAP4REV2' | 'UTF8=ACCEPT';

/**
 * One IMAP session: reads commands one at a time, in order, runs them in the state they are
 * valid in, and sends the mailbox's pending changes (EXISTS, EXPUNGE, FLAGS) at the moments
 * RFC 9051 7.5.1 allows, right before a tagged completion.
 */
export class Session {
  readonly id: string;
  readonly connection: ImapConnection;
  readonly runtime: SessionRuntime;
  readonly log: Logger;
  state: State = 'not-authenticated';
  account: Account | undefined;
  selected: SelectedMailbox | undefined;
  readonly enabled = new Set<Enableable>();
  /** The UIDs a SEARCH RETURN (SAVE) kept, for `$` (RFC 5182). */
  savedSearch: readonly number[] = [];
  /** In IDLE: the server may tell the client it stops at any moment. */
  idling = false;
  #unauthenticatedCommands = 0;
  #errorsInARow = 0;
  #shuttingDown = false;
  /** A command is running (shutdown waits for it, unless it is IDLE). */
  #busy = false;
  readonly closed: Promise<void>;
  #resolveClosed!: () => void;
  #releaseUser: (() => void) | undefined;

  constructor(connection: ImapConnection, runtime: SessionRuntime, log: Logger, id: string) {
    this.id = id;
    this.connection = connection;
    this.runtime = runtime;
    this.log = log;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    connection.onClose(() => this.#ended());
  }

  get user(): string {
    if (!this.account) throw new CommandFailure(bad('Not authenticated'));
    return this.account.id;
  }

  get utf8(): boolean {
    return this.enabled.has('UTF8=ACCEPT') || this.enabled.has('IMAP4REV2');
  }

  get condstore(): boolean {
    return this.enabled.has('CONDSTORE') || this.enabled.has('QRESYNC');
  }

  /** May a password be taken here: over TLS, or from loopback where the operator allows it. */
  get passwordAllowed(): boolean {
    return this.connection.tls || (this.runtime.listener.allowInsecureAuth && isLoopback(this.connection.remoteAddress));
  }

  capabilities(): string[] {
    const caps = ['IMAP4rev1', 'IMAP4rev2', 'LITERAL+', 'SASL-IR', 'ID', 'ENABLE', 'IDLE'];
    if (this.state === 'not-authenticated') {
      if (!this.connection.tls && this.runtime.listener.tls === 'starttls') caps.push('STARTTLS');
      caps.push(this.passwordAllowed ? 'AUTH=PLAIN' : 'LOGINDISABLED');
      return caps;
    }
    caps.push(
      'NAMESPACE', 'UIDPLUS', 'MOVE', 'UNSELECT', 'CHILDREN', 'LIST-EXTENDED', 'LIST-STATUS', 'SPECIAL-USE', 'ESEARCH',
      'SEARCHRES', 'WITHIN', 'CONDSTORE', 'QRESYNC', 'QUOTA', 'QUOTA=RES-STORAGE', 'STATUS=SIZE', 'BINARY',
      'UTF8=ACCEPT', `APPENDLIMIT=${this.runtime.options.maxMessageSize}`,
    );
    return caps;
  }

  /** Sends an untagged response: `* <text> <values...>`. */
  untagged(text: string, values: readonly ImapValue[] = []): void {
    this.connection.write(response(text ? `* ${text}` : '*', values));
  }

  write(buffers: readonly Buffer[]): void {
    this.connection.write(buffers);
  }

  /** Reads a client's continuation line (AUTHENTICATE, IDLE); undefined when it hung up. */
  readLine(): Promise<Buffer | undefined> {
    return this.connection.readLine();
  }

  /** Runs until the connection ends. */
  async run(): Promise<void> {
    const caps = this.capabilities().join(' ');
    this.connection.writeLine(`* OK [CAPABILITY ${caps}] ${this.runtime.hostname} Posthorn IMAP ready`);
    while (!this.connection.closed && this.state !== 'logout') {
      const input = await this.connection.readCommand();
      if (input.type === 'closed') break;
      await this.#handle(input);
      await this.connection.drained();
      if (this.#shuttingDown && (this.state as State) !== 'logout') {
        this.connection.writeLine('* BYE Server shutting down');
        this.connection.end();
        break;
      }
    }
    if ((this.state as State) === 'logout') this.connection.end();
  }

  /** Server stopping: idle sessions are told at once, busy ones after their command. */
  shutdown(): void {
    this.#shuttingDown = true;
    this.selected?.interruptIdle();
    if (!this.#busy || this.idling) {
      this.connection.writeLine('* BYE Server shutting down');
      this.connection.end();
    }
  }

  abort(): void {
    this.connection.destroy();
  }

  /** Logged in: from here the account's mailboxes are reachable. */
  async login(account: Account): Promise<Completion | undefined> {
    const release = this.runtime.users.acquire(account.id);
    if (!release) return { status: 'NO', code: 'LIMIT', text: 'Too many sessions for this account' };
    this.#releaseUser = release;
    this.account = account;
    this.state = 'authenticated';
    await this.runtime.store.ensureAccount(account.id);
    this.log.info({ user: account.id }, 'imap login');
    return undefined;
  }

  /** Leaves the selected state (CLOSE, UNSELECT, a new SELECT). */
  deselect(): void {
    this.selected?.close();
    this.selected = undefined;
    if (this.state === 'selected') this.state = 'authenticated';
  }

  /** Sends what the selected mailbox has pending (EXISTS, EXPUNGE, FETCH FLAGS). */
  flushUpdates(): void {
    this.selected?.flush(this);
  }


  async #handle(input: Exclude<Input, { type: 'closed' }>): Promise<void> {
    if (input.type === 'too-long') {
      this.#complete(input.tag, bad('Command line too long', 'TOOBIG'));
      return;
    }
    if (input.type === 'literal-too-big') {
      const completion = input.append ? { status: 'NO' as const, code: 'TOOBIG', text: 'Message too big' } : bad('Literal too big', 'TOOBIG');
      this.#complete(input.tag, completion);
      return;
    }
    let command: ParsedCommand;
    try {
      command = parseCommand(input.command);
    } catch (err) {
      const tag = err instanceof ParseError ? err.tag : undefined;
      this.#complete(tag, bad(`Syntax error: ${(err as Error).message}`));
      return;
    }
    if (this.state === 'not-authenticated' && ++this.#unauthenticatedCommands > this.runtime.options.maxUnauthenticatedCommands) {
      this.connection.writeLine('* BYE Too many commands before login');
      this.connection.end();
      return;
    }
    const spec = COMMANDS.get(command.name);
    if (!spec) {
      this.#complete(command.tag, bad(`Unknown command ${command.name.slice(0, 40)}`));
      return;
    }
    if (command.uid && !UID_COMMANDS.has(command.name)) {
      this.#complete(command.tag, bad(`UID ${command.name} is not a command`));
      return;
    }
    if (!spec.states.includes(this.state)) {
      this.#complete(command.tag, bad(`${command.name} is not valid ${STATE_PHRASE[this.state]}`));
      return;
    }
    this.#busy = true;
    let completion: Completion;
    try {
      completion = await spec.run(this, command);
    } catch (err) {
      if (err instanceof CommandFailure) completion = err.completion;
      else {
        const known = storeFailure(err);
        if (known) completion = known;
        else {
          this.log.error({ err: (err as Error).message, stack: (err as Error).stack, command: command.name }, 'imap command failed');
          completion = { status: 'NO', code: 'SERVERBUG', text: 'Internal error, the command was not completed' };
        }
      }
    } finally {
      this.#busy = false;
    }
    if (this.state === 'logout') return this.#complete(command.tag, completion);
    if (!(spec.holdsUpdates?.(command) ?? false)) this.flushUpdates();
    this.#complete(command.tag, completion);
  }

  #complete(tag: string | undefined, completion: Completion): void {
    if (completion.silent) return;
    if (completion.status === 'BAD') {
      if (++this.#errorsInARow > this.runtime.options.maxErrors) {
        this.connection.writeLine('* BYE Too many errors');
        this.connection.end();
        return;
      }
    } else this.#errorsInARow = 0;
    const code = completion.code ? `[${completion.code}] ` : '';
    this.connection.writeLine(`${tag ?? '*'} ${completion.status} ${code}${completion.text}`);
  }

  #ended(): void {
    this.selected?.close();
    this.selected = undefined;
    this.#releaseUser?.();
    this.#releaseUser = undefined;
    this.#resolveClosed();
  }
}

const UID_COMMANDS = new Set(['FETCH', 'STORE', 'SEARCH', 'COPY', 'MOVE', 'EXPUNGE']);

const STATE_PHRASE: Record<State, string> = {
  'not-authenticated': 'before login',
  authenticated: 'without a selected mailbox',
  selected: 'with a mailbox selected',
  logout: 'after LOGOUT',
};
