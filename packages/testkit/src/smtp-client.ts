import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

export interface Reply {
  readonly code: number;
  /** Enhanced status code of the last line, or '' when there is none. */
  readonly enhanced: string;
  readonly lines: readonly string[];
  /** The whole reply as received, CRLF included. */
  readonly raw: string;
}

/**
 * A raw SMTP client for protocol tests: sends exactly the bytes it is given and reads replies
 * as they come, so tests can send malformed, pipelined or hostile input.
 */
export class SmtpClient {
  // Not readonly: startTls() swaps the plain socket for the TLS one wrapped around it.
  #socket: Socket;
  #buffer = '';
  #waiters: (() => void)[] = [];
  #closed = false;

  private constructor(socket: Socket) {
    this.#socket = socket;
    this.#attach(socket);
  }

  #attach(socket: Socket): void {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      this.#wake();
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#wake();
    });
    socket.on('error', () => undefined);
  }

  /** Connects and returns the client; the greeting is left to read with `reply()`. */
  static connect(port: number, options: { host?: string; tls?: boolean } = {}): Promise<SmtpClient> {
    const host = options.host ?? '127.0.0.1';
    return new Promise((resolveConnect, rejectConnect) => {
      const socket = options.tls
        ? tlsConnect({ host, port, rejectUnauthorized: false }, () => resolveConnect(new SmtpClient(socket)))
        : connect({ host, port }, () => resolveConnect(new SmtpClient(socket)));
      socket.once('error', rejectConnect);
    });
  }

  /** Connects and reads the greeting, which must be 220. */
  static async open(port: number, options: { host?: string; tls?: boolean } = {}): Promise<SmtpClient> {
    const client = await SmtpClient.connect(port, options);
    const greeting = await client.reply();
    if (greeting.code !== 220) throw new Error(`unexpected greeting: ${greeting.raw}`);
    return client;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** True once the connection is encrypted (implicit TLS or after startTls()). */
  get encrypted(): boolean {
    return Boolean((this.#socket as TLSSocket).encrypted);
  }

  /**
   * Sends STARTTLS and, on a 220, upgrades the connection (RFC 3207); returns the reply. The
   * server's certificate is not verified (tests use self-signed ones). As RFC 3207 5 requires,
   * nothing the server sent before the handshake survives it: unread bytes make this throw.
   */
  async startTls(options: { servername?: string } = {}): Promise<Reply> {
    const reply = await this.command('STARTTLS');
    if (reply.code !== 220) return reply;
    if (this.#buffer) throw new Error(`data after the STARTTLS reply: ${JSON.stringify(this.#buffer)}`);
    const plain = this.#socket;
    // The TLS socket reads the connection from now on; the plain socket's listeners must not
    // see its close or mistake ciphertext for replies.
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    const secure = await new Promise<TLSSocket>((resolveTls, rejectTls) => {
      const socket = tlsConnect({ socket: plain, rejectUnauthorized: false, ...(options.servername ? { servername: options.servername } : {}) }, () => resolveTls(socket));
      socket.once('error', rejectTls);
    });
    this.#socket = secure;
    this.#attach(secure);
    return reply;
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Writes bytes as they are. */
  write(data: string | Buffer): void {
    this.#socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Sends a command line (CRLF added) and reads its reply. */
  async command(line: string): Promise<Reply> {
    this.write(`${line}\r\n`);
    return this.reply();
  }

  /** Reads the next complete reply (all lines of a multi-line reply). */
  async reply(timeoutMs = 10_000): Promise<Reply> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = this.#take();
      if (parsed) return parsed;
      if (this.#closed) throw new Error(`connection closed; unread: ${JSON.stringify(this.#buffer)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${timeoutMs} ms; unread: ${JSON.stringify(this.#buffer)}`);
      await new Promise<void>((wake) => {
        const timer = setTimeout(wake, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          wake();
        });
      });
    }
  }

  #take(): Reply | undefined {
    let offset = 0;
    const lines: string[] = [];
    for (;;) {
      const end = this.#buffer.indexOf('\r\n', offset);
      if (end === -1) return undefined;
      const line = this.#buffer.slice(offset, end);
      offset = end + 2;
      lines.push(line);
      if (line.length < 4 || line[3] !== '-') {
        const raw = this.#buffer.slice(0, offset);
        this.#buffer = this.#buffer.slice(offset);
        const code = Number(line.slice(0, 3));
        const texts = lines.map((l) => l.slice(4));
        const enhanced = /^([245]\.\d{1,3}\.\d{1,3})\b/.exec(texts[texts.length - 1] ?? '')?.[1] ?? '';
        return { code, enhanced, lines: texts, raw };
      }
    }
  }

  /** Waits until the server closes the connection. */
  async waitClosed(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('connection still open');
      await new Promise<void>((wake) => {
        const timer = setTimeout(wake, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          wake();
        });
      });
    }
  }

  close(): void {
    this.#socket.destroy();
  }

  /** EHLO, MAIL, RCPT, DATA with the given message; returns the final reply. */
  async send(message: string | Buffer, envelope: { from: string; to: readonly string[]; helo?: string }): Promise<Reply> {
    const ehlo = await this.command(`EHLO ${envelope.helo ?? 'client.test'}`);
    if (ehlo.code !== 250) return ehlo;
    const mail = await this.command(`MAIL FROM:<${envelope.from}>`);
    if (mail.code !== 250) return mail;
    for (const to of envelope.to) {
      const rcpt = await this.command(`RCPT TO:<${to}>`);
      if (rcpt.code !== 250) return rcpt;
    }
    const data = await this.command('DATA');
    if (data.code !== 354) return data;
    const body = typeof message === 'string' ? Buffer.from(message, 'latin1') : message;
    this.write(Buffer.concat([dotStuff(body), Buffer.from('.\r\n')]));
    return this.reply();
  }
}

/** Dot-stuffs a CRLF message for DATA (RFC 5321 4.5.2) and makes sure it ends with CRLF. */
export function dotStuff(message: Buffer): Buffer {
  let text = message.toString('latin1');
  if (!text.endsWith('\r\n')) text += '\r\n';
  text = text.replace(/(^|\r\n)\./g, '$1..');
  return Buffer.from(text, 'latin1');
}
