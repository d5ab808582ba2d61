import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';

const TERMINATOR = Buffer.from('\r\n.\r\n');

/**
 * A raw POP3 client for transcripts: it sends exactly the bytes a test gives and hands back
 * exactly the bytes the server sent, so malformed input and byte-exact output can be checked.
 */
export class Pop3Client {
  #socket: Socket;
  #buffer = Buffer.alloc(0);
  #waiters: (() => void)[] = [];
  #closed = false;
  readonly closed: Promise<void>;

  private constructor(socket: Socket) {
    this.#socket = socket;
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    this.#listen(socket);
  }

  static async connect(port: number, options: { tls?: boolean } = {}): Promise<{ client: Pop3Client; greeting: string }> {
    const socket = options.tls ? connectTls({ host: '127.0.0.1', port, rejectUnauthorized: false }) : connectTcp({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once(options.tls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    const client = new Pop3Client(socket);
    return { client, greeting: await client.line() };
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** The DER certificate the server presented, once TLS is up. */
  peerCertificate(): Buffer | undefined {
    return (this.#socket as TLSSocket).getPeerCertificate?.()?.raw;
  }

  get tls(): boolean {
    return (this.#socket as TLSSocket).encrypted === true;
  }

  #listen(socket: Socket): void {
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#wake();
    });
    socket.on('error', () => undefined);
    socket.once('close', () => {
      this.#closed = true;
      this.#wake();
    });
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter();
  }

  async #until<T>(take: () => T | undefined, what: string): Promise<T> {
    for (;;) {
      const value = take();
      if (value !== undefined) return value;
      if (this.#closed) throw new Error(`connection closed while waiting for ${what}; unread: ${JSON.stringify(this.#buffer.toString('latin1'))}`);
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** The next line the server sends, without CRLF. */
  line(): Promise<string> {
    return this.#until(() => {
      const end = this.#buffer.indexOf('\r\n');
      if (end === -1) return undefined;
      const line = this.#buffer.subarray(0, end).toString('latin1');
      this.#buffer = this.#buffer.subarray(end + 2);
      return line;
    }, 'a line');
  }

  /** The body of a multi-line response, still dot-stuffed, without the terminating ".\r\n". */
  body(): Promise<Buffer> {
    return this.#until(() => {
      if (this.#buffer.subarray(0, 3).equals(Buffer.from('.\r\n'))) {
        this.#buffer = this.#buffer.subarray(3);
        return Buffer.alloc(0);
      }
      const end = this.#buffer.indexOf(TERMINATOR);
      if (end === -1) return undefined;
      const body = this.#buffer.subarray(0, end + 2);
      this.#buffer = this.#buffer.subarray(end + TERMINATOR.length);
      return Buffer.from(body);
    }, 'the end of a multi-line response');
  }

  /** Everything until the server closes the connection. */
  async rest(): Promise<string> {
    await this.#until(() => (this.#closed ? true : undefined), 'the end of the connection').catch(() => undefined);
    await this.closed;
    const text = this.#buffer.toString('latin1');
    this.#buffer = Buffer.alloc(0);
    return text;
  }

  write(data: string | Buffer): void {
    this.#socket.write(data);
  }

  /** Sends a command line and returns the status line. */
  async command(line: string | Buffer): Promise<string> {
    this.write(typeof line === 'string' ? `${line}\r\n` : Buffer.concat([line, Buffer.from('\r\n')]));
    return this.line();
  }

  /** Sends a command with a multi-line answer; the body comes only with +OK. */
  async multiline(line: string): Promise<{ status: string; body?: Buffer }> {
    const status = await this.command(line);
    if (!status.startsWith('+OK')) return { status };
    return { status, body: await this.body() };
  }

  /** Lines of a multi-line body (after un-stuffing), for listings. */
  static lines(body: Buffer): string[] {
    return body
      .toString('latin1')
      .split('\r\n')
      .slice(0, -1)
      .map((line) => (line.startsWith('.') ? line.slice(1) : line));
  }

  /** STLS: the command, then the handshake on the same connection. */
  async startTls(): Promise<string> {
    const status = await this.command('STLS');
    if (status.startsWith('+OK')) await this.handshake();
    return status;
  }

  /** The client side of the TLS handshake on this connection (after STLS's +OK was read). */
  async handshake(): Promise<void> {
    const plain = this.#socket;
    plain.removeAllListeners('data');
    const secure = connectTls({ socket: plain, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    this.#socket = secure;
    this.#listen(secure);
  }

  /** Logs in with USER/PASS; returns PASS's status line. */
  async login(user: string, password: string): Promise<string> {
    const status = await this.command(`USER ${user}`);
    if (!status.startsWith('+OK')) return status;
    return this.command(`PASS ${password}`);
  }

  /** Drops the connection without QUIT. */
  async drop(): Promise<void> {
    this.#socket.destroy();
    await this.closed;
  }

  async quit(): Promise<string> {
    const status = await this.command('QUIT');
    await this.closed;
    return status;
  }
}

/** Undoes dot-stuffing of a multi-line body: what the message held. */
export function unstuff(body: Buffer): Buffer {
  const text = body.toString('latin1');
  return Buffer.from(text.replace(/^\./, '').replace(/\r\n\./g, '\r\n'), 'latin1');
}
