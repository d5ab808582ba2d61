import type { SecureContext } from 'node:tls';
import type { Account, MailStore, MessageMeta } from '@posthorn/contracts';
import { decodePlain, isLoopback, type Logger, type LoginRefusal, type PasswordGate, SASL_MECHANISMS, type TlsMode } from '@posthorn/core';
import type { Pop3Connection } from './connection.ts';
import type { InputLine } from './line-reader.ts';
import { Maildrop } from './maildrop.ts';
import { ReadAhead } from './read-ahead.ts';
import type { Pop3Options } from './options.ts';
import { Replies } from './replies.ts';
import { RETR_CHUNK, transmit } from './transmit.ts';

/** The reply to each reason a login is refused (RFC 2449 8 response codes). */
const REFUSAL_REPLIES: Record<LoginRefusal, string> = {
  failed: Replies.authFailed,
  'locked-out': Replies.lockedOut,
  'login-delay': Replies.loginDelay,
};

/** RFC 1939 3: the states of a POP3 session. `closed`: nothing more is read. */
type State = 'authorization' | 'transaction' | 'update' | 'closed';

/** What a session needs from its listener and plugin. */
export interface SessionRuntime {
  readonly hostname: string;
  readonly store: MailStore;
  readonly gate: PasswordGate;
  readonly options: Pop3Options;
  readonly listener: { readonly name: string; readonly tls: TlsMode; readonly allowInsecureAuth: boolean };
  readonly secureContext: SecureContext;
}

/** Bytes allowed in a command line besides printable ASCII: none of the C0 controls or DEL. */
const CONTROL = /[\x00-\x1f\x7f]/;
/** A message number (RFC 1939: decimal); more digits than any maildrop could need are a syntax error. */
const NUMBER = /^[0-9]{1,9}$/;
/** TOP's line count: a non-negative decimal. */
const COUNT = /^[0-9]{1,9}$/;
/** RFC 1939 3 and RFC 2449 4: keywords are three or four characters. */
const KEYWORD = /^[A-Za-z]{3,4}$/;

const AUTHORIZATION_COMMANDS = new Set(['USER', 'PASS', 'AUTH', 'STLS', 'CAPA', 'QUIT', 'APOP']);
const TRANSACTION_COMMANDS = new Set(['STAT', 'LIST', 'RETR', 'DELE', 'NOOP', 'RSET', 'QUIT', 'TOP', 'UIDL', 'CAPA']);

/**
 * One POP3 session (RFC 1939 with RFC 2449 CAPA and response codes, RFC 2595 STLS, RFC 5034
 * SASL): the AUTHORIZATION, TRANSACTION and UPDATE states, the maildrop lock, and the limits
 * that keep one client from hurting the others. Deletions reach the store only in the UPDATE
 * state, after QUIT; a session that ends any other way (dropped, timed out, server stopping)
 * deletes nothing. The lock is released whenever the session ends.
 */
export class Pop3Session {
  readonly #connection: Pop3Connection;
  readonly #runtime: SessionRuntime;
  readonly #log: Logger;
  readonly #owner: string;
  #state: State = 'authorization';
  /** Login name from USER, waiting for PASS. */
  #user: string | undefined;
  /** An AUTH exchange waiting for the client's response line. */
  #saslPending = false;
  #commands = 0;
  #errors = 0;
  #account: Account | undefined;
  #maildrop: Maildrop | undefined;
  #release: (() => void) | undefined;
  #shuttingDown = false;
  #busy = false;
  #retrieved = 0;
  #readAhead: ReadAhead | undefined;
  readonly #closedPromise: Promise<void>;
  #resolveClosed!: () => void;

  constructor(connection: Pop3Connection, runtime: SessionRuntime, log: Logger, id: string) {
    this.#connection = connection;
    this.#runtime = runtime;
    this.#log = log;
    this.#owner = `pop3:${id}`;
    this.#closedPromise = new Promise((resolve) => (this.#resolveClosed = resolve));
  }

  /** Resolves when the connection has ended and the lock is released. */
  get closedPromise(): Promise<void> {
    return this.#closedPromise;
  }

  start(): void {
    this.#connection.start(this, Replies.greeting(this.#runtime.hostname));
  }

  /** Drops the connection at once (the server's grace period is over); deletes nothing. */
  abort(): void {
    this.#connection.destroy();
  }

  /**
   * The server is stopping: an idle session is told so and closed now; a busy one after the
   * command it is running (a QUIT in progress still commits its deletions).
   */
  shutdown(): void {
    this.#shuttingDown = true;
    if (!this.#busy) this.#goAway(Replies.shuttingDown);
  }

  async handle(line: InputLine): Promise<void> {
    if (this.#state === 'closed') return;
    this.#busy = true;
    try {
      await this.#handleLine(line);
    } catch (err) {
      this.#log.error({ err: { message: (err as Error).message, stack: (err as Error).stack } }, 'pop3 command failed');
      if (!this.#ended()) this.#connection.send(Replies.internalError);
    } finally {
      this.#busy = false;
    }
    if (this.#shuttingDown && !this.#ended()) this.#goAway(Replies.shuttingDown);
  }

  closed(): void {
    const dropped = this.#state !== 'closed' && this.#state !== 'update';
    this.#state = 'closed';
    this.#releaseLock();
    if (dropped && this.#maildrop?.deletedCount) {
      this.#log.info({ user: this.#account?.id, marked: this.#maildrop.deletedCount }, 'pop3 connection ended without QUIT: nothing deleted');
    }
    this.#resolveClosed();
  }

  async #handleLine(line: InputLine): Promise<void> {
    this.#commands++;
    const { maxCommands, maxUnauthenticatedCommands } = this.#runtime.options;
    if (this.#commands > (this.#state === 'authorization' ? Math.min(maxUnauthenticatedCommands, maxCommands) : maxCommands)) {
      this.#log.warn({ commands: this.#commands, state: this.#state }, 'pop3 command limit reached');
      return this.#goAway(Replies.tooManyCommands);
    }
    if (line.tooLong) {
      this.#saslPending = false;
      return this.#error(Replies.lineTooLong);
    }
    // Before anything looks at the line: a NUL never reaches a login name or the account directory.
    const text = line.bytes.toString('utf8');
    if (CONTROL.test(text)) {
      this.#saslPending = false;
      return this.#error(Replies.badCharacters);
    }
    if (this.#saslPending) {
      this.#saslPending = false;
      return this.#saslResponse(text);
    }
    const space = text.indexOf(' ');
    const keyword = (space === -1 ? text : text.slice(0, space)).toUpperCase();
    const argument = space === -1 ? undefined : text.slice(space + 1);
    if (!KEYWORD.test(keyword)) return this.#error(Replies.unknownCommand);
    if (this.#state === 'authorization') {
      if (AUTHORIZATION_COMMANDS.has(keyword)) return this.#authorization(keyword, argument);
    } else if (TRANSACTION_COMMANDS.has(keyword)) {
      return this.#transaction(keyword, argument);
    }
    if (AUTHORIZATION_COMMANDS.has(keyword) || TRANSACTION_COMMANDS.has(keyword)) return this.#error(Replies.wrongState);
    return this.#error(Replies.unknownCommand);
  }

  // --- AUTHORIZATION ---------------------------------------------------------------------

  async #authorization(keyword: string, argument: string | undefined): Promise<void> {
    switch (keyword) {
      case 'CAPA':
        return this.#capa();
      case 'QUIT':
        return this.#goAway(Replies.bye(this.#runtime.hostname));
      case 'STLS':
        return this.#stls(argument);
      case 'USER':
        if (!argument) return this.#error(Replies.badSyntax);
        if (!this.#plaintextAllowed()) return this.#connection.send(Replies.plaintextRefused);
        this.#user = argument;
        return this.#connection.send(Replies.userAccepted);
      case 'PASS': {
        // RFC 1939 7: the password is the whole rest of the line, spaces included.
        if (argument === undefined) return this.#error(Replies.badSyntax);
        const user = this.#user;
        this.#user = undefined;
        if (user === undefined) return this.#error(Replies.userFirst);
        if (!this.#plaintextAllowed()) return this.#connection.send(Replies.plaintextRefused);
        return this.#login(user, argument, 'USER');
      }
      case 'AUTH':
        return this.#auth(argument);
      default:
        // APOP needs the shared secret the account directory does not hand out: not offered.
        return this.#error(Replies.unknownCommand);
    }
  }

  #capa(): void {
    const lines = ['TOP', 'UIDL', 'RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING'];
    if (this.#state === 'authorization') {
      if (this.#plaintextAllowed()) lines.push('USER', `SASL ${SASL_MECHANISMS.join(' ')}`);
      if (this.#stlsAvailable()) lines.push('STLS');
    }
    if (this.#runtime.gate.loginDelaySeconds > 0) lines.push(`LOGIN-DELAY ${this.#runtime.gate.loginDelaySeconds}`);
    this.#connection.sendLines(Replies.capabilities, lines);
  }

  #stls(argument: string | undefined): void {
    if (argument !== undefined) return this.#error(Replies.badSyntax);
    if (this.#connection.tls) return this.#error(Replies.alreadyTls);
    if (!this.#stlsAvailable()) return this.#error(Replies.tlsUnavailable);
    this.#connection.send(Replies.stls);
    // RFC 2595 4: whatever was said before TLS, USER included, is forgotten.
    this.#user = undefined;
    this.#connection.startTls(this.#runtime.secureContext);
  }

  #auth(argument: string | undefined): void | Promise<void> {
    if (argument === undefined) {
      // Not in RFC 5034, but widely sent by clients (RFC 1734's form): list the mechanisms.
      return this.#connection.sendLines(Replies.mechanisms, this.#plaintextAllowed() ? SASL_MECHANISMS : []);
    }
    const [mechanism, initial, extra] = argument.split(' ');
    if (!mechanism || extra !== undefined) return this.#error(Replies.badSyntax);
    if (!(SASL_MECHANISMS as readonly string[]).includes(mechanism.toUpperCase())) return this.#connection.send(Replies.noSuchMechanism);
    if (!this.#plaintextAllowed()) return this.#connection.send(Replies.plaintextRefused);
    if (initial === undefined) {
      // RFC 5034 4: an empty challenge; the response comes on the next line.
      this.#saslPending = true;
      return this.#connection.send(Replies.continueSasl);
    }
    // RFC 5034 4: "=" is an empty initial response, which PLAIN cannot use.
    return this.#plain(initial === '=' ? '' : initial);
  }

  #saslResponse(text: string): void | Promise<void> {
    if (text === '*') return this.#connection.send(Replies.saslCancelled);
    return this.#plain(text);
  }

  #plain(response: string): void | Promise<void> {
    const credentials = decodePlain(response);
    if (!credentials) return this.#connection.send(Replies.saslMalformed);
    return this.#login(credentials.login, credentials.password, 'PLAIN');
  }

  async #login(login: string, password: string, method: string): Promise<void> {
    const { gate, store, options } = this.#runtime;
    const ip = this.#connection.remoteAddress;
    const verdict = await gate.check(ip, login, password, method, this.#log);
    if (this.#connection.isClosed) return;
    if (!verdict.ok) return this.#connection.send(REFUSAL_REPLIES[verdict.refusal]);
    const account = verdict.account;
    const box = { user: account.id, mailbox: options.mailbox };
    let release: () => void;
    try {
      release = await store.lock(box, this.#owner);
    } catch (err) {
      if ((err as { code?: string }).code === 'INUSE') {
        this.#log.info({ user: account.id }, 'pop3 login refused: maildrop in use');
        return this.#connection.send(Replies.inUse);
      }
      throw err;
    }
    if (this.#connection.isClosed) return release();
    this.#release = release;
    try {
      await store.ensureAccount(account.id);
      this.#maildrop = await Maildrop.open(store, box);
    } catch (err) {
      this.#releaseLock();
      this.#log.error({ user: account.id, err: { message: (err as Error).message, code: (err as { code?: string }).code } }, 'pop3 maildrop cannot be opened');
      return this.#connection.send(Replies.maildropUnavailable);
    }
    if (this.#connection.isClosed) return this.#releaseLock();
    this.#account = account;
    gate.loggedIn(account.id);
    this.#readAhead = new ReadAhead(store, this.#maildrop);
    this.#state = 'transaction';
    this.#log.info({ user: account.id, method, tls: this.#connection.tls, messages: this.#maildrop.count, octets: this.#maildrop.octets }, 'pop3 login');
    this.#connection.send(Replies.maildrop(this.#maildrop.count, this.#maildrop.octets));
  }

  // --- TRANSACTION -----------------------------------------------------------------------

  async #transaction(keyword: string, argument: string | undefined): Promise<void> {
    const drop = this.#maildrop!;
    switch (keyword) {
      case 'CAPA':
        return this.#capa();
      case 'STAT':
        if (argument !== undefined) return this.#error(Replies.badSyntax);
        return this.#connection.send(Replies.stat(drop.count, drop.octets));
      case 'NOOP':
        if (argument !== undefined) return this.#error(Replies.badSyntax);
        return this.#connection.send(Replies.noop);
      case 'RSET':
        if (argument !== undefined) return this.#error(Replies.badSyntax);
        drop.reset();
        return this.#connection.send(Replies.maildrop(drop.count, drop.octets));
      case 'LIST':
      case 'UIDL':
        return this.#listing(keyword, argument);
      case 'RETR':
      case 'DELE': {
        const number = this.#number(argument);
        if (number === undefined) return this.#error(Replies.badSyntax);
        const message = drop.message(number);
        if (!message) return this.#connection.send(drop.isDeleted(number) ? Replies.alreadyDeleted(number) : Replies.noSuchMessage);
        if (keyword === 'DELE') {
          drop.delete(number);
          return this.#connection.send(Replies.deleted(number));
        }
        return this.#send(number, message);
      }
      case 'TOP': {
        const [first, second, extra] = (argument ?? '').split(' ');
        const number = this.#number(first);
        if (number === undefined || second === undefined || !COUNT.test(second) || extra !== undefined) return this.#error(Replies.badSyntax);
        const message = drop.message(number);
        if (!message) return this.#connection.send(drop.isDeleted(number) ? Replies.alreadyDeleted(number) : Replies.noSuchMessage);
        return this.#send(number, message, Number(second));
      }
      case 'QUIT':
        if (argument !== undefined) return this.#error(Replies.badSyntax);
        return this.#update();
    }
  }

  #listing(keyword: 'LIST' | 'UIDL', argument: string | undefined): void {
    const drop = this.#maildrop!;
    const line = (number: number, size: number, id: string, multi: boolean) =>
      keyword === 'LIST'
        ? multi
          ? Replies.scanLineMultiline(number, size)
          : Replies.scanLine(number, size)
        : multi
          ? Replies.uidlLineMultiline(number, id)
          : Replies.uidlLine(number, id);
    if (argument !== undefined) {
      const number = this.#number(argument);
      if (number === undefined) return this.#error(Replies.badSyntax);
      const message = drop.message(number);
      if (!message) return this.#connection.send(drop.isDeleted(number) ? Replies.alreadyDeleted(number) : Replies.noSuchMessage);
      return this.#connection.send(line(number, message.size, message.id, false));
    }
    const lines = function* () {
      for (const [number, message] of drop.entries()) yield line(number, message.size, message.id, true);
    };
    this.#connection.sendLines(keyword === 'LIST' ? Replies.scanListing(drop.count, drop.octets) : Replies.uidlListing, lines());
  }

  async #send(number: number, message: MessageMeta, topLines?: number): Promise<void> {
    const ahead = topLines === undefined && message.size <= RETR_CHUNK ? this.#readAhead?.take(message.uid) : undefined;
    const { result, error } = await transmit(this.#connection, this.#runtime.store, this.#maildrop!.box, message, topLines, ahead);
    if (error) this.#log.warn({ user: this.#account?.id, number, uid: message.uid, result, err: { message: error.message, code: (error as { code?: string }).code } }, 'pop3 message cannot be read');
    if (result === 'sent' && topLines === undefined) {
      this.#retrieved++;
      this.#readAhead?.after(number);
    }
  }

  /** QUIT in TRANSACTION: the UPDATE state (RFC 1939 6). */
  async #update(): Promise<void> {
    this.#state = 'update';
    const drop = this.#maildrop!;
    let reply: string;
    try {
      const { requested, removed } = await drop.commit();
      this.#log.info({ user: this.#account?.id, retrieved: this.#retrieved, deleted: removed, requested }, 'pop3 session ended');
      reply = requested ? Replies.byeDeleted(requested) : Replies.bye(this.#runtime.hostname);
    } catch (err) {
      this.#log.error({ user: this.#account?.id, err: { message: (err as Error).message, code: (err as { code?: string }).code } }, 'pop3 update failed');
      reply = Replies.updateFailed;
    }
    // The lock goes before the connection: a client that reconnects at once finds it free.
    this.#releaseLock();
    this.#goAway(reply);
  }

  // --- helpers ---------------------------------------------------------------------------

  #number(argument: string | undefined): number | undefined {
    return argument !== undefined && NUMBER.test(argument) ? Number(argument) : undefined;
  }

  /** Passwords only over TLS, or in clear from this machine where the listener allows it. */
  #plaintextAllowed(): boolean {
    return this.#connection.tls || (this.#runtime.listener.allowInsecureAuth && isLoopback(this.#connection.remoteAddress));
  }

  #stlsAvailable(): boolean {
    return this.#runtime.listener.tls === 'starttls' && !this.#connection.tls;
  }

  /** A protocol error: answered, counted, and the connection closed when there are too many. */
  #error(reply: string): void {
    this.#errors++;
    if (this.#errors >= this.#runtime.options.maxErrors) {
      this.#log.warn({ errors: this.#errors }, 'pop3 error limit reached');
      this.#connection.send(reply);
      return this.#goAway(Replies.tooManyErrors);
    }
    this.#connection.send(reply);
  }

  /** Last words, then the connection ends; the session reads nothing more. */
  #goAway(reply: string): void {
    if (this.#state === 'closed') return;
    if (this.#state !== 'update') this.#releaseLock();
    this.#state = 'closed';
    this.#connection.send(reply);
    this.#connection.end();
  }

  /** A method, not a field read: the state changes while a command awaits. */
  #ended(): boolean {
    return this.#state === 'closed';
  }

  #releaseLock(): void {
    this.#release?.();
    this.#release = undefined;
  }
}
