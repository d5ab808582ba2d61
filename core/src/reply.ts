import type { ReplyData } from '@posthorn/contracts';

const ENHANCED_CODE = /^([245])\.(\d{1,3})\.(\d{1,3})$/;

/**
 * An SMTP reply: basic code (RFC 5321 4.2), enhanced status code (RFC 3463, RFC 2034) and
 * text. The enhanced code's class must agree with the basic code's first digit; the
 * constructor refuses a mismatch so a wrong reply cannot reach the wire.
 *
 * Text stays generic: what a client may learn. The detail (which rule, which DNS answer)
 * belongs in the log.
 */
export class SmtpReply implements ReplyData {
  readonly code: number;
  readonly enhanced: string;
  readonly lines: readonly string[];

  constructor(code: number, enhanced: string, text: string | readonly string[]) {
    if (!Number.isInteger(code) || code < 200 || code > 599) {
      throw new RangeError(`SMTP reply code out of range: ${code}`);
    }
    const match = ENHANCED_CODE.exec(enhanced);
    if (!match) throw new RangeError(`not an enhanced status code: ${enhanced}`);
    const basicClass = Math.floor(code / 100);
    // 3xx replies (354, 334) carry no enhanced code on the wire; they are not verdicts.
    if (basicClass !== 3 && Number(match[1]) !== basicClass) {
      throw new RangeError(`enhanced code ${enhanced} does not match reply code ${code}`);
    }
    const lines = typeof text === 'string' ? [text] : [...text];
    for (const line of lines) {
      // A control character could split the reply or forge a second one.
      if (/[\x00-\x1f\x7f]/.test(line)) throw new RangeError('control character in SMTP reply text');
    }
    this.code = code;
    this.enhanced = enhanced;
    this.lines = Object.freeze(lines.length ? lines : ['']);
    Object.freeze(this);
  }

  get isPositive(): boolean {
    return this.code < 400;
  }
  get isTransient(): boolean {
    return this.code >= 400 && this.code < 500;
  }
  get isPermanent(): boolean {
    return this.code >= 500;
  }

  /** Text with the enhanced code in front, as smtp-server is handed it. */
  get text(): string {
    return this.lines.map((line) => `${this.enhanced} ${line}`).join('\n');
  }

  /** The reply as it appears on the wire, CRLF-terminated. */
  toString(): string {
    return this.lines.map((line, i) => `${this.code}${i < this.lines.length - 1 ? '-' : ' '}${this.enhanced} ${line}`).join('\r\n') + '\r\n';
  }

  toJSON(): ReplyData {
    return { code: this.code, enhanced: this.enhanced, lines: this.lines };
  }

  static from(data: ReplyData): SmtpReply {
    return data instanceof SmtpReply ? data : new SmtpReply(data.code, data.enhanced, data.lines);
  }
}

export function reply(code: number, enhanced: string, text: string | readonly string[]): SmtpReply {
  return new SmtpReply(code, enhanced, text);
}

/**
 * A decision hook's answer. `accept` ends the hook with a positive answer (an allow list
 * passing a client, a plugin owning a recipient); `reject` ends it with a 4xx or 5xx reply.
 * A tap that has no opinion returns `undefined`.
 */
export type Verdict = Accept | Reject;

export interface Accept {
  readonly action: 'accept';
  /** Overrides the positive reply the protocol would send (e.g. 250 text). */
  readonly reply?: SmtpReply;
}

export interface Reject {
  readonly action: 'reject';
  readonly reply: SmtpReply;
}

const ACCEPT: Accept = Object.freeze({ action: 'accept' });

export function accept(positive?: SmtpReply): Accept {
  if (!positive) return ACCEPT;
  if (!positive.isPositive) throw new RangeError(`accept() needs a 2xx reply, got ${positive.code}`);
  return Object.freeze({ action: 'accept', reply: positive });
}

/** Rejects with the given 4xx or 5xx reply. */
export function reject(code: number, enhanced: string, text: string | readonly string[]): Reject;
export function reject(negative: SmtpReply): Reject;
export function reject(codeOrReply: number | SmtpReply, enhanced?: string, text?: string | readonly string[]): Reject {
  const negative = typeof codeOrReply === 'number' ? new SmtpReply(codeOrReply, enhanced ?? '', text ?? '') : codeOrReply;
  if (negative.isPositive) throw new RangeError(`reject() needs a 4xx or 5xx reply, got ${negative.code}`);
  return Object.freeze({ action: 'reject', reply: negative });
}

/** Temporary failure: the client should try again later (451 unless told otherwise). */
export function tempfail(enhanced = '4.3.0', text = 'Temporary failure, please try again later', code = 451): Reject {
  // reject() would take a 5xx too; a "temporary failure" that is permanent bounces mail the
  // caller meant to have retried, so the class is checked here.
  if (code < 400 || code > 499) throw new RangeError(`tempfail() needs a 4xx reply, got ${code}`);
  return reject(code, enhanced, text);
}

/** Replies the core itself sends. Centralised so every guard answers the same way. */
export const Replies = Object.freeze({
  internalError: reply(451, '4.3.0', 'Temporary local problem, please try again later'),
  relayDenied: reply(550, '5.7.1', 'Relaying denied'),
  notQueued: reply(451, '4.3.0', 'Message not queued, please try again later'),
  bareLineEnding: reply(550, '5.5.2', 'Bare CR or LF in message data is not allowed; use CRLF line endings'),
  lineTooLong: reply(550, '5.5.2', 'Line too long in message data'),
  messageTooBig: reply(552, '5.3.4', 'Message size exceeds fixed maximum message size'),
  tooManyRecipients: reply(452, '4.5.3', 'Too many recipients'),
  tooManyConnections: reply(421, '4.7.0', 'Too many connections, try again later'),
  tooManyConnectionsFromIp: reply(421, '4.7.0', 'Too many connections from your address, try again later'),
  dataTimeout: reply(421, '4.4.2', 'Timeout while receiving message data, closing connection'),
  shuttingDown: reply(421, '4.3.2', 'Service shutting down, try again later'),
  authUnavailable: reply(454, '4.7.0', 'Authentication temporarily unavailable'),
  authFailed: reply(535, '5.7.8', 'Authentication credentials invalid'),
  unknownParameter: reply(555, '5.5.4', 'Unsupported MAIL FROM or RCPT TO parameter'),
  nonAsciiWithoutSmtpUtf8: reply(553, '5.6.7', 'Non-ASCII address needs the SMTPUTF8 parameter'),
});
