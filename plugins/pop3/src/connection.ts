import type { Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import { type Logger, socketDrained, upgradeToTls } from '@posthorn/core';
import { type InputLine, LineReader } from './line-reader.ts';

/** What reads the lines: the POP3 session. */
export interface LineHandler {
  handle(line: InputLine): Promise<void>;
  /** The connection is gone, however it ended. Called once. */
  closed(): void;
}

export interface ConnectionOptions {
  readonly maxLineLength: number;
  readonly idleTimeout: number;
  readonly log: Logger;
}

/**
 * The socket side of a session: lines in, one at a time; responses out, with backpressure;
 * the autologout timer; the STLS upgrade. Commands are handled strictly in order: while one
 * runs, the socket is paused, so pipelined input waits in the kernel, not in memory, and a
 * client that does not read its responses stops being read from.
 */
export class Pop3Connection {
  readonly remoteAddress: string;
  readonly #options: ConnectionOptions;
  readonly #reader: LineReader;
  #socket: Socket;
  #handler: LineHandler | undefined;
  #tls: boolean;
  #busy = false;
  #closed = false;
  #timer: NodeJS.Timeout | undefined;
  readonly #onData = (chunk: Buffer) => {
    this.#reader.push(chunk);
    void this.#pump();
  };
  readonly #onError = (err: Error & { code?: string }) => {
    // Resets and TLS failures end one connection; they are routine.
    this.#options.log.debug({ err: { message: err.message, code: err.code } }, 'connection error');
  };
  readonly #onClose = () => this.#close();

  constructor(socket: Socket, options: ConnectionOptions, tls: boolean) {
    this.#socket = socket;
    this.#options = options;
    this.#tls = tls;
    this.remoteAddress = socket.remoteAddress ?? '';
    this.#reader = new LineReader(options.maxLineLength);
  }

  get tls(): boolean {
    return this.#tls;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** Starts reading; `greeting` goes out first. */
  start(handler: LineHandler, greeting: string): void {
    this.#handler = handler;
    this.#attach(this.#socket);
    this.#touch();
    this.send(greeting);
  }

  /** Sends one status line. */
  send(line: string): void {
    if (!this.#closed) this.#socket.write(`${line}\r\n`);
  }

  /** Sends a multi-line response: status line, lines (dot-stuffed here), terminating dot. */
  sendLines(status: string, lines: Iterable<string>): void {
    if (this.#closed) return;
    let text = `${status}\r\n`;
    for (const line of lines) text += line.startsWith('.') ? `.${line}\r\n` : `${line}\r\n`;
    this.#socket.write(`${text}.\r\n`);
  }

  /** Writes prepared bytes as one batch (one writev for the slices of a message). */
  write(buffers: readonly Buffer[]): void {
    if (this.#closed || buffers.length === 0) return;
    this.#socket.cork();
    for (const buffer of buffers) this.#socket.write(buffer);
    this.#socket.uncork();
  }

  /** Resolves once the client has taken what was written (or the connection is gone). */
  async drained(): Promise<void> {
    if (this.#closed || !this.#socket.writableNeedDrain) return;
    await socketDrained(this.#socket);
    // A client that keeps reading a long response is not idle.
    this.#touch();
  }

  /**
   * STLS (RFC 2595 4): call after the +OK has been queued. Whatever the client sent in clear
   * after the command is thrown away, so nothing injected before the handshake is obeyed.
   */
  startTls(secureContext: SecureContext): void {
    const plain = this.#socket;
    this.#detach(plain);
    this.#reader.clear();
    const secure = upgradeToTls(plain, secureContext, this.#onClose, () => {
      this.#tls = true;
      this.#touch();
    });
    this.#socket = secure;
    this.#attach(secure);
  }

  /** Ends the connection once what was written has been sent. */
  end(): void {
    if (this.#closed) return;
    this.#socket.destroySoon();
  }

  /** Drops the connection at once. */
  destroy(): void {
    this.#socket.destroy();
  }

  #attach(socket: Socket): void {
    socket.on('data', this.#onData);
    socket.on('error', this.#onError);
    socket.once('close', this.#onClose);
  }

  #detach(socket: Socket): void {
    socket.off('data', this.#onData);
    socket.off('close', this.#onClose);
    // The error listener stays: an error on the plain socket after the upgrade must not throw.
  }

  /** Hands complete lines to the handler, one at a time, until none is left. */
  async #pump(): Promise<void> {
    if (this.#busy || this.#closed) return;
    this.#busy = true;
    const socket = this.#socket;
    socket.pause();
    try {
      for (let line = this.#reader.next(); line && !this.#closed; line = this.#reader.next()) {
        this.#touch();
        await this.#handler!.handle(line);
        await this.drained();
      }
    } finally {
      this.#busy = false;
      // After STLS the new socket reads on its own; the plain one stays paused.
      if (!this.#closed && this.#socket === socket) socket.resume();
    }
  }

  /** The autologout timer (RFC 1939 3): restarted by every command and by every drained write. */
  #touch(): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      // No response and no UPDATE state: the session just ends, deleting nothing.
      this.#options.log.info({ idleTimeout: this.#options.idleTimeout }, 'pop3 session timed out');
      this.destroy();
    }, this.#options.idleTimeout);
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#socket.destroy();
    this.#handler?.closed();
  }
}
