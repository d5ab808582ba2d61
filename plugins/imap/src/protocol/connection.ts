import type { Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import { type Logger, socketDrained, upgradeToTls } from '@posthorn/core';
import { literalHeader, type RawCommand } from './parser.ts';

const LF = 0x0a;
const CR = 0x0d;

export interface ConnectionLimits {
  /** Longest line of a command (the text between literals), CRLF included. */
  readonly maxLineLength: number;
  /** Largest literal in a command other than APPEND. */
  readonly maxLiteral: number;
  /** Largest literal APPEND takes (the largest message). */
  readonly maxAppendLiteral: number;
  /** All lines and literals of one command together (a MULTIAPPEND may hold several messages). */
  readonly maxCommandSize: number;
  readonly idleTimeout: number;
}

/** What the connection hands the session: a command, or why it could not frame one. */
export type Input =
  | { readonly type: 'command'; readonly command: RawCommand }
  /** The line was over the limit and has been thrown away; `tag` if it could be read. */
  | { readonly type: 'too-long'; readonly tag?: string }
  /** A synchronising literal over the limit: refused before the client sent it. */
  | { readonly type: 'literal-too-big'; readonly tag?: string; readonly size: number; readonly append: boolean }
  | { readonly type: 'closed' };

/**
 * The socket side of an IMAP session. Input is pulled: the session asks for the next command
 * when it is ready for it, and only then is a synchronising literal invited with a `+`, so a
 * client pipelining commands is answered in order and its input waits in the kernel, not in
 * memory (the socket is paused whenever a complete command is buffered).
 */
export class ImapConnection {
  readonly remoteAddress: string;
  readonly #limits: ConnectionLimits;
  readonly #log: Logger;
  #socket: Socket;
  #buffer: Buffer = Buffer.alloc(0);
  #wake: (() => void) | undefined;
  #closed = false;
  #tls: boolean;
  #timer: NodeJS.Timeout | undefined;
  #idleTimeout: number;
  #onClosed: (() => void) | undefined;
  /** The first bytes of the over-long line last thrown away, so its BAD can carry its tag. */
  #discardedStart: Buffer | undefined;
  readonly #onData = (chunk: Buffer) => {
    this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
    // Enough held to make progress: the rest waits in the kernel until this is consumed.
    if (this.#buffer.length > this.#limits.maxLineLength) this.#socket.pause();
    this.#wakeUp();
  };
  readonly #onError = (err: Error & { code?: string }) => {
    this.#log.debug({ err: { message: err.message, code: err.code } }, 'connection error');
  };
  readonly #onClose = () => this.#close();

  constructor(socket: Socket, limits: ConnectionLimits, log: Logger, tls: boolean) {
    this.#socket = socket;
    this.#limits = limits;
    this.#log = log;
    this.#tls = tls;
    this.#idleTimeout = limits.idleTimeout;
    this.remoteAddress = socket.remoteAddress ?? '';
    this.#attach(socket);
    this.touch();
  }

  get tls(): boolean {
    return this.#tls;
  }

  get closed(): boolean {
    return this.#closed;
  }

  onClose(listener: () => void): void {
    this.#onClosed = listener;
  }

  /** Writes response buffers in one batch. */
  write(buffers: readonly Buffer[]): void {
    if (this.#closed || buffers.length === 0) return;
    if (buffers.length === 1) {
      this.#socket.write(buffers[0]!);
      return;
    }
    this.#socket.cork();
    for (const buffer of buffers) this.#socket.write(buffer);
    this.#socket.uncork();
  }

  writeLine(line: string): void {
    if (!this.#closed) this.#socket.write(`${line}\r\n`);
  }

  /** Resolves once the client has taken what was written (or the connection is gone). */
  async drained(): Promise<void> {
    if (this.#closed || !this.#socket.writableNeedDrain) return;
    await socketDrained(this.#socket);
    this.touch();
  }

  /** Restarts the autologout timer; `timeout` changes it (IDLE may run longer). */
  touch(timeout?: number): void {
    if (this.#closed) return;
    if (timeout !== undefined) this.#idleTimeout = timeout;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#log.info({ idleTimeout: this.#idleTimeout }, 'imap session timed out');
      this.writeLine('* BYE Autologout; idle for too long');
      this.end();
    }, this.#idleTimeout);
  }

  /** The next line (for AUTHENTICATE responses and IDLE's DONE), without CRLF. */
  async readLine(): Promise<Buffer | undefined> {
    for (;;) {
      if (this.#closed) return undefined;
      const lf = this.#buffer.indexOf(LF);
      if (lf !== -1) {
        const line = this.#take(lf);
        this.touch();
        return line.length > this.#limits.maxLineLength ? Buffer.alloc(0) : line;
      }
      if (this.#buffer.length > this.#limits.maxLineLength) {
        this.#buffer = Buffer.alloc(0);
        return Buffer.alloc(0);
      }
      await this.#more();
    }
  }

  /** The next command with all its literals. */
  async readCommand(): Promise<Input> {
    const lines: Buffer[] = [];
    const literals: Buffer[] = [];
    const binary: boolean[] = [];
    let total = 0;
    let append: boolean | undefined;
    for (;;) {
      const line = await this.#nextLine();
      if (line === undefined) return { type: 'closed' };
      if (line === 'too-long') return { type: 'too-long', tag: tagOf(lines[0] ?? this.#discardedStart) };
      lines.push(line);
      total += line.length + 2;
      const literal = literalHeader(line);
      if (!literal) {
        this.touch();
        return { type: 'command', command: { lines, literals, binary } };
      }
      append ??= isAppend(lines[0]!);
      const limit = append ? this.#limits.maxAppendLiteral : this.#limits.maxLiteral;
      if (literal.size > limit || total + literal.size > this.#limits.maxCommandSize) {
        const tag = tagOf(lines[0]);
        if (literal.sync) return { type: 'literal-too-big', tag, size: literal.size, append };
        // The client is sending it regardless (LITERAL+): there is no way to stay in step.
        this.#log.warn({ size: literal.size, tag }, 'non-synchronising literal over the limit');
        this.writeLine('* BYE [TOOBIG] Literal too big');
        this.end();
        return { type: 'closed' };
      }
      if (literal.sync) this.writeLine('+ Ready for literal data');
      const bytes = await this.#readBytes(literal.size);
      if (bytes === undefined) return { type: 'closed' };
      literals.push(bytes);
      binary.push(literal.binary);
      total += literal.size;
    }
  }

  /**
   * STARTTLS: call after the OK has been written. Whatever the client sent in clear after the
   * command is discarded (RFC 9051 6.2.1: no plaintext command injection).
   */
  startTls(secureContext: SecureContext): void {
    const plain = this.#socket;
    plain.off('data', this.#onData);
    plain.off('close', this.#onClose);
    this.#buffer = Buffer.alloc(0);
    const secure = upgradeToTls(plain, secureContext, this.#onClose, () => {
      this.#tls = true;
      this.touch();
    });
    this.#socket = secure;
    this.#attach(secure);
  }

  /** Ends the connection once what was written has been sent. */
  end(): void {
    if (this.#closed) return;
    this.#socket.end();
    this.#socket.destroySoon();
  }

  destroy(): void {
    this.#socket.destroy();
  }

  #attach(socket: Socket): void {
    socket.on('data', this.#onData);
    socket.on('error', this.#onError);
    socket.once('close', this.#onClose);
  }

  async #nextLine(): Promise<Buffer | 'too-long' | undefined> {
    let discarding = false;
    this.#discardedStart = undefined;
    for (;;) {
      if (this.#closed) return undefined;
      const lf = this.#buffer.indexOf(LF);
      if (lf !== -1) {
        if (!discarding && lf + 1 > this.#limits.maxLineLength) this.#discardedStart = Buffer.from(this.#buffer.subarray(0, 64));
        const line = this.#take(lf);
        if (discarding || lf + 1 > this.#limits.maxLineLength) return 'too-long';
        return line;
      }
      if (this.#buffer.length > this.#limits.maxLineLength) {
        // Nothing of an over-long line is kept but its start (for the tag of the BAD, which a
        // client waits for); it is answered once, at its end.
        if (!discarding) this.#discardedStart = Buffer.from(this.#buffer.subarray(0, 64));
        discarding = true;
        this.#buffer = Buffer.alloc(0);
      }
      await this.#more();
    }
  }

  async #readBytes(size: number): Promise<Buffer | undefined> {
    const parts: Buffer[] = [];
    let have = 0;
    while (have < size) {
      if (this.#closed) return undefined;
      if (this.#buffer.length === 0) {
        await this.#more();
        continue;
      }
      const part = this.#buffer.subarray(0, size - have);
      this.#buffer = this.#buffer.subarray(part.length);
      parts.push(part);
      have += part.length;
      this.touch();
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
  }

  /** Takes a line of `lf` bytes plus its LF from the buffer; strips a CR before the LF. */
  #take(lf: number): Buffer {
    const line = this.#buffer.subarray(0, lf && this.#buffer[lf - 1] === CR ? lf - 1 : lf);
    this.#buffer = this.#buffer.subarray(lf + 1);
    return line;
  }

  #more(): Promise<void> {
    this.#socket.resume();
    return new Promise((resolve) => {
      this.#wake = resolve;
    });
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#socket.destroy();
    this.#wakeUp();
    this.#onClosed?.();
  }
}

function tagOf(line: Buffer | undefined): string | undefined {
  if (!line) return undefined;
  const space = line.indexOf(0x20);
  const tag = line.toString('latin1', 0, space === -1 ? Math.min(line.length, 64) : Math.min(space, 64));
  return /^[\x21-\x7e]+$/.test(tag) && !/[(){%*"\\+]/.test(tag) ? tag : undefined;
}

function isAppend(line: Buffer): boolean {
  return /^\S+ APPEND /i.test(line.toString('latin1', 0, Math.min(line.length, 80)));
}
