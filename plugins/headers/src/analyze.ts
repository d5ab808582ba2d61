import { isUtf8 } from 'node:buffer';
import type { HeaderField, MessageContent } from '@posthorn/core';
import { countMailboxes } from './address-list.ts';
import { foldOverlongLines, hasOverlongLine } from './fold.ts';

/**
 * What is wrong with a message's header. The analysis only finds problems; what to do about
 * them (correct, refuse, or only note them for incoming mail) is decided elsewhere.
 */
export type Problem =
  /** No empty line between header and body: the body (if any) was read as header lines. */
  | { readonly code: 'no-body-separator' }
  /** A header line that is not `name: value`. */
  | { readonly code: 'malformed-line'; readonly line: number }
  /** NUL or another control character besides TAB in a field. */
  | { readonly code: 'control-character'; readonly field: string }
  /** 8-bit bytes in a field that do not form UTF-8 (RFC 6532 allows UTF-8 only). */
  | { readonly code: 'invalid-utf8'; readonly field: string }
  /** More than one of a field RFC 5322 3.6 allows at most once. */
  | { readonly code: 'duplicate-field'; readonly field: string; readonly count: number }
  /** RFC 5322 3.6.2: a From with several mailboxes needs a Sender. */
  | { readonly code: 'several-from-without-sender'; readonly mailboxes: number }
  /** A line longer than 998 octets; `folded` is the field folded, when it can be. */
  | { readonly code: 'overlong-line'; readonly field: HeaderField; readonly folded: string | undefined }
  | { readonly code: 'missing-date' }
  | { readonly code: 'missing-message-id' }
  | { readonly code: 'missing-from' }
  /** Bcc (or Resent-Bcc) fields: blind copies must not show who else got the message. */
  | { readonly code: 'bcc'; readonly count: number }
  /** 8-bit data without MIME-Version, and which MIME fields are missing with it. */
  | {
      readonly code: 'missing-mime-version';
      readonly contentTypeMissing: boolean;
      readonly transferEncodingMissing: boolean;
      readonly eightBitBody: boolean;
      /** Whether the body's 8-bit bytes form UTF-8 (true when the body is 7-bit). */
      readonly bodyIsUtf8: boolean;
    };

export type ProblemCode = Problem['code'];

/** RFC 5322 3.6: fields that may occur at most once. */
export const SINGLE_FIELDS = ['date', 'from', 'sender', 'reply-to', 'to', 'cc', 'bcc', 'message-id', 'in-reply-to', 'references', 'subject'] as const;

/** ftext (RFC 5322 3.6.8): printable ASCII except the colon. */
const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+$/;
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;
const EIGHT_BIT = /[\x80-\xff]/;

/**
 * Finds the problems of a message's header. `ignore` is a field to leave out of every check
 * (the Received field the core put on top: it is the server's own).
 */
export function analyzeHeader(message: MessageContent, ignore?: HeaderField): Problem[] {
  const problems: Problem[] = [];
  if (!message.hasBodySeparator) problems.push({ code: 'no-body-separator' });

  const fields = message.headers.fields.filter((field) => field !== ignore);
  const counts = new Map<string, number>();
  let eightBitHeader = false;
  for (const [index, field] of fields.entries()) {
    if (!field.name || !FIELD_NAME.test(field.name)) {
      problems.push({ code: 'malformed-line', line: index + 1 });
      continue;
    }
    counts.set(field.key, (counts.get(field.key) ?? 0) + 1);
    // Folding CRLFs are part of the syntax; any other control character is junk.
    if (CONTROL.test(field.raw.replace(/\r\n(?=[ \t])/g, ''))) problems.push({ code: 'control-character', field: field.name });
    if (EIGHT_BIT.test(field.raw)) {
      eightBitHeader = true;
      if (!isUtf8(Buffer.from(field.raw, 'latin1'))) problems.push({ code: 'invalid-utf8', field: field.name });
    }
    if (hasOverlongLine(field.raw)) problems.push({ code: 'overlong-line', field, folded: foldOverlongLines(field.raw) });
  }

  for (const name of SINGLE_FIELDS) {
    const count = counts.get(name) ?? 0;
    if (count > 1) problems.push({ code: 'duplicate-field', field: canonicalName(name), count });
  }

  const headers = message.headers;
  const from = headers.get('From');
  if (from === undefined) problems.push({ code: 'missing-from' });
  else if (!headers.has('Sender')) {
    const mailboxes = countMailboxes(from);
    if (mailboxes > 1) problems.push({ code: 'several-from-without-sender', mailboxes });
  }
  if (!headers.has('Date')) problems.push({ code: 'missing-date' });
  if (!headers.has('Message-ID')) problems.push({ code: 'missing-message-id' });
  const bcc = (counts.get('bcc') ?? 0) + (counts.get('resent-bcc') ?? 0);
  if (bcc > 0) problems.push({ code: 'bcc', count: bcc });

  if (!headers.has('MIME-Version')) {
    const body = message.body();
    const eightBitBody = EIGHT_BIT.test(body.toString('latin1'));
    if (eightBitBody || eightBitHeader) {
      problems.push({
        code: 'missing-mime-version',
        contentTypeMissing: !headers.has('Content-Type'),
        transferEncodingMissing: !headers.has('Content-Transfer-Encoding'),
        eightBitBody,
        bodyIsUtf8: !eightBitBody || isUtf8(body),
      });
    }
  }
  return problems;
}

/** `message-id` -> `Message-ID`, for replies and logs. */
function canonicalName(key: string): string {
  if (key === 'message-id') return 'Message-ID';
  return key.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase());
}

/** A problem as plain data for the log (no field objects). */
export function describeProblem(problem: Problem): Record<string, string | number | boolean> {
  if (problem.code === 'overlong-line') return { code: problem.code, field: problem.field.name, foldable: problem.folded !== undefined };
  return { ...problem };
}
