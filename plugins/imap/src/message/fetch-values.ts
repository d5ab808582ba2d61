/**
 * The value of a message-derived FETCH item for the response. FLAGS, UID, INTERNALDATE and
 * MODSEQ come from the store and are the caller's; formatInternalDate formats the date.
 */

import type { ImapValue } from '../protocol/values.ts';
import { decodeTransferEncoding } from './binary.ts';
import { bodyStructure } from './bodystructure.ts';
import { envelope } from './envelope.ts';
import type { FetchItem } from './fetch-items.ts';
import { applyPartial, extractSection, resolvePart, type SectionSpec } from './section.ts';
import type { MimePart } from './structure.ts';

/** The part's Content-Transfer-Encoding is unknown: answer NO [UNKNOWN-CTE] (RFC 3516). */
export interface FetchUnknownCte {
  readonly error: 'UNKNOWN-CTE';
  readonly text: string;
}

/**
 * The value of a message-derived item: a Buffer (literal) for body sections, a Literal8 for
 * BINARY content holding NUL, a number for sizes, lists for ENVELOPE and BODY[STRUCTURE].
 * Returns undefined for FLAGS, UID, INTERNALDATE and MODSEQ, which come from the store.
 */
export function fetchValue(item: FetchItem, raw: Buffer, root: MimePart): ImapValue | FetchUnknownCte | undefined {
  switch (item.kind) {
    case 'FLAGS':
    case 'UID':
    case 'INTERNALDATE':
    case 'MODSEQ':
      return undefined;
    case 'RFC822.SIZE':
      return raw.length;
    case 'ENVELOPE':
      return envelope(root);
    case 'BODY':
      return bodyStructure(root, false);
    case 'BODYSTRUCTURE':
      return bodyStructure(root, true);
    case 'RFC822':
      return raw;
    case 'RFC822.HEADER':
      return extractSection(raw, root, { part: [], text: 'HEADER', fields: [] });
    case 'RFC822.TEXT':
      return extractSection(raw, root, { part: [], text: 'TEXT', fields: [] });
    case 'BODY[]': {
      const bytes = extractSection(raw, root, item.section);
      return item.partial ? applyPartial(bytes, item.partial.origin, item.partial.count) : bytes;
    }
    case 'BINARY[]': {
      const decoded = binarySection(raw, root, item.section);
      if (!Buffer.isBuffer(decoded)) return decoded;
      const bytes = item.partial ? applyPartial(decoded, item.partial.origin, item.partial.count) : decoded;
      return bytes.includes(0) ? { literal8: bytes } : bytes;
    }
    case 'BINARY.SIZE[]': {
      const decoded = binarySection(raw, root, item.section);
      return Buffer.isBuffer(decoded) ? decoded.length : decoded;
    }
  }
}

/**
 * A section with its transfer encoding removed. The whole message (empty section) decodes
 * the body of a single-part message and leaves a multipart as it is, whose parts can only
 * use identity encodings at that level anyway.
 */
export function binarySection(raw: Buffer, root: MimePart, section: SectionSpec): Buffer | FetchUnknownCte {
  if (section.part.length === 0) {
    if (root.children.length > 0) return raw;
    const body = decode(raw.subarray(root.bodyStart, root.bodyEnd), root.encoding);
    return Buffer.isBuffer(body) ? Buffer.concat([raw.subarray(0, root.bodyStart), body]) : body;
  }
  const part = resolvePart(root, section.part);
  if (!part) return Buffer.alloc(0);
  return decode(raw.subarray(part.bodyStart, part.bodyEnd), part.encoding);
}

function decode(body: Buffer, encoding: string): Buffer | FetchUnknownCte {
  const decoded = decodeTransferEncoding(body, encoding);
  return decoded === 'unknown-cte'
    ? { error: 'UNKNOWN-CTE', text: `Unknown Content-Transfer-Encoding: ${encoding.slice(0, 60)}` }
    : decoded;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** An IMAP date-time (`17-Jul-1996 02:44:25 +0000`) in UTC, for INTERNALDATE. */
export function formatInternalDate(date: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  const time = Number.isNaN(date.getTime()) ? new Date(0) : date;
  return (
    `${two(time.getUTCDate())}-${MONTHS[time.getUTCMonth()]}-${String(time.getUTCFullYear()).padStart(4, '0')} ` +
    `${two(time.getUTCHours())}:${two(time.getUTCMinutes())}:${two(time.getUTCSeconds())} +0000`
  );
}
