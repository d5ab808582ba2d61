/**
 * Content-Transfer-Encoding decoding for BINARY[], BINARY.PEEK[] and BINARY.SIZE[]
 * (RFC 3516, RFC 9051 6.4.5). Decoders are lenient, as mail in the wild is.
 */

/** The decoded body, or 'unknown-cte' when the encoding is not one the server knows (NO [UNKNOWN-CTE]). */
export function decodeTransferEncoding(body: Buffer, cte: string): Buffer | 'unknown-cte' {
  switch (cte.trim().toLowerCase()) {
    case '':
    case '7bit':
    case '8bit':
    case 'binary':
      return body;
    case 'base64':
      return decodeBase64(body);
    case 'quoted-printable':
      return decodeQuotedPrintable(body);
    default:
      return 'unknown-cte';
  }
}

const BASE64_VALUES = new Int8Array(256).fill(-1);
for (const [index, c] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].entries()) {
  BASE64_VALUES[c.charCodeAt(0)] = index;
}

/**
 * Base64 that skips anything outside the alphabet (line breaks, blanks, junk) and treats
 * `=` as the end of a quantum rather than of the data, so concatenated encodings decode too.
 */
export function decodeBase64(input: Buffer): Buffer {
  // Node's decoder skips non-alphabet bytes too but stops at the first `=`; it is much faster,
  // so it takes every input whose padding (if any) is only at the end.
  const pad = input.indexOf(0x3d);
  if (pad === -1 || !hasBase64After(input, pad)) return Buffer.from(input.toString('latin1'), 'base64');

  const out = Buffer.allocUnsafe(Math.floor((input.length * 3) / 4) + 3);
  let length = 0;
  let quantum = 0;
  let have = 0;
  const flushPartial = (): void => {
    if (have === 2) out[length++] = (quantum >> 4) & 0xff;
    else if (have === 3) {
      out[length++] = (quantum >> 10) & 0xff;
      out[length++] = (quantum >> 2) & 0xff;
    }
    quantum = 0;
    have = 0;
  };
  for (let i = 0; i < input.length; i++) {
    const byte = input[i]!;
    const value = BASE64_VALUES[byte]!;
    if (value >= 0) {
      quantum = (quantum << 6) | value;
      if (++have === 4) {
        out[length++] = (quantum >> 16) & 0xff;
        out[length++] = (quantum >> 8) & 0xff;
        out[length++] = quantum & 0xff;
        quantum = 0;
        have = 0;
      }
    } else if (byte === 0x3d && have > 0) {
      flushPartial();
    }
  }
  flushPartial();
  return out.subarray(0, length);
}

function hasBase64After(input: Buffer, from: number): boolean {
  for (let i = from; i < input.length; i++) if (BASE64_VALUES[input[i]!]! >= 0) return true;
  return false;
}

function hexValue(byte: number | undefined): number {
  if (byte === undefined) return -1;
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  return -1;
}

/**
 * Quoted-printable (RFC 2045 6.7): `=XX` escapes, soft line breaks (`=` before the line end,
 * blanks allowed in between), trailing blanks on a line removed. An `=` that starts neither
 * is kept as it is.
 */
export function decodeQuotedPrintable(input: Buffer): Buffer {
  const out = Buffer.allocUnsafe(input.length);
  let length = 0;
  // Output position after the last byte that is not a trailing blank on the current line.
  let lineKeep = 0;
  let i = 0;
  while (i < input.length) {
    const byte = input[i]!;
    if (byte === 0x3d) {
      const high = hexValue(input[i + 1]);
      const low = hexValue(input[i + 2]);
      if (high >= 0 && low >= 0) {
        out[length++] = (high << 4) | low;
        lineKeep = length;
        i += 3;
        continue;
      }
      let j = i + 1;
      while (input[j] === 0x20 || input[j] === 0x09) j++;
      if (input[j] === 0x0d && input[j + 1] === 0x0a) j++;
      if (input[j] === 0x0a || j >= input.length) {
        lineKeep = length; // blanks before a soft break are content
        i = j + 1;
        continue;
      }
      out[length++] = byte;
      lineKeep = length;
      i++;
    } else if (byte === 0x0d && input[i + 1] === 0x0a) {
      length = lineKeep;
      out[length++] = 0x0d;
      out[length++] = 0x0a;
      lineKeep = length;
      i += 2;
    } else if (byte === 0x0a) {
      length = lineKeep;
      out[length++] = 0x0a;
      lineKeep = length;
      i++;
    } else {
      out[length++] = byte;
      if (byte !== 0x20 && byte !== 0x09) lineKeep = length;
      i++;
    }
  }
  return out.subarray(0, lineKeep);
}
