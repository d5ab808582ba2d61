import { type AddressInfo, createServer as createNetServer, type Server, type Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { type Logger, newId } from '@posthorn/core';
import { listenerName, type ImapListenerOptions } from './options.ts';
import { ImapConnection } from './protocol/connection.ts';
import { Session, type SessionRuntime } from './session.ts';

/**
 * One IMAP port: plain with STARTTLS (143 style) or implicit TLS (993 style). Counts connections
 * in total and per client address, and stops gracefully: no new connections, idle sessions
 * told at once, busy ones given the grace period to finish their command.
 */
export class ImapListener {
  readonly name: string;
  readonly options: ImapListenerOptions;
  readonly #runtime: SessionRuntime;
  readonly #log: Logger;
  readonly #server: Server;
  readonly #sessions = new Set<Session>();
  readonly #perIp = new Map<string, number>();
  #closing = false;

  constructor(options: ImapListenerOptions, runtime: Omit<SessionRuntime, 'listener'>, tls: { key: Buffer; cert: Buffer }, log: Logger) {
    this.options = options;
    this.name = listenerName(options);
    this.#runtime = { ...runtime, listener: { name: this.name, tls: options.tls, allowInsecureAuth: options.allowInsecureAuth } };
    this.#log = log.child({ listener: this.name });
    if (options.tls === 'implicit') {
      const server = createTlsServer({ key: tls.key, cert: tls.cert, minVersion: 'TLSv1.2' }, (socket: TLSSocket) => this.#accept(socket, true));
      server.on('tlsClientError', (err: Error & { code?: string }, socket: Socket) => {
        this.#log.debug({ err: { message: err.message, code: err.code }, ip: socket.remoteAddress }, 'TLS handshake failed');
      });
      // Handshakes in progress are not sessions yet; the server's own cap keeps them bounded
      // (past it connections are dropped before TLS, where no -ERR could be read anyway).
      server.maxConnections = options.maxConnections;
      this.#server = server;
    } else {
      this.#server = createNetServer((socket) => this.#accept(socket, false));
    }
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
    const ip = socket.remoteAddress ?? '';
    socket.on('error', () => undefined);
    const fromIp = this.#perIp.get(ip) ?? 0;
    if (this.#closing || this.#sessions.size >= this.options.maxConnections || fromIp >= this.options.maxConnectionsPerIp) {
      this.#log.warn({ ip, connections: this.#sessions.size, fromIp, closing: this.#closing }, 'imap connection refused');
      socket.end(this.#closing ? '* BYE Server shutting down\r\n' : '* BYE [UNAVAILABLE] Too many connections\r\n');
      socket.destroySoon();
      return;
    }
    socket.setNoDelay(true);
    const id = newId();
    const log = this.#log.child({ cid: id, ip });
    const { options } = this.#runtime;
    const limits = {
      maxLineLength: options.maxLineLength,
      maxLiteral: options.maxLiteral,
      maxAppendLiteral: options.maxMessageSize,
      maxCommandSize: options.maxMessageSize + options.maxLineLength,
      idleTimeout: options.idleTimeout,
    };
    const connection = new ImapConnection(socket, limits, log, tls);
    const session = new Session(connection, this.#runtime, log, id);
    this.#sessions.add(session);
    this.#perIp.set(ip, fromIp + 1);
    void session.closed.then(() => {
      this.#sessions.delete(session);
      const left = (this.#perIp.get(ip) ?? 1) - 1;
      if (left > 0) this.#perIp.set(ip, left);
      else this.#perIp.delete(ip);
      log.debug('imap connection closed');
    });
    log.debug({ tls }, 'imap connection');
    session.run().catch((err: Error) => {
      log.error({ err: err.message, stack: err.stack }, 'imap session failed');
      connection.destroy();
    });
  }
}
