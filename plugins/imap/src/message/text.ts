/**
 * The readable text of a text part: transfer encoding removed and charset decoded. For SEARCH
 * (BODY, TEXT) and anything else that needs to look at what a text part says.
 */

import { decodeTransferEncoding } from './binary.ts';
import { decodeCharset } from './charset.ts';
import { paramValue, type MimePart } from './structure.ts';

/**
 * The decoded text of a text/* part, or undefined for other parts. An unknown transfer
 * encoding leaves the bytes as they are; an unknown charset is read as UTF-8.
 */
export function partText(raw: Buffer, part: MimePart): string | undefined {
  if (part.type !== 'text') return undefined;
  const body = raw.subarray(part.bodyStart, part.bodyEnd);
  const decoded = decodeTransferEncoding(body, part.encoding);
  const bytes = decoded === 'unknown-cte' ? body : decoded;
  const charset = paramValue(part.params, 'charset') ?? 'us-ascii';
  return decodeCharset(bytes, charset) ?? bytes.toString('utf8');
}
