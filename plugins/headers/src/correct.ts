import { randomBytes } from 'node:crypto';
import { type MessageContent, reply, rfc5322Date, type SmtpReply } from '@posthorn/core';
import type { Problem } from './analyze.ts';
import { foldGenerated } from './fold.ts';
import { formatMailbox } from './mailbox.ts';
import type { Corrections } from './options.ts';

/** The sender's identity, for a From field we add. */
export interface Identity {
  /** Canonical address of the account. */
  readonly address: string;
  readonly displayName: string | undefined;
}

export interface CorrectionContext {
  readonly corrections: Corrections;
  /** The server's host name, the right-hand side of a Message-ID we add. */
  readonly hostname: string;
  /** Who submitted the message, when the session is authenticated. */
  readonly identity: Identity | undefined;
  readonly now: Date;
}

/** What the correction step did, for the log. */
export interface CorrectionResult {
  /** Set when the message cannot be corrected and must be refused. */
  readonly refusal?: { readonly reply: SmtpReply; readonly problem: Problem };
  readonly added: string[];
  readonly removed: string[];
  readonly folded: string[];
}

const mediaError = (text: string): SmtpReply => reply(554, '5.6.0', text);

/**
 * The reply for a problem nothing here can correct, or undefined when the problem can be
 * corrected (or its check is switched off).
 */
function refusalFor(problem: Problem, context: CorrectionContext): SmtpReply | undefined {
  const { corrections } = context;
  switch (problem.code) {
    case 'no-body-separator':
      return mediaError('Message has no empty line between header and body');
    case 'malformed-line':
      return mediaError('Malformed line in message header');
    case 'control-character':
      return mediaError('Control characters in message header');
    case 'invalid-utf8':
      return mediaError('Message header contains 8-bit data that is not UTF-8');
    case 'duplicate-field':
      // Removing every Bcc also removes duplicates of it.
      if (problem.field === 'Bcc' && corrections.removeBcc) return undefined;
      return mediaError(`Message header has more than one ${problem.field} field`);
    case 'several-from-without-sender':
      return mediaError('Several From addresses require a Sender field');
    case 'overlong-line':
      return corrections.fold && problem.folded === undefined ? mediaError('Header line longer than 998 characters that cannot be folded') : undefined;
    case 'missing-from':
      return corrections.from && !context.identity ? mediaError('Message has no From field') : undefined;
    default:
      return undefined;
  }
}

/** `<time.random@hostname>`: unique without coordination between processes or nodes. */
export function newMessageId(hostname: string): string {
  return `<${Date.now().toString(36)}.${randomBytes(12).toString('hex')}@${hostname}>`;
}

/**
 * The correction step for submitted mail: refuses the message when a problem cannot be
 * corrected, and otherwise edits the header in place. Fields nothing is wrong with keep their
 * bytes; added fields go at the bottom of the header.
 */
export function correctHeader(message: MessageContent, problems: readonly Problem[], context: CorrectionContext): CorrectionResult {
  const result = { added: [] as string[], removed: [] as string[], folded: [] as string[] };
  for (const problem of problems) {
    const refusal = refusalFor(problem, context);
    if (refusal) return { ...result, refusal: { reply: refusal, problem } };
  }
  const { corrections } = context;
  const headers = message.headers;
  for (const problem of problems) {
    switch (problem.code) {
      case 'overlong-line':
        if (corrections.fold && problem.folded !== undefined) {
          const colon = problem.folded.indexOf(':');
          // HeaderField.create writes `Name: value`; one space after the colon is that one.
          const rest = problem.folded.slice(colon + 1).replace(/^ /, '');
          headers.replaceField(problem.field, Buffer.from(rest, 'latin1').toString('utf8'));
          result.folded.push(problem.field.name);
        }
        break;
      case 'missing-date':
        if (corrections.date) {
          headers.append('Date', rfc5322Date(context.now));
          result.added.push('Date');
        }
        break;
      case 'missing-message-id':
        if (corrections.messageId) {
          headers.append('Message-ID', newMessageId(context.hostname));
          result.added.push('Message-ID');
        }
        break;
      case 'missing-from':
        if (corrections.from && context.identity) {
          headers.append('From', foldGenerated('From', formatMailbox(context.identity.address, context.identity.displayName)));
          result.added.push('From');
        }
        break;
      case 'bcc':
        if (corrections.removeBcc) {
          // RFC 5322 3.6.3: the recipients named in Bcc must not be shown to the others.
          if (headers.remove('Bcc')) result.removed.push('Bcc');
          if (headers.remove('Resent-Bcc')) result.removed.push('Resent-Bcc');
        }
        break;
      case 'missing-mime-version':
        if (corrections.mimeVersion) addMimeFields(message, problem, result.added);
        break;
      default:
        break;
    }
  }
  return result;
}

/**
 * MIME-Version for 8-bit data (RFC 2045 4). A message without Content-Type would be read as
 * text/plain; charset=us-ascii (RFC 2045 5.2), which 8-bit text is not: it gets text/plain
 * in UTF-8 (or unknown-8bit, RFC 1428, when its 8-bit bytes are not UTF-8), and an 8-bit body
 * gets `Content-Transfer-Encoding: 8bit` when it has no transfer encoding.
 */
function addMimeFields(message: MessageContent, problem: Extract<Problem, { code: 'missing-mime-version' }>, added: string[]): void {
  const headers = message.headers;
  headers.append('MIME-Version', '1.0');
  added.push('MIME-Version');
  if (problem.contentTypeMissing) {
    headers.append('Content-Type', `text/plain; charset=${problem.bodyIsUtf8 ? 'utf-8' : 'unknown-8bit'}`);
    added.push('Content-Type');
    if (problem.eightBitBody && problem.transferEncodingMissing) {
      headers.append('Content-Transfer-Encoding', '8bit');
      added.push('Content-Transfer-Encoding');
    }
  }
}
