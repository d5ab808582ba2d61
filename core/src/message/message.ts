import { HeaderField, HeaderList } from './headers.ts';

const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * A message as the data and queue steps see it. The bytes received are kept as they are;
 * headers are parsed only when a plugin asks for them, and fields added on top (trace
 * headers) cost a concatenation, not a re-serialisation.
 */
export interface MessageContent {
  /** Size in bytes of the message as it will be queued. */
  readonly size: number;
  /** Parsed header section; editing it changes what is queued. */
  readonly headers: HeaderList;
  /** False when the message has no empty line between header and body. */
  readonly hasBodySeparator: boolean;
  /** Adds a field above all others without parsing the header (trace fields). */
  prependField(name: string, value: string): void;
  /** The body, after the empty line. */
  body(): Buffer;
  /** The complete message as it will be queued. */
  toBuffer(): Buffer;
}

export class Message implements MessageContent {
  readonly #raw: Buffer;
  #headers: HeaderList | undefined;
  #headerEnd = -1;
  #separator = -1;
  // Fields, not strings: HeaderField.create checks name and value, so a value with a bare line
  // break is refused before the header is parsed just as it is after.
  #prepended: HeaderField[] = [];
  #prependedBytes = 0;

  constructor(raw: Buffer) {
    this.#raw = raw;
  }

  #locateHeader(): void {
    if (this.#headerEnd !== -1) return;
    const raw = this.#raw;
    if (raw.length >= 2 && raw[0] === 13 && raw[1] === 10) {
      // The message starts with the empty line: no header fields at all.
      this.#headerEnd = 0;
      this.#separator = 2;
      return;
    }
    const index = raw.indexOf(HEADER_END);
    if (index === -1) {
      this.#headerEnd = raw.length;
      this.#separator = raw.length;
      return;
    }
    // The header block keeps the CRLF of its last field; the separator is the empty line after it.
    this.#headerEnd = index;
    this.#separator = index + 4;
  }

  get hasBodySeparator(): boolean {
    this.#locateHeader();
    return this.#separator > this.#headerEnd;
  }

  get headers(): HeaderList {
    if (!this.#headers) {
      this.#locateHeader();
      const block = this.#raw.toString('latin1', 0, this.#headerEnd);
      this.#headers = new HeaderList([...this.#prepended, ...HeaderList.parse(block).fields]);
      this.#prepended = [];
      this.#prependedBytes = 0;
    }
    return this.#headers;
  }

  get size(): number {
    if (this.#headers) return this.toBuffer().length;
    return this.#raw.length + this.#prependedBytes;
  }

  prependField(name: string, value: string): void {
    if (this.#headers) {
      this.#headers.prepend(name, value);
      return;
    }
    const field = HeaderField.create(name, value);
    this.#prepended.unshift(field);
    this.#prependedBytes += Buffer.byteLength(field.raw, 'latin1') + 2;
  }

  body(): Buffer {
    this.#locateHeader();
    return this.#raw.subarray(this.#separator);
  }

  toBuffer(): Buffer {
    if (this.#headers) {
      this.#locateHeader();
      const separator = this.hasBodySeparator ? Buffer.from('\r\n') : Buffer.alloc(0);
      let head = this.#headers.toBuffer();
      // A header-only message whose last line had no CRLF must not gain one (byte-exact).
      const raw = this.#raw;
      if (!this.hasBodySeparator && raw.length > 0 && !(raw[raw.length - 2] === 13 && raw[raw.length - 1] === 10) && head.length >= 2) {
        head = head.subarray(0, head.length - 2);
      }
      // Without a separator the whole message was header; nothing follows it.
      return Buffer.concat([head, separator, this.hasBodySeparator ? this.body() : Buffer.alloc(0)]);
    }
    if (this.#prepended.length === 0) return this.#raw;
    return Buffer.concat([Buffer.from(this.#prepended.map((field) => `${field.raw}\r\n`).join(''), 'latin1'), this.#raw]);
  }
}
