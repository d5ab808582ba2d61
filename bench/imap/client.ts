import { connect, type Socket } from 'node:net';

const CR = 0x0d;
const LF = 0x0a;
const STAR = 0x2a;
const PLUS = 0x2b;
/** No byte from the server for this long and the command fails: a run is bounded in time. */
const IDLE_MS = 30_000;

/** What a command got back. */
export interface Reply {
  /** The tagged status line, tag and status included (`A3 OK [APPENDUID 1 201] ...`). */
  readonly status: string;
  /** Untagged responses that came before it (about other sessions' changes as well). */
  readonly untagged: number;
  /** Their text, literals left out, when the caller asked to keep them. */
  readonly lines: readonly string[];
}

/**
 * A lean IMAP client for load: one command at a time, as mail programs mostly do; it reads
 * responses line by line, steps over the literals in them (`{n}` then n bytes) without
 * copying them, and decodes a line to text only when it is the tagged status or the caller
 * asked for the untagged ones. It checks statuses, not content: the plugin's tests check
 * content; the bench must only not count a NO or BAD as work done.
 */
export class ImapClient {
  readonly #socket: Socket;
  #buffer: Buffer = Buffer.alloc(0);
  #wake: (() => void) | undefined;
  #error: Error | undefined;
  #tag = 0;
  /** Bytes received from the server. */
  bytes = 0;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.setTimeout(IDLE_MS, () => socket.destroy(new Error(`no answer from the server for ${IDLE_MS / 1000} s`)));
    socket.on('data', (chunk: Buffer) => {
      this.bytes += chunk.length;
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

  /** Connects to 127.0.0.1 and reads the greeting, which must be `* OK`. */
  static async connect(port: number): Promise<ImapClient> {
    const client = await new Promise<ImapClient>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port }, () => resolve(new ImapClient(socket)));
      socket.once('error', reject);
    });
    const greeting = await client.#response();
    if (!greeting.startsWith('* OK')) throw new Error(`greeting: ${greeting}`);
    return client;
  }

  async #wait(): Promise<void> {
    if (this.#error) throw this.#error;
    await new Promise<void>((resolve) => (this.#wake = resolve));
    this.#wake = undefined;
  }

  /**
   * One whole response: its lines joined, each literal's bytes skipped (a line that ends in
   * `{n}` goes on after n bytes). Only decoded when `decode` says so, else ''.
   */
  async #response(decode: (first: number) => boolean = () => true): Promise<string> {
    let text = '';
    let first = -1;
    let from = 0;
    for (;;) {
      const end = this.#buffer.indexOf(LF, from);
      if (end === -1) {
        from = this.#buffer.length;
        await this.#wait();
        continue;
      }
      if (first === -1) first = this.#buffer[0]!;
      const lineEnd = end > 0 && this.#buffer[end - 1] === CR ? end - 1 : end;
      const literal = literalSize(this.#buffer, lineEnd);
      const keep = decode(first);
      if (keep) text += this.#buffer.toString('latin1', 0, lineEnd);
      this.#buffer = this.#buffer.subarray(end + 1);
      from = 0;
      if (literal < 0) return text;
      while (this.#buffer.length < literal) await this.#wait();
      this.#buffer = this.#buffer.subarray(literal);
    }
  }

  /**
   * Sends a command (a line, or parts with Buffers sent as non-synchronising literals, LITERAL+)
   * and reads to its tagged status; throws unless that is OK.
   */
  async command(parts: string | readonly (string | Buffer)[], keep = false): Promise<Reply> {
    const tag = `A${++this.#tag}`;
    const chunks: (string | Buffer)[] = [`${tag} `];
    for (const part of typeof parts === 'string' ? [parts] : parts) {
      if (typeof part === 'string') chunks.push(part);
      else chunks.push(`{${part.length}+}\r\n`, part);
    }
    chunks.push('\r\n');
    this.#socket.write(Buffer.concat(chunks.map((chunk) => (typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk))));
    const lines: string[] = [];
    let untagged = 0;
    for (;;) {
      const line = await this.#response((first) => keep || (first !== STAR && first !== PLUS));
      const first = this.#lastFirst(line, keep);
      if (first === 'untagged') {
        untagged++;
        if (keep) lines.push(line);
        continue;
      }
      if (first === 'continuation') continue;
      if (!line.startsWith(`${tag} `)) throw new Error(`unexpected line for ${tag}: ${line.slice(0, 200)}`);
      if (!line.startsWith(`${tag} OK`)) throw new Error(`server said: ${line.slice(0, 200)}`);
      return { status: line, untagged, lines };
    }
  }

  /** Untagged lines are decoded only when kept, so an empty text means untagged then. */
  #lastFirst(line: string, keep: boolean): 'untagged' | 'continuation' | 'tagged' {
    if (!keep && line === '') return 'untagged';
    if (line.startsWith('* ')) return 'untagged';
    if (line.startsWith('+')) return 'continuation';
    return 'tagged';
  }

  login(user: string, password: string): Promise<Reply> {
    return this.command(`LOGIN ${quoted(user)} ${quoted(password)}`);
  }

  /** APPEND with a non-synchronising literal; returns the new UID from APPENDUID (UIDPLUS). */
  async append(mailbox: string, message: Buffer, flags = ''): Promise<number> {
    const reply = await this.command([`APPEND ${quoted(mailbox)} ${flags ? `(${flags}) ` : ''}`, message]);
    const match = /\[APPENDUID \d+ (\d+)\]/i.exec(reply.status);
    if (!match) throw new Error(`no APPENDUID in: ${reply.status}`);
    return Number(match[1]);
  }

  /** LOGOUT, then waits for the server to close. */
  async logout(): Promise<void> {
    await this.command('LOGOUT');
    await new Promise<void>((resolve) => {
      if (this.#socket.destroyed) return resolve();
      this.#socket.once('close', () => resolve());
      this.#socket.end();
    });
  }

  /** Drops the connection (after a failure). */
  destroy(): void {
    this.#socket.destroy();
  }
}

/** `n` if the line (up to `end`, CRLF excluded) ends in a literal announcement `{n}`, else -1. */
function literalSize(buffer: Buffer, end: number): number {
  if (end < 3 || buffer[end - 1] !== 0x7d) return -1;
  let i = end - 2;
  let size = 0;
  let scale = 1;
  while (i >= 0 && buffer[i]! >= 0x30 && buffer[i]! <= 0x39) {
    size += (buffer[i]! - 0x30) * scale;
    scale *= 10;
    i--;
  }
  return i >= 0 && i < end - 2 && buffer[i] === 0x7b ? size : -1;
}

/** A quoted string (the bench's users, passwords and mailbox names have no `"` or `\`). */
function quoted(text: string): string {
  return `"${text}"`;
}
