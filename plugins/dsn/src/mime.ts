/**
 * The MIME pieces of a report: content transfer encodings (RFC 2045) and the multipart body
 * (RFC 2046 5.1) with a boundary that occurs in none of the parts.
 */
import { randomBytes } from 'node:crypto';

const CRLF = Buffer.from('\r\n');
/** RFC 5322 2.1.1 / RFC 5321 4.5.3.1.6: at most 998 octets before the CRLF. */
const MAX_LINE = 998;

export interface Shape {
  /** Only CRLF line breaks, no NUL, no line over 998 octets: can travel as 7bit or 8bit. */
  readonly wireSafe: boolean;
  /** Has bytes above 127. */
  readonly eightBit: boolean;
}

export function shapeOf(data: Buffer): Shape {
  return { wireSafe: isWireSafe(data), eightBit: data.some((byte) => byte > 127) };
}

function isWireSafe(data: Buffer): boolean {
  let lineStart = 0;
  for (let i = 0; i < data.length; i++) {
    const byte = data[i]!;
    if (byte === 0 || byte === 0x0a) return false;
    if (byte !== 0x0d) continue;
    if (data[i + 1] !== 0x0a || i - lineStart > MAX_LINE) return false;
    i++;
    lineStart = i + 1;
  }
  return data.length - lineStart <= MAX_LINE;
}

/**
 * Quoted-printable (RFC 2045 6.7). CRLF stays a line break; any other byte that is not plain
 * printable ASCII (a bare CR or LF included) is `=XX`; encoded lines stay within 76 characters.
 */
export function quotedPrintable(data: Buffer): string {
  const out: string[] = [];
  let start = 0;
  for (;;) {
    const end = data.indexOf(CRLF, start);
    out.push(encodeLine(data.subarray(start, end === -1 ? data.length : end)));
    if (end === -1) break;
    start = end + 2;
  }
  return out.join('\r\n');
}

function encodeLine(line: Buffer): string {
  const pieces: string[] = [];
  let current = '';
  for (let i = 0; i < line.length; i++) {
    const byte = line[i]!;
    const last = i === line.length - 1;
    const literal = (byte >= 33 && byte <= 126 && byte !== 0x3d) || ((byte === 0x20 || byte === 0x09) && !last);
    const token = literal ? String.fromCharCode(byte) : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    // 75 plus the soft break's `=` makes 76. The last token may use the 76th column itself.
    if (current.length + token.length > (last ? 76 : 75)) {
      pieces.push(`${current}=`);
      current = '';
    }
    current += token;
  }
  pieces.push(current);
  return pieces.join('\r\n');
}

export interface MimePart {
  /** Header lines of the part, without CRLF. */
  readonly headers: readonly string[];
  readonly body: Buffer;
}

/**
 * A boundary that none of the parts contains. The `=_` in it cannot occur in quoted-printable
 * text, and the random rest makes a clash unlikely; a clash is still checked, and a new
 * boundary drawn, because the original message is arbitrary data.
 */
export function chooseBoundary(parts: readonly MimePart[], random: () => string = () => randomBytes(12).toString('hex')): string {
  for (;;) {
    const boundary = `=_posthorn_${random()}`;
    if (!parts.some((part) => part.body.includes(boundary) || part.headers.some((h) => h.includes(boundary)))) return boundary;
  }
}

/** The body of a multipart entity: preamble, the parts between delimiters, the close delimiter. */
export function multipartBody(boundary: string, parts: readonly MimePart[]): Buffer {
  const chunks: Buffer[] = [Buffer.from('This is a MIME-encapsulated message.\r\n')];
  for (const part of parts) {
    chunks.push(Buffer.from(`\r\n--${boundary}\r\n${part.headers.map((h) => `${h}\r\n`).join('')}\r\n`, 'utf8'));
    chunks.push(part.body);
  }
  chunks.push(Buffer.from(`\r\n--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}
