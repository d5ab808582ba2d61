import { isIP } from 'node:net';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { RouteAuth, TlsMode } from './options.ts';

/** One address of one mail host, and how to talk to it. */
export interface Endpoint {
  /** Host name: TLS server name (SNI), certificate check and logs. An IP for address literals. */
  readonly host: string;
  readonly ip: string;
  readonly port: number;
  readonly tls: TlsMode;
  readonly verify: boolean;
  readonly auth?: RouteAuth;
}

export interface ClientSettings {
  /** Name given in EHLO. */
  readonly heloName: string;
  /** Trusted CA certificates (PEM) when verifying; absent means Node's default store. */
  readonly ca?: readonly string[];
  readonly connectTimeoutMs: number;
  readonly greetingTimeoutMs: number;
  readonly socketTimeoutMs: number;
}

/** Why a connection could not be set up: no connection, TLS failed, or AUTH failed. */
export class SetupError extends Error {
  readonly stage: 'connect' | 'tls' | 'auth';
  /** The remote reply that ended the setup, if there was one. */
  readonly response: string | undefined;
  constructor(stage: 'connect' | 'tls' | 'auth', message: string, response?: string) {
    super(message);
    this.stage = stage;
    this.response = response;
  }
}

/** A transaction as the client sends it; ESMTP parameters are already formatted (`NOTIFY=...`). */
export interface OutgoingTransaction {
  readonly from: string;
  readonly mailParams: readonly string[];
  readonly recipients: readonly { readonly address: string; readonly params: readonly string[] }[];
  readonly size: number;
  readonly eightBit: boolean;
}

export interface SendError extends Error {
  readonly code?: string;
  /** The system or TLS error code nodemailer replaced with its own (ECONNREFUSED, ERR_TLS_...). */
  readonly originalCode?: string;
  readonly response?: string;
  readonly responseCode?: number;
  readonly command?: string;
}

/** How a transaction went: the replies to RCPT that refused, and the final reply or the error. */
export type SendResult =
  | { readonly ok: true; readonly response: string; readonly accepted: readonly string[]; readonly rejected: ReadonlyMap<string, string> }
  | { readonly ok: false; readonly error: SendError; readonly accepted: readonly string[]; readonly rejected: ReadonlyMap<string, string> };

/**
 * The parts of nodemailer's SMTPConnection that its public API does not offer. nodemailer
 * sends one set of DSN parameters for every RCPT, and SMTPUTF8 only for non-ASCII addresses;
 * RFC 3461 parameters are per recipient, so commands are completed on their way out. The
 * version is pinned in package.json and the test suite covers each use.
 */
interface Internals {
  _sendCommand(str: string, logStr?: string): void;
  _supportedExtensions: string[];
  _maxAllowedSize: number | false;
  _envelope: false | { accepted?: string[]; rejectedErrors?: { recipient?: string; response?: string }[] };
}

function internalsOf(connection: SMTPConnection): Internals {
  const internals = connection as unknown as Partial<Internals>;
  if (typeof internals._sendCommand !== 'function' || !Array.isArray(internals._supportedExtensions)) {
    throw new Error('nodemailer SMTPConnection internals are not as expected; check the pinned nodemailer version');
  }
  return internals as Internals;
}

/** RFC 3461 4: xtext, `+XX` for '+', '=', and anything outside printable ASCII. */
export function encodeXtext(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    out += byte < 33 || byte > 126 || byte === 0x2b || byte === 0x3d ? `+${byte.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(byte);
  }
  return out;
}

function hasKeyword(command: string, keyword: string): boolean {
  const key = keyword.split('=')[0]!.toUpperCase();
  return command
    .split(' ')
    .slice(1)
    .some((part) => part.split('=')[0]!.toUpperCase() === key);
}

/**
 * One SMTP connection to a remote server, on nodemailer's SMTPConnection, with promises.
 * Setup (TCP, greeting, EHLO, STARTTLS, AUTH) happens in `open`; then transactions, with RSET
 * between them when the connection is reused.
 */
export class RemoteClient {
  readonly endpoint: Endpoint;
  readonly #connection: SMTPConnection;
  readonly #internals: Internals;
  readonly #onClosed: (() => void)[] = [];
  #closed = false;
  #outgoing: OutgoingTransaction | undefined;
  /** Transactions started on this connection. */
  transactions = 0;

  private constructor(connection: SMTPConnection, endpoint: Endpoint) {
    this.endpoint = endpoint;
    this.#connection = connection;
    this.#internals = internalsOf(connection);
    const send = this.#internals._sendCommand;
    this.#internals._sendCommand = (str: string, logStr?: string) => send.call(connection, this.#complete(str), logStr);
    // An EventEmitter without an 'error' listener throws; errors reach callers through the
    // promise that is waiting, or are routine (a server dropping an idle connection).
    connection.on('error', () => undefined);
    connection.once('end', () => this.#markClosed());
  }

  /** Connects, greets, upgrades with STARTTLS as the endpoint says, and logs in if it has credentials. */
  static async open(endpoint: Endpoint, settings: ClientSettings): Promise<RemoteClient> {
    const servername = isIP(endpoint.host) ? undefined : endpoint.host;
    const connection = new SMTPConnection({
      host: endpoint.ip,
      port: endpoint.port,
      name: settings.heloName,
      lmtp: false,
      secure: endpoint.tls === 'implicit',
      ignoreTLS: endpoint.tls === 'none',
      requireTLS: endpoint.tls === 'required',
      opportunisticTLS: endpoint.tls === 'opportunistic',
      ...(servername ? { servername } : {}),
      tls: {
        // Node verifies by default; opportunistic TLS against an unknown certificate is still
        // better than plain text, so verification is what the configuration asks for.
        rejectUnauthorized: endpoint.verify,
        ...(servername ? { servername } : {}),
        ...(settings.ca ? { ca: [...settings.ca] } : {}),
      },
      connectionTimeout: settings.connectTimeoutMs,
      greetingTimeout: settings.greetingTimeoutMs,
      socketTimeout: settings.socketTimeoutMs,
      socketCloseTimeout: 2000,
      logger: false,
    });
    const client = new RemoteClient(connection, endpoint);
    try {
      await client.#call<void>((done) => connection.connect((err) => done(err ?? null)));
    } catch (err) {
      client.close();
      const failure = err as SendError;
      throw new SetupError(isTlsFailure(failure) ? 'tls' : 'connect', failure.message, failure.response);
    }
    if (endpoint.auth) {
      try {
        await client.#login(endpoint.auth);
      } catch (err) {
        client.close();
        throw err;
      }
    }
    return client;
  }

  async #login(auth: RouteAuth): Promise<void> {
    // Credentials go over TLS only, unless the route says `tls: none` in so many words.
    if (this.endpoint.tls !== 'none' && !this.#connection.secure) throw new SetupError('auth', 'TLS is not in use; credentials are sent over TLS only');
    if (!this.#connection.allowsAuth) throw new SetupError('auth', 'the server does not offer AUTH');
    try {
      await this.#call<boolean | undefined>((done) => this.#connection.login({ user: auth.user, pass: auth.pass }, (err, ok) => done(err, ok)));
    } catch (err) {
      const failure = err as SendError;
      throw new SetupError('auth', failure.message, failure.response);
    }
  }

  /** Whether the connection is encrypted. */
  get secure(): boolean {
    return this.#connection.secure;
  }

  /** ESMTP extensions the server announced (as nodemailer reads them: SIZE, 8BITMIME, SMTPUTF8, DSN, PIPELINING...). */
  get extensions(): ReadonlySet<string> {
    return new Set(this.#internals._supportedExtensions);
  }

  /** The server's SIZE limit, or undefined when it gave none. */
  get maxSize(): number | undefined {
    return this.#internals._maxAllowedSize || undefined;
  }

  get usable(): boolean {
    return !this.#closed && !this.#connection.destroyed;
  }

  /** Calls `fn` once the connection is closed (at once if it already is). */
  onClosed(fn: () => void): void {
    if (this.#closed) fn();
    else this.#onClosed.push(fn);
  }

  /** Runs one transaction; never rejects: failures come back as `ok: false`. */
  send(transaction: OutgoingTransaction, message: Buffer): Promise<SendResult> {
    this.transactions++;
    this.#outgoing = transaction;
    const envelope = { from: transaction.from, to: transaction.recipients.map((r) => r.address), size: transaction.size, use8BitMime: transaction.eightBit };
    return this.#call<{ response: string; accepted: string[]; rejectedErrors?: { recipient?: string; response?: string }[] }>((done) =>
      this.#connection.send(envelope, message, (err, info) => done(err, info as never)),
    ).then(
      (info) => ({ ok: true as const, response: info.response, accepted: info.accepted, rejected: rejectedMap(info.rejectedErrors) }),
      (error: SendError) => {
        const state = this.#internals._envelope || {};
        return { ok: false as const, error, accepted: state.accepted ?? [], rejected: rejectedMap(state.rejectedErrors) };
      },
    ).finally(() => {
      this.#outgoing = undefined;
    });
  }

  /** RSET: ends whatever the last transaction left, and shows the connection still works. */
  reset(): Promise<void> {
    return this.#call<void>((done) => this.#connection.reset((err) => done(err)));
  }

  /** QUIT and close; the connection counts as closed from now on. */
  quit(): void {
    if (this.#closed) return;
    const connection = this.#connection;
    this.#markClosed();
    try {
      connection.quit();
    } catch {
      connection.close();
    }
    // A server that never answers QUIT must not keep the socket for its idle timeout.
    setTimeout(() => connection.close(), 2000).unref();
  }

  close(): void {
    this.#markClosed();
    this.#connection.close();
  }

  #markClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const fn of this.#onClosed.splice(0)) fn();
  }

  /** Adds per-transaction parameters to MAIL FROM and each RCPT TO as they are sent. */
  #complete(command: string): string {
    const outgoing = this.#outgoing;
    if (!outgoing) return command;
    if (/^MAIL FROM:/i.test(command)) {
      const extra = outgoing.mailParams.filter((param) => !hasKeyword(command, param));
      return extra.length ? `${command} ${extra.join(' ')}` : command;
    }
    const rcpt = /^RCPT TO:<([^>]*)>/i.exec(command);
    if (rcpt) {
      const params = outgoing.recipients.find((r) => r.address === rcpt[1])?.params ?? [];
      const extra = params.filter((param) => !hasKeyword(command, param));
      return extra.length ? `${command} ${extra.join(' ')}` : command;
    }
    return command;
  }

  /**
   * Wraps a callback call as a promise that also settles when the connection fails or closes
   * first (nodemailer reports some failures only as 'error' or 'end' events).
   */
  #call<T>(start: (done: (err: Error | null | undefined, value?: T) => void) => void): Promise<T> {
    const connection = this.#connection;
    return new Promise<T>((resolveCall, rejectCall) => {
      let settled = false;
      const finish = (err: Error | null | undefined, value?: T): void => {
        if (settled) return;
        settled = true;
        connection.off('error', onError);
        connection.off('end', onEnd);
        if (err) rejectCall(err);
        else resolveCall(value as T);
      };
      const onError = (err: Error): void => finish(err);
      const onEnd = (): void => finish(Object.assign(new Error('Connection closed unexpectedly'), { code: 'ECONNECTION' }));
      connection.on('error', onError);
      connection.once('end', onEnd);
      start(finish);
    });
  }
}

/**
 * nodemailer reports a refused STARTTLS as ETLS, but a failed handshake or certificate check
 * as a socket error that keeps Node's code in `originalCode`.
 */
function isTlsFailure(err: SendError): boolean {
  if (err.code === 'ETLS') return true;
  const code = err.originalCode ?? '';
  return /^ERR_(TLS|SSL)_/.test(code) || /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(code);
}

function rejectedMap(errors: { recipient?: string; response?: string }[] | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const error of errors ?? []) if (error.recipient !== undefined && error.response) map.set(error.recipient, error.response);
  return map;
}
