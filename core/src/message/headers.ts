/**
 * The header section of an RFC 5322 message, kept byte-exact: each field remembers its raw
 * text (folding included), so an unchanged message serialises to the bytes it came from.
 * Text is held as latin1 ("binary") strings so 8-bit bytes survive the round trip; `get`
 * decodes values as UTF-8 for readers.
 */
export class HeaderField {
  /** Field name as written. */
  readonly name: string;
  /** The whole field without its final CRLF, folding included, latin1. */
  readonly raw: string;

  constructor(name: string, raw: string) {
    this.name = name;
    this.raw = raw;
  }

  /** Lower-case name, for comparisons. */
  get key(): string {
    return this.name.toLowerCase();
  }

  /** Unfolded value after the colon, leading white space removed, decoded as UTF-8. */
  get value(): string {
    const colon = this.raw.indexOf(':');
    const unfolded = this.raw.slice(colon + 1).replace(/\r\n(?=[ \t])/g, '').replace(/^[ \t]+/, '');
    return Buffer.from(unfolded, 'latin1').toString('utf8');
  }

  /** Builds a field from a name and a UTF-8 value; the caller folds long values. */
  static create(name: string, value: string): HeaderField {
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) throw new RangeError(`invalid header field name: ${name}`);
    if (/[\r\n]/.test(value.replace(/\r\n(?=[ \t])/g, ''))) throw new RangeError('bare line break in header value');
    return new HeaderField(name, `${name}: ${Buffer.from(value, 'utf8').toString('latin1')}`);
  }
}

export class HeaderList {
  #fields: HeaderField[];

  constructor(fields: HeaderField[] = []) {
    this.#fields = fields;
  }

  /** Parses a header block (latin1 string, CRLF line endings, without the blank line). */
  static parse(block: string): HeaderList {
    const fields: HeaderField[] = [];
    if (block.length === 0) return new HeaderList(fields);
    let start = 0;
    while (start < block.length) {
      let end = block.indexOf('\r\n', start);
      // A field runs on while the next line starts with white space (folding, RFC 5322 2.2.3).
      while (end !== -1 && (block[end + 2] === ' ' || block[end + 2] === '\t')) end = block.indexOf('\r\n', end + 2);
      if (end === -1) end = block.length;
      const raw = block.slice(start, end);
      const colon = raw.indexOf(':');
      // A line without a colon is malformed; it is kept (with an empty name) so nothing is lost.
      const name = colon > 0 && !/[ \t]/.test(raw.slice(0, colon).trimEnd()) ? raw.slice(0, colon).trimEnd() : '';
      fields.push(new HeaderField(name, raw));
      start = end + 2;
    }
    return new HeaderList(fields);
  }

  get fields(): readonly HeaderField[] {
    return this.#fields;
  }

  get size(): number {
    return this.#fields.length;
  }

  /** First value of the named field. */
  get(name: string): string | undefined {
    const key = name.toLowerCase();
    return this.#fields.find((field) => field.key === key)?.value;
  }

  getAll(name: string): string[] {
    const key = name.toLowerCase();
    return this.#fields.filter((field) => field.key === key).map((field) => field.value);
  }

  has(name: string): boolean {
    const key = name.toLowerCase();
    return this.#fields.some((field) => field.key === key);
  }

  /** Adds a field at the top (trace fields go there, RFC 5322 3.6.7). */
  prepend(name: string, value: string): void {
    this.#fields.unshift(HeaderField.create(name, value));
  }

  /** Adds a field at the bottom. */
  append(name: string, value: string): void {
    this.#fields.push(HeaderField.create(name, value));
  }

  /** Removes every field of that name; returns how many went. */
  remove(name: string): number {
    const key = name.toLowerCase();
    const before = this.#fields.length;
    this.#fields = this.#fields.filter((field) => field.key !== key);
    return before - this.#fields.length;
  }

  /** Replaces the fields with this name by one field (added at the bottom if absent). */
  set(name: string, value: string): void {
    const key = name.toLowerCase();
    const index = this.#fields.findIndex((field) => field.key === key);
    const field = HeaderField.create(name, value);
    if (index === -1) {
      this.#fields.push(field);
      return;
    }
    this.#fields = this.#fields.filter((existing, i) => i === index || existing.key !== key);
    this.#fields[index] = field;
  }

  /**
   * Replaces one field (the very object from `fields`) by `name: value` in the same place;
   * every other field stays byte-exact. Added for header fixers that must fold one over-long
   * line without moving it (a Received field keeps its place among the trace fields).
   * Returns false when the field is not in the list.
   */
  replaceField(field: HeaderField, value: string): boolean {
    const index = this.#fields.indexOf(field);
    if (index === -1) return false;
    const replacement = HeaderField.create(field.name, value);
    this.#fields = this.#fields.map((existing, i) => (i === index ? replacement : existing));
    return true;
  }

  /**
   * Removes one field (the very object from `fields`); every other field stays where it is.
   * Added for sender-auth, which must drop only the Authentication-Results fields that claim
   * our authserv-id (RFC 8601 5) and keep those of other hosts in place. Returns false when
   * the field is not in the list.
   */
  removeField(field: HeaderField): boolean {
    const index = this.#fields.indexOf(field);
    if (index === -1) return false;
    this.#fields = this.#fields.filter((_, i) => i !== index);
    return true;
  }

  /** The header block as bytes, each field followed by CRLF (no blank line). */
  toBuffer(): Buffer {
    return Buffer.from(this.#fields.map((field) => `${field.raw}\r\n`).join(''), 'latin1');
  }
}
