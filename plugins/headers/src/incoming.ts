import type { HeaderField, HeaderList, MessageContent } from '@posthorn/core';
import { ADDRESS_FIELDS, isWellFormedAddressField } from './address-syntax.ts';
import { analyzeHeader, type Problem } from './analyze.ts';
import { parseRfc5322Date } from './date.ts';
import { foldGenerated } from './fold.ts';

/** The field incoming mail gets when its header has problems. */
export const NOTES_FIELD = 'X-Posthorn-Notes';

export interface IncomingContext {
  readonly now: Date;
  /** Whether MAIL FROM carried SMTPUTF8 (RFC 6531): then UTF-8 in the header is expected. */
  readonly smtpUtf8: boolean;
  /** Seconds a Date may lie ahead. */
  readonly futureDate: number;
  /** Seconds a Date may lie back; undefined means no check. */
  readonly pastDate: number | undefined;
}

const EIGHT_BIT = /[\x80-\xff]/;

/**
 * The token of a problem the shared analysis found, or undefined for what is no problem in
 * somebody else's mail (a Bcc field is the sender's business).
 */
function tokenOf(problem: Problem): string | undefined {
  switch (problem.code) {
    case 'duplicate-field':
      return `duplicate-${problem.field.toLowerCase()}`;
    case 'bcc':
      return undefined;
    default:
      return problem.code;
  }
}

/**
 * Finds what is wrong with the header of a message from another server, as short stable tokens
 * (README: "Incoming mail"). Nothing is changed. `ignore` is the core's own Received field.
 */
export function noteIncoming(message: MessageContent, context: IncomingContext, ignore?: HeaderField): string[] {
  const tokens = new Set<string>();
  for (const problem of analyzeHeader(message, ignore)) {
    const token = tokenOf(problem);
    if (token) tokens.add(token);
  }
  const fields = message.headers.fields.filter((field) => field !== ignore);

  for (const field of fields) {
    const kind = ADDRESS_FIELDS[field.key];
    if (kind && !isWellFormedAddressField(field.value, kind)) tokens.add(`malformed-${field.key}`);
  }

  for (const field of fields) {
    if (field.key !== 'date') continue;
    const at = parseRfc5322Date(field.value);
    if (at === undefined) tokens.add('malformed-date');
    else if (at > context.now.getTime() + context.futureDate * 1000) tokens.add('future-date');
    else if (context.pastDate !== undefined && at < context.now.getTime() - context.pastDate * 1000) tokens.add('past-date');
  }

  // RFC 6532 3.2 / RFC 6531 3.4: 8-bit header text needs SMTPUTF8 on the way in.
  if (!context.smtpUtf8 && fields.some((field) => EIGHT_BIT.test(field.raw))) tokens.add('8bit-header');
  return [...tokens];
}

/** Replaces any X-Posthorn-Notes the message came with (a forgery) by ours, when there is one. */
export function writeNotesField(headers: HeaderList, tokens: readonly string[]): number {
  const removed = headers.remove(NOTES_FIELD);
  if (tokens.length > 0) headers.append(NOTES_FIELD, foldGenerated(NOTES_FIELD, tokens.join(', ')));
  return removed;
}
