import { type AddressInfo, createServer as createNetServer, type Server, type Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { newId } from '../ids.ts';
import type { Logger } from '../logger.ts';

/** What a listener needs of the sessions it runs. */
export interface ListenerSession {
  /** Resolves once the connection has ended and the session has let go of everything. */
  readonly closed: Promise<void>;
  /** The server stops: say goodbye now if idle, after the running command if busy. */
  shutdown(): void;
  /** Drops the connection at once (the grace period is over). */
  abort(): void;
}

export interface SessionListenerOptions {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** TLS from the first byte (993/995 style), or plain with an upgrade command. */
  readonly implicitTls: boolean;
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
  /** Names the protocol in log lines (`pop3`, `imap`). */
  readonly protocol: string;
  /** The line (CRLF added) sent to a connection refused for being one too many, or because the server stops. */
  readonly refusal: (closing: boolean) => string;
}

/** Starts a session on an accepted socket; `tls` is true on an implicit-TLS port. */
export type SessionFactory = (socket: Socket, tls: boolean, log: Logger, id: string) => ListenerSession;

/**
 * One port of a mail access protocol (POP3, IMAP): plain or implicit TLS; connections counted
 * in total and per client address; a graceful stop (no new connections, idle sessions told at
 * once, busy ones given a grace period to finish their command).
 */
export class SessionListener {
  readonly options: SessionListenerOptions;
  readonly #log: Logger;
  readonly #server: Server;
  readonly #start: SessionFactory;
  readonly #sessions = new Set<ListenerSession>();
  readonly #perIp = new Map<string, number>();
  #closing = false;

  constructor(options: SessionListenerOptions, tls: { key: Buffer; cert: Buffer }, log: Logger, start: SessionFactory) {
    this.options = options;
    this.#start = start;
    this.#log = log.child({ listener: options.name });
    if (options.implicitTls) {
      const server = createTlsServer({ key: tls.key, cert: tls.cert, minVersion: 'TLSv1.2' }, (socket: TLSSocket) => this.#accept(socket, true));
      server.on('tlsClientError', (err: Error & { code?: string }, socket: Socket) => {
        this.#log.debug({ err: { message: err.message, code: err.code }, ip: socket.remoteAddress }, 'TLS handshake failed');
      });
      // Handshakes in progress are not sessions yet; the server's own cap keeps them bounded
      // (past it connections are dropped before TLS, where no reply could be read anyway).
      server.maxConnections = options.maxConnections;
      this.#server = server;
    } else {
      this.#server = createNetServer((socket) => this.#accept(socket, false));
    }
  }

  get name(): string {
    return this.options.name;
  }

  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.options.port, this.options.host, () => {
        this.#server.off('error', reject);
        this.#server.on('error', (err) => this.#log.error({ err: err.message }, 'listener error'));
        resolve(this.#server.address() as AddressInfo);
      });
    });
  }

  get sessions(): number {
    return this.#sessions.size;
  }

  /** Stops accepting; sessions get `graceMs` to finish the command they are running. */
  async close(graceMs: number): Promise<void> {
    this.#closing = true;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    const sessions = [...this.#sessions];
    for (const session of sessions) session.shutdown();
    const allClosed = Promise.all(sessions.map((session) => session.closed));
    const timer = new AbortController();
    await Promise.race([allClosed, delay(graceMs, undefined, { signal: timer.signal }).catch(() => undefined)]);
    timer.abort();
    for (const session of this.#sessions) session.abort();
    await closed;
  }

  #accept(socket: Socket, tls: boolean): void {
    const { protocol } = this.options;
    const ip = socket.remoteAddress ?? '';
    socket.on('error', () => undefined);
    const fromIp = this.#perIp.get(ip) ?? 0;
    if (this.#closing || this.#sessions.size >= this.options.maxConnections || fromIp >= this.options.maxConnectionsPerIp) {
      this.#log.warn({ ip, connections: this.#sessions.size, fromIp, closing: this.#closing }, `${protocol} connection refused`);
      socket.end(`${this.options.refusal(this.#closing)}\r\n`);
      socket.destroySoon();
      return;
    }
    socket.setNoDelay(true);
    const id = newId();
    const log = this.#log.child({ cid: id, ip });
    const session = this.#start(socket, tls, log, id);
    this.#sessions.add(session);
    this.#perIp.set(ip, fromIp + 1);
    void session.closed.then(() => {
      this.#sessions.delete(session);
      const left = (this.#perIp.get(ip) ?? 1) - 1;
      if (left > 0) this.#perIp.set(ip, left);
      else this.#perIp.delete(ip);
      log.debug(`${protocol} connection closed`);
    });
    log.debug({ tls }, `${protocol} connection`);
  }
}
