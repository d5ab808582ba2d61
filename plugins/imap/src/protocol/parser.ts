import type { Arg } from './values.ts';

/**
 * A command as the connection framed it: the text of its lines (without CRLF) and the
 * literals between them. `lines[i]` ends where `literals[i]` begins, so there is always one
 * more line than literals.
 */
export interface RawCommand {
  readonly lines: readonly Buffer[];
  readonly literals: readonly Buffer[];
  /** Per literal: sent as literal8 (`~{n}`, RFC 3516). */
  readonly binary: readonly boolean[];
}

export interface ParsedCommand {
  readonly tag: string;
  /** Upper case; `UID FETCH` is `FETCH` with `uid` set. */
  readonly name: string;
  readonly uid: boolean;
  readonly args: readonly Arg[];
}

export class ParseError extends Error {
  /** The tag when it could be read, so the BAD can be tagged. */
  readonly tag: string | undefined;

  constructor(message: string, tag?: string) {
    super(message);
    this.tag = tag;
  }
}

const SP = 0x20;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN = 0x28;
const CLOSE = 0x29;
const BRACE = 0x7b;
const BRACKET_OPEN = 0x5b;
const BRACKET_CLOSE = 0x5d;
const TILDE = 0x7e;
/** Deeper lists than this are hostile: no command of RFC 9051 nests more than a few levels. */
const MAX_DEPTH = 16;
/** Arguments in one command; a SEARCH or a multi-pattern LIST stays well under it. */
const MAX_ARGS = 10_000;

/** The literal header at the end of a line, if any: `{12}`, `{12+}`, `~{12}`. */
export function literalHeader(line: Buffer): { size: number; sync: boolean; binary: boolean; length: number } | undefined {
  if (line.length < 3 || line[line.length - 1] !== 0x7d) return undefined;
  const open = line.lastIndexOf(BRACE);
  if (open === -1) return undefined;
  let inner = line.subarray(open + 1, line.length - 1).toString('latin1');
  const sync = !inner.endsWith('+') && !inner.endsWith('-');
  if (!sync) inner = inner.slice(0, -1);
  if (!/^\d{1,12}$/.test(inner)) return undefined;
  const binary = open > 0 && line[open - 1] === TILDE;
  return { size: Number(inner), sync, binary, length: line.length - open + (binary ? 1 : 0) };
}

function isTagChar(byte: number): boolean {
  // ASTRING-CHAR except "+": no CTL, SP, ( ) { % * " \ (and "]" is allowed).
  return byte > SP && byte < 0x7f && byte !== OPEN && byte !== CLOSE && byte !== BRACE && byte !== 0x25 && byte !== 0x2a && byte !== DQUOTE && byte !== BACKSLASH && byte !== 0x2b;
}

/** Tokenises one framed command into tag, name and arguments. */
export function parseCommand(raw: RawCommand): ParsedCommand {
  const cursor = new Cursor(raw);
  const tag = cursor.word(isTagChar);
  if (!tag) throw new ParseError('Missing or invalid tag');
  if (!cursor.space()) throw new ParseError('Missing command', tag);
  let name = cursor.word((byte) => (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || byte === 0x2e || (byte >= 0x30 && byte <= 0x39) || byte === 0x2d);
  if (!name) throw new ParseError('Missing or invalid command', tag);
  name = name.toUpperCase();
  let uid = false;
  if (name === 'UID') {
    if (!cursor.space()) throw new ParseError('UID needs a command', tag);
    const sub = cursor.word((byte) => (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a));
    if (!sub) throw new ParseError('UID needs a command', tag);
    name = sub.toUpperCase();
    uid = true;
  }
  try {
    const args = cursor.args();
    return { tag, name, uid, args };
  } catch (err) {
    throw new ParseError((err as Error).message, tag);
  }
}

class Cursor {
  readonly #raw: RawCommand;
  #line = 0;
  #pos = 0;
  #count = 0;

  constructor(raw: RawCommand) {
    this.#raw = raw;
  }

  get #text(): Buffer {
    return this.#raw.lines[this.#line]!;
  }

  word(accept: (byte: number) => boolean): string | undefined {
    const text = this.#text;
    const start = this.#pos;
    while (this.#pos < text.length && accept(text[this.#pos]!)) this.#pos++;
    return this.#pos > start ? text.toString('latin1', start, this.#pos) : undefined;
  }

  space(): boolean {
    if (this.#text[this.#pos] !== SP) return false;
    this.#pos++;
    return true;
  }

  /** Everything after the command name: SP-separated arguments to the end of the command. */
  args(): Arg[] {
    const args: Arg[] = [];
    if (this.#atEnd()) return args;
    if (!this.space()) throw new Error('Expected a space after the command');
    for (;;) {
      args.push(this.#arg(0));
      if (this.#atEnd()) return args;
      if (!this.space()) throw new Error(`Unexpected character at ${this.#pos}`);
      if (this.#atEnd()) throw new Error('Trailing space');
    }
  }

  #atEnd(): boolean {
    return this.#pos >= this.#text.length && this.#line === this.#raw.lines.length - 1;
  }

  #arg(depth: number): Arg {
    if (++this.#count > MAX_ARGS) throw new Error('Too many arguments');
    const text = this.#text;
    const byte = text[this.#pos];
    if (byte === undefined) throw new Error('Missing argument');
    if (byte === OPEN) return this.#list(depth);
    if (byte === DQUOTE) return this.#quoted();
    if (byte === BRACE || (byte === TILDE && text[this.#pos + 1] === BRACE)) return this.#literal();
    return this.#atom();
  }

  #list(depth: number): Arg {
    if (depth >= MAX_DEPTH) throw new Error('Lists nested too deeply');
    this.#pos++; // (
    const items: Arg[] = [];
    if (this.#text[this.#pos] === CLOSE) {
      this.#pos++;
      return { kind: 'list', items };
    }
    for (;;) {
      items.push(this.#arg(depth + 1));
      const next = this.#text[this.#pos];
      if (next === CLOSE) {
        this.#pos++;
        return { kind: 'list', items };
      }
      if (next !== SP) throw new Error(next === undefined ? 'Unterminated list' : 'Expected a space or ")" in a list');
      this.#pos++;
    }
  }

  #quoted(): Arg {
    const text = this.#text;
    this.#pos++; // "
    let start = this.#pos;
    const chunks: Buffer[] = [];
    for (;;) {
      const byte = text[this.#pos];
      if (byte === undefined) throw new Error('Unterminated quoted string');
      if (byte === DQUOTE) {
        chunks.push(text.subarray(start, this.#pos));
        this.#pos++;
        break;
      }
      if (byte === BACKSLASH) {
        const escaped = text[this.#pos + 1];
        if (escaped !== DQUOTE && escaped !== BACKSLASH) throw new Error('Invalid escape in a quoted string');
        chunks.push(text.subarray(start, this.#pos));
        chunks.push(Buffer.of(escaped));
        this.#pos += 2;
        start = this.#pos;
        continue;
      }
      if (byte === 0) throw new Error('NUL in a quoted string');
      this.#pos++;
    }
    return { kind: 'string', value: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), literal: false };
  }

  #literal(): Arg {
    const text = this.#text;
    const header = literalHeader(text);
    // A literal header is only valid as the last thing on its line.
    const start = text.length - (header?.length ?? 0);
    if (!header || start !== this.#pos) throw new Error('Invalid literal');
    const value = this.#raw.literals[this.#line];
    if (value === undefined) throw new Error('Missing literal');
    const binary = this.#raw.binary[this.#line] ?? false;
    this.#line++;
    this.#pos = 0;
    return binary ? { kind: 'string', value, literal: true, binary: true } : { kind: 'string', value, literal: true };
  }

  #atom(): Arg {
    const text = this.#text;
    const start = this.#pos;
    for (;;) {
      const byte = text[this.#pos];
      if (byte === undefined || byte === SP || byte === CLOSE || byte === OPEN) break;
      if (byte === BRACKET_OPEN) {
        // A fetch section: keep `[HEADER.FIELDS (A B)]` inside the atom, spaces and all.
        const close = text.indexOf(BRACKET_CLOSE, this.#pos);
        if (close === -1) throw new Error('Unterminated "["');
        for (let i = this.#pos; i < close; i++) if (text[i]! < SP || text[i] === 0x7f) throw new Error('Control character in an atom');
        this.#pos = close + 1;
        continue;
      }
      if (byte < SP || byte === 0x7f || byte === DQUOTE || byte === BRACE) throw new Error('Invalid character in an atom');
      this.#pos++;
    }
    if (this.#pos === start) throw new Error('Expected an argument');
    return { kind: 'atom', value: text.toString('utf8', start, this.#pos) };
  }
}
