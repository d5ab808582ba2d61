/**
 * The third part of a report: the message the notice is about, whole (message/rfc822) or its
 * header only (text/rfc822-headers, RFC 6522 4).
 */
import type { MimePart } from './mime.ts';
import { quotedPrintable, shapeOf } from './mime.ts';

export interface ReturnedPart {
  readonly part: MimePart;
  /** What was attached, for the explanation. */
  readonly whole: boolean;
  /** The part is 8bit, so the report and its envelope must say so (BODY=8BITMIME). */
  readonly eightBit: boolean;
}

/**
 * The whole message when `full` is asked for, it is no larger than `maxSize` and it can travel
 * as it is (message/rfc822 allows only 7bit and 8bit over SMTP: no CTE may re-encode it);
 * otherwise its header.
 */
export function returnedPart(message: Buffer, options: { full: boolean; maxSize: number }): ReturnedPart {
  if (options.full && message.length <= options.maxSize) {
    const shape = shapeOf(message);
    if (shape.wireSafe) {
      const encoding = shape.eightBit ? '8bit' : '7bit';
      return {
        part: {
          headers: ['Content-Type: message/rfc822', 'Content-Description: Undelivered message', `Content-Transfer-Encoding: ${encoding}`],
          body: message,
        },
        whole: true,
        eightBit: shape.eightBit,
      };
    }
  }
  return { part: headerPart(headerOf(message)), whole: false, eightBit: false };
}

/**
 * The header section: everything up to the empty line, with the CRLF of its last field. A
 * message without a body is all header.
 */
export function headerOf(message: Buffer): Buffer {
  if (message.subarray(0, 2).equals(Buffer.from('\r\n'))) return Buffer.alloc(0);
  const crlf = message.indexOf('\r\n\r\n');
  if (crlf !== -1) return message.subarray(0, crlf + 2);
  // Plugins may queue messages with bare LF; the core refuses those from clients.
  const lf = message.indexOf('\n\n');
  if (lf !== -1) return message.subarray(0, lf + 1);
  return message;
}

/**
 * text/rfc822-headers. Kept 7-bit so the notice needs nothing of the next hop: a header with
 * 8-bit bytes, bare line breaks or overlong lines is sent quoted-printable.
 */
function headerPart(raw: Buffer): MimePart {
  // A header with bare LF only (a message a plugin made) gets CRLF rather than `=0A` soup.
  const header = raw.includes(0x0d) ? raw : Buffer.from(raw.toString('latin1').replace(/\n/g, '\r\n'), 'latin1');
  const shape = shapeOf(header);
  const common = ['Content-Description: Undelivered message header'];
  if (shape.wireSafe && !shape.eightBit) {
    return { headers: ['Content-Type: text/rfc822-headers', ...common, 'Content-Transfer-Encoding: 7bit'], body: header };
  }
  // RFC 6532 headers are UTF-8; anything else is labelled as bytes we cannot name.
  const charset = isUtf8(header) ? 'utf-8' : 'unknown-8bit';
  return {
    headers: [`Content-Type: text/rfc822-headers; charset=${charset}`, ...common, 'Content-Transfer-Encoding: quoted-printable'],
    body: Buffer.from(quotedPrintable(header), 'latin1'),
  };
}

function isUtf8(data: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(data);
    return true;
  } catch {
    return false;
  }
}
