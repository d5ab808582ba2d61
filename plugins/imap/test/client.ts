import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/** What the server answered to one command: every line up to and including the tagged one. */
export interface Reply {
  readonly lines: readonly string[];
  /** The tagged line, e.g. `a1 OK LOGIN completed`. */
  readonly tagged: string;
  /** The raw bytes of the whole reply (literals included). */
  readonly raw: Buffer;
}

/**
 * A raw IMAP client for protocol transcripts: sends exactly the bytes a test gives it and
 * returns the server's lines, so tests can check the wire format and send hostile input.
 */
export class RawImapClient {
  readonly socket: Socket;
  #buffer = Buffer.alloc(0);
  #waiters: (() => void)[] = [];
  #closed = false;
  #tag = 0;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#wake();
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#wake();
    });
    socket.on('error', () => undefined);
  }

  static async connect(port: number, options: { tls?: boolean } = {}): Promise<{ client: RawImapClient; greeting: string }> {
    const socket = options.tls
      ? tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false })
      : connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once(options.tls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    const client = new RawImapClient(socket);
    const greeting = await client.readLine();
    return { client, greeting: greeting ?? '' };
  }

  get closed(): boolean {
    return this.#closed;
  }

  nextTag(): string {
    return `t${++this.#tag}`;
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Sends `tag command` and reads to the tagged response. */
  async command(command: string, tag = this.nextTag()): Promise<Reply> {
    this.write(`${tag} ${command}\r\n`);
    return this.readUntilTagged(tag);
  }

  /** One line without CRLF, or undefined when the connection closed first. */
  async readLine(): Promise<string | undefined> {
    for (;;) {
      const lf = this.#buffer.indexOf(0x0a);
      if (lf !== -1) {
        const line = this.#buffer.subarray(0, lf).toString('latin1').replace(/\r$/, '');
        this.#buffer = this.#buffer.subarray(lf + 1);
        return line;
      }
      if (this.#closed) return undefined;
      await this.#more();
    }
  }

  /** Reads lines (and the literals they announce) up to the line starting with `tag `. */
  async readUntilTagged(tag: string): Promise<Reply> {
    const lines: string[] = [];
    const raw: Buffer[] = [];
    for (;;) {
      const line = await this.readLine();
      if (line === undefined) throw new Error(`connection closed before the tagged reply; got:\n${lines.join('\n')}`);
      raw.push(Buffer.from(`${line}\r\n`, 'latin1'));
      let full = line;
      // A line ending in {n} is followed by n bytes of literal and then the rest of the line.
      for (let match = /\{(\d+)\}$/.exec(full); match; match = /\{(\d+)\}$/.exec(full)) {
        const literal = await this.readBytes(Number(match[1]));
        const rest = (await this.readLine()) ?? '';
        raw.push(literal, Buffer.from(`${rest}\r\n`, 'latin1'));
        full += `\r\n${literal.toString('latin1')}${rest}`;
      }
      lines.push(full);
      if (full.startsWith(`${tag} `)) return { lines, tagged: full, raw: Buffer.concat(raw) };
    }
  }

  async readBytes(count: number): Promise<Buffer> {
    while (this.#buffer.length < count) {
      if (this.#closed) throw new Error('connection closed inside a literal');
      await this.#more();
    }
    const bytes = this.#buffer.subarray(0, count);
    this.#buffer = this.#buffer.subarray(count);
    return bytes;
  }

  /** Resolves when the server has closed the connection. */
  async closedByServer(): Promise<void> {
    while (!this.#closed) await this.#more();
  }

  async login(user: string, password: string): Promise<Reply> {
    return this.command(`LOGIN ${quote(user)} ${quote(password)}`);
  }

  close(): void {
    this.socket.destroy();
  }

  #more(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

export function quote(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** A client that has read the greeting and logged in (the LOGIN must succeed). */
export async function loggedInClient(port: number, user: string, password: string): Promise<RawImapClient> {
  const { client } = await RawImapClient.connect(port);
  const reply = await client.login(user, password);
  if (!/^\S+ OK/.test(reply.tagged)) throw new Error(`login failed: ${reply.tagged}`);
  return client;
}

/** Reads lines until one satisfies `match` (an untagged push during IDLE, say); returns it. */
export async function waitForLine(client: RawImapClient, match: (line: string) => boolean): Promise<string> {
  for (;;) {
    const line = await client.readLine();
    if (line === undefined) throw new Error('connection closed while waiting for a line');
    if (match(line)) return line;
  }
}

/** The untagged lines of a reply (everything but the tagged completion). */
export function untaggedLines(reply: Reply): string[] {
  return reply.lines.filter((line) => line.startsWith('* '));
}
