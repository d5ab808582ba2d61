import { connect, type Socket } from 'node:net';

const CRLF = Buffer.from('\r\n');
const END = Buffer.from('\r\n.\r\n');

/**
 * A lean POP3 client for load: one command at a time (as mail programs do), reading each
 * single-line reply or multi-line body to its end. It checks status lines, not content: the
 * tests check content; the bench only must not count a -ERR as work done.
 */
export class LoadClient {
  readonly #socket: Socket;
  #buffer: Buffer = Buffer.alloc(0);
  #wake: (() => void) | undefined;
  #error: Error | undefined;
  /** Bytes of multi-line bodies received, terminators included. */
  bodyBytes = 0;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
      this.#wake?.();
    });
    socket.on('error', (err) => {
      this.#error = err;
      this.#wake?.();
    });
    socket.on('close', () => {
      this.#error ??= new Error('connection closed');
      this.#wake?.();
    });
  }

  static connect(port: number): Promise<LoadClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port }, () => resolve(new LoadClient(socket)));
      socket.once('error', reject);
    });
  }

  async #wait(): Promise<void> {
    if (this.#error) throw this.#error;
    await new Promise<void>((resolve) => (this.#wake = resolve));
    this.#wake = undefined;
  }

  /** The next status line; throws unless it is +OK. */
  async ok(): Promise<string> {
    for (;;) {
      const end = this.#buffer.indexOf(CRLF);
      if (end !== -1) {
        const line = this.#buffer.subarray(0, end).toString('latin1');
        this.#buffer = this.#buffer.subarray(end + 2);
        if (!line.startsWith('+OK')) throw new Error(`server said: ${line}`);
        return line;
      }
      await this.#wait();
    }
  }

  /** A multi-line body up to its terminator (searched only in what arrived since the last look). */
  async body(): Promise<void> {
    let from = 0;
    for (;;) {
      // A body may be empty: the terminator then comes first, without the leading CRLF.
      if (this.#buffer.length >= 3 && this.#buffer[0] === 0x2e && this.#buffer[1] === 0x0d && this.#buffer[2] === 0x0a) {
        this.#buffer = this.#buffer.subarray(3);
        this.bodyBytes += 3;
        return;
      }
      const end = this.#buffer.indexOf(END, from);
      if (end !== -1) {
        this.bodyBytes += end + END.length;
        this.#buffer = this.#buffer.subarray(end + END.length);
        return;
      }
      from = Math.max(0, this.#buffer.length - END.length);
      await this.#wait();
    }
  }

  async command(line: string): Promise<string> {
    this.#socket.write(`${line}\r\n`);
    return this.ok();
  }

  async login(user: string, password: string): Promise<string> {
    await this.command(`USER ${user}`);
    return this.command(`PASS ${password}`);
  }

  async retr(number: number): Promise<void> {
    await this.command(`RETR ${number}`);
    await this.body();
  }

  /** QUIT, then waits for the server to close. */
  async quit(): Promise<void> {
    await this.command('QUIT');
    await new Promise<void>((resolve) => {
      if (this.#socket.destroyed) return resolve();
      this.#socket.once('close', () => resolve());
      this.#socket.end();
    });
  }
}

export interface LoadResult {
  /** Operations completed: messages retrieved, or logins. */
  readonly operations: number;
  readonly bytes: number;
  readonly seconds: number;
}

/**
 * `sessions` clients in parallel, each with its own account (the maildrop lock allows one
 * session per account), each running `rounds` sessions one after the other: connect, login,
 * RETR 1..`messages`, QUIT. With `messages` 0 a session is a bare login: the login rate.
 */
export async function runLoad(options: { port: number; users: readonly string[]; password: string; rounds: number; messages: number }): Promise<LoadResult> {
  const started = performance.now();
  const counts = await Promise.all(
    options.users.map(async (user) => {
      let operations = 0;
      let bytes = 0;
      for (let round = 0; round < options.rounds; round++) {
        const client = await LoadClient.connect(options.port);
        await client.ok();
        await client.login(user, options.password);
        for (let n = 1; n <= options.messages; n++) await client.retr(n);
        await client.quit();
        operations += options.messages || 1;
        bytes += client.bodyBytes;
      }
      return { operations, bytes };
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { operations: counts.reduce((sum, c) => sum + c.operations, 0), bytes: counts.reduce((sum, c) => sum + c.bytes, 0), seconds };
}
