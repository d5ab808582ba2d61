const LF = 0x0a;
const CR = 0x0d;

/** One command line, without its line ending; `tooLong` when it was cut off and discarded. */
export type InputLine = { readonly tooLong: false; readonly bytes: Buffer } | { readonly tooLong: true };

/**
 * Splits what a client sends into lines, one at a time, on demand: the session asks for the
 * next line only when it is ready for it, so a client that pipelines thousands of commands
 * costs one input chunk of memory, not a queue of parsed commands.
 *
 * Lines end with CRLF (a bare LF is accepted too). A line longer than the limit is never held
 * in full: its bytes are dropped as they come, and it surfaces once, at its end, as `tooLong`.
 */
export class LineReader {
  readonly #maxLength: number;
  #buffer: Buffer = Buffer.alloc(0);
  /** True while the rest of an over-long line is being dropped. */
  #discarding = false;

  /** @param maxLength longest line, its line ending included */
  constructor(maxLength: number) {
    this.#maxLength = maxLength;
  }

  push(chunk: Buffer): void {
    if (this.#discarding && this.#buffer.length === 0) {
      // Still inside an over-long line: drop up to its end (the LF stays, to close it).
      const lf = chunk.indexOf(LF);
      if (lf === -1) return;
      chunk = chunk.subarray(lf);
    }
    this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
    this.#dropOverlong();
  }

  /** Bytes held that are not yet a complete line. */
  get pending(): number {
    return this.#buffer.length;
  }

  /** Forgets everything received so far (after STLS: nothing sent in clear may be obeyed). */
  clear(): void {
    this.#buffer = Buffer.alloc(0);
    this.#discarding = false;
  }

  /** The next complete line, or undefined until more input arrives. */
  next(): InputLine | undefined {
    const lf = this.#buffer.indexOf(LF);
    if (lf === -1) {
      this.#dropOverlong();
      return undefined;
    }
    const line = this.#buffer.subarray(0, lf);
    this.#buffer = this.#buffer.subarray(lf + 1);
    if (this.#discarding || lf + 1 > this.#maxLength) {
      this.#discarding = false;
      return { tooLong: true };
    }
    return { tooLong: false, bytes: line.length && line[line.length - 1] === CR ? line.subarray(0, -1) : line };
  }

  /** Nothing of an over-long line is kept: memory stays flat however long it gets. */
  #dropOverlong(): void {
    if (this.#buffer.length > this.#maxLength && this.#buffer.indexOf(LF) === -1) {
      this.#discarding = true;
      this.#buffer = Buffer.alloc(0);
    }
  }
}
