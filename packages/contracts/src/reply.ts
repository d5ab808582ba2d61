/**
 * The plain data of an SMTP reply (RFC 5321 4.2) with its enhanced status code (RFC 3463).
 * The core's `SmtpReply` class implements it; stored queue state and service results use
 * this shape so they stay serialisable.
 */
export interface ReplyData {
  /** Basic reply code, 200..599. */
  readonly code: number;
  /** Enhanced status code `class.subject.detail`, e.g. `5.7.1`; its class matches `code`. */
  readonly enhanced: string;
  /** Human-readable text, one entry per line. */
  readonly lines: readonly string[];
}
