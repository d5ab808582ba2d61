const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
const DOT_BUFFER = Buffer.from('.');
const CRLF = Buffer.from('\r\n');
const LF_BUFFER = Buffer.from('\n');
const TERMINATOR = Buffer.from('.\r\n');

/**
 * Turns a message into the body of a multi-line response (RFC 1939 3): every line that starts
 * with "." gets one more in front, every line ends with CRLF, and ".\r\n" ends it all.
 *
 * A message stored with CRLF line endings (as SMTP delivers it) goes out byte for byte apart
 * from the stuffed dots. A bare LF becomes CRLF: a client that splits lines at LF must not find
 * an early end of the response inside the message. A bare CR is left alone.
 *
 * Works on chunks of any size and cut anywhere; between them it remembers only the last byte.
 * The output is a list of slices of the input plus shared constants: nothing is copied, and the
 * search runs in native code from one line end to the next.
 */
export class DotStuffer {
  /** Last byte of the input so far; LF at the start, since the first line starts a line. */
  #last = LF;

  /** Appends the transmitted form of `chunk` to `out`. */
  push(chunk: Buffer, out: Buffer[]): void {
    if (chunk.length === 0) return;
    if (this.#last === LF && chunk[0] === DOT) out.push(DOT_BUFFER);
    let from = 0;
    for (let lf = chunk.indexOf(LF); lf !== -1; lf = chunk.indexOf(LF, lf + 1)) {
      const before = lf > 0 ? chunk[lf - 1] : this.#last;
      const next = lf + 1 < chunk.length ? chunk[lf + 1] : undefined;
      if (before !== CR) {
        if (lf > from) out.push(chunk.subarray(from, lf));
        out.push(CRLF);
        from = lf + 1;
      }
      if (next === DOT) {
        if (lf + 1 > from) out.push(chunk.subarray(from, lf + 1));
        out.push(DOT_BUFFER);
        from = lf + 1;
      }
    }
    if (from < chunk.length) out.push(chunk.subarray(from));
    this.#last = chunk[chunk.length - 1]!;
  }

  /** Ends the response: the last line completed if the message did not end with one, then ".". */
  end(out: Buffer[]): void {
    if (this.#last === CR) out.push(LF_BUFFER);
    else if (this.#last !== LF) out.push(CRLF);
    out.push(TERMINATOR);
  }
}

/**
 * The part of a message TOP sends (RFC 1939 7): the header, the blank line after it, and the
 * first `lines` lines of the body. Fed chunk by chunk; says when it has all it needs, so the
 * rest of a large message is never read.
 */
export class TopCutter {
  readonly #bodyLines: number;
  #inHeader = true;
  /** Bytes of the current line seen so far (across chunks), to recognise the empty line. */
  #lineLength = 0;
  /** Whether the current line so far is only a CR. */
  #lineIsCr = false;
  #bodyLinesSeen = 0;
  #done = false;

  constructor(bodyLines: number) {
    this.#bodyLines = bodyLines;
  }

  get done(): boolean {
    return this.#done;
  }

  /** The leading part of `chunk` that belongs to the output; `done` tells whether to stop. */
  take(chunk: Buffer): Buffer {
    if (this.#done) return chunk.subarray(0, 0);
    let start = 0;
    for (let lf = chunk.indexOf(LF); lf !== -1; lf = chunk.indexOf(LF, lf + 1)) {
      const length = this.#lineLength + (lf - start);
      const onlyCr = (this.#lineLength === 0 && lf - start === 1 && chunk[start] === CR) || (this.#lineIsCr && lf === start);
      if (this.#inHeader) {
        if (length === 0 || (length === 1 && onlyCr)) {
          this.#inHeader = false;
          if (this.#bodyLines === 0) return this.#finish(chunk, lf + 1);
        }
      } else if (++this.#bodyLinesSeen >= this.#bodyLines) {
        return this.#finish(chunk, lf + 1);
      }
      start = lf + 1;
      this.#lineLength = 0;
      this.#lineIsCr = false;
    }
    const rest = chunk.length - start;
    if (rest > 0) {
      this.#lineIsCr = this.#lineLength === 0 && rest === 1 && chunk[start] === CR;
      this.#lineLength += rest;
    }
    return chunk;
  }

  #finish(chunk: Buffer, end: number): Buffer {
    this.#done = true;
    return chunk.subarray(0, end);
  }
}
