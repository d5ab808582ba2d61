const CR = 13;
const LF = 10;

export type DataViolation = 'bare-lf' | 'bare-cr' | 'line-too-long';

/**
 * Watches message data, chunk by chunk, for line endings other than CRLF and for over-long
 * lines. A bare LF or bare CR is how SMTP smuggling hides a second message inside the first
 * (CVE-2023-51766): receivers that disagree on where DATA ends can be made to see two
 * messages. Posthorn refuses such data instead of normalising it.
 *
 * The scan uses Buffer.indexOf, so its cost is a native search per line ending.
 */
export class DataGuard {
  readonly #maxLineLength: number;
  /** The last byte of the previous chunk. */
  #previous = -1;
  /** Bytes of the current line seen in earlier chunks. */
  #carried = 0;
  violation: DataViolation | undefined;

  /** @param maxLineLength longest line including CRLF; 0 disables the check. */
  constructor(maxLineLength: number) {
    this.#maxLineLength = maxLineLength > 0 ? maxLineLength : Infinity;
  }

  /**
   * Reports the first violation in byte order. Each violation has a position where it becomes
   * certain (a bare LF: the LF; a bare CR: the byte after it; a long line: its byte number
   * max+1); the earliest wins, a line ending before a length on a tie. Scanning in that order
   * makes the verdict independent of how the data was split into chunks: scanning one kind
   * of byte over the whole chunk first let "a\nb\rc" be a bare CR in one chunk and a bare LF
   * in two.
   */
  scan(chunk: Buffer): void {
    if (this.violation || chunk.length === 0) return;
    const max = this.#maxLineLength;
    let carried = this.#carried;
    let lineStart = 0;
    let cr = chunk.indexOf(CR);
    let lf = chunk.indexOf(LF);
    // A CR that ended the previous chunk must be followed by LF here.
    if (this.#previous === CR && chunk[0] !== LF) {
      this.violation = 'bare-cr';
      return;
    }
    for (;;) {
      // Index in this chunk of the byte that makes the current line too long.
      const tooLongAt = lineStart + (max - carried);
      const next = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
      if (next === -1) break;
      if (next === cr) {
        // A CR as the last byte is judged by the next chunk (or by finish()).
        if (next + 1 >= chunk.length) break;
        if (chunk[next + 1] !== LF) {
          this.violation = tooLongAt < next + 1 ? 'line-too-long' : 'bare-cr';
          return;
        }
        cr = chunk.indexOf(CR, next + 1);
        continue;
      }
      const before = next > 0 ? chunk[next - 1] : this.#previous;
      if (before !== CR) {
        this.violation = tooLongAt < next ? 'line-too-long' : 'bare-lf';
        return;
      }
      if (tooLongAt <= next) {
        this.violation = 'line-too-long';
        return;
      }
      carried = 0;
      lineStart = next + 1;
      lf = chunk.indexOf(LF, next + 1);
    }
    this.#carried = carried + chunk.length - lineStart;
    if (this.#carried > max) {
      this.violation = 'line-too-long';
      return;
    }
    this.#previous = chunk[chunk.length - 1] ?? -1;
  }

  /** Call at the end of data: a final CR without its LF is bare too. */
  finish(): DataViolation | undefined {
    if (!this.violation && this.#previous === CR) this.violation = 'bare-cr';
    return this.violation;
  }
}
