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

  scan(chunk: Buffer): void {
    if (this.violation || chunk.length === 0) return;
    // A CR that ended the previous chunk must be followed by LF here.
    if (this.#previous === CR && chunk[0] !== LF) {
      this.violation = 'bare-cr';
      return;
    }
    for (let i = chunk.indexOf(CR); i !== -1; i = chunk.indexOf(CR, i + 1)) {
      if (i + 1 < chunk.length && chunk[i + 1] !== LF) {
        this.violation = 'bare-cr';
        return;
      }
    }
    let lineStart = 0;
    for (let i = chunk.indexOf(LF); i !== -1; i = chunk.indexOf(LF, i + 1)) {
      const before = i > 0 ? chunk[i - 1] : this.#previous;
      if (before !== CR) {
        this.violation = 'bare-lf';
        return;
      }
      if (this.#carried + (i + 1 - lineStart) > this.#maxLineLength) {
        this.violation = 'line-too-long';
        return;
      }
      this.#carried = 0;
      lineStart = i + 1;
    }
    this.#carried += chunk.length - lineStart;
    if (this.#carried > this.#maxLineLength) {
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
