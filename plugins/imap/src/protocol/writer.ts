import type { ImapValue } from './values.ts';

/** Quoted strings longer than this go out as literals: cheaper to scan, and no client chokes. */
const MAX_QUOTED = 1024;

/**
 * Serialises response data into buffers: text is collected into one string and flushed when a
 * literal's bytes have to go out, so a FETCH response is a handful of buffers, not hundreds.
 * One builder may also collect many responses (`end` after each, `take` per batch): the text
 * between literals then becomes one buffer for all of them, not one per response.
 */
export class ResponseBuilder {
  #chunks: Buffer[] = [];
  /** Bytes in #chunks. */
  #bytes = 0;
  #text = '';

  text(value: string): this {
    this.#text += value;
    return this;
  }

  value(value: ImapValue): this {
    if (value === null) this.#text += 'NIL';
    else if (typeof value === 'number' || typeof value === 'bigint') this.#text += String(value);
    else if (typeof value === 'string') this.#string(value);
    else if (Buffer.isBuffer(value)) this.#literal(value, false);
    else if ('atom' in value) this.#text += value.atom;
    else if ('literal8' in value) this.#literal(value.literal8, true);
    else this.list(value);
    return this;
  }

  /**
   * Values inside parentheses. A list that opens with lists writes them without spaces
   * between (RFC 9051 9: `1*body SP media-subtype`, `"(" 1*address ")"`), as Dovecot does;
   * strict parsers read a space there as the end of the multipart's bodies.
   */
  list(values: readonly ImapValue[]): this {
    this.#text += '(';
    let leadingLists = true;
    values.forEach((item, i) => {
      const isList = Array.isArray(item);
      if (i > 0 && !(leadingLists && isList)) this.#text += ' ';
      if (!isList) leadingLists = false;
      this.value(item);
    });
    this.#text += ')';
    return this;
  }

  /** Values separated by spaces, without parentheses. */
  values(values: readonly ImapValue[]): this {
    values.forEach((item, i) => {
      if (i > 0) this.#text += ' ';
      this.value(item);
    });
    return this;
  }

  /** The response so far, CRLF appended. */
  finish(): Buffer[] {
    return this.end().take();
  }

  /** Ends a response line (CRLF); the next text starts the next response. */
  end(): this {
    this.#text += '\r\n';
    return this;
  }

  /** About how many bytes are collected (text counted in UTF-16 units, exact for ASCII). */
  get size(): number {
    return this.#bytes + this.#text.length;
  }

  /** Everything collected so far; the builder starts over empty. */
  take(): Buffer[] {
    this.#flush();
    const chunks = this.#chunks;
    this.#chunks = [];
    this.#bytes = 0;
    return chunks;
  }

  #string(value: string): void {
    if (value.length <= MAX_QUOTED && canQuote(value)) {
      this.#text += `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
    } else {
      this.#literal(Buffer.from(value, 'utf8'), false);
    }
  }

  #literal(bytes: Buffer, binary: boolean): void {
    this.#text += `${binary ? '~' : ''}{${bytes.length}}\r\n`;
    this.#flush();
    if (bytes.length) this.#push(bytes);
  }

  #flush(): void {
    if (this.#text) this.#push(Buffer.from(this.#text, 'utf8'));
    this.#text = '';
  }

  #push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
  }
}

/** A quoted string holds 7-bit text without CR, LF or NUL (8-bit text goes as a literal). */
function canQuote(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code === 0 || code === 0x0a || code === 0x0d || code > 0x7e) return false;
  }
  return true;
}

/** One complete response line (untagged, tagged or continuation) from text and values. */
export function response(prefix: string, values: readonly ImapValue[] = []): Buffer[] {
  const builder = new ResponseBuilder().text(prefix);
  if (values.length) builder.text(' ').values(values);
  return builder.finish();
}
