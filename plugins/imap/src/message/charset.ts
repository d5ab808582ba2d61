/**
 * Turns bytes in a named charset into text, for RFC 2047 encoded-words and RFC 2231
 * parameters. Node's TextDecoder (full ICU) knows the WHATWG encodings, which cover what
 * mail uses in practice.
 */

import { TextDecoder } from 'node:util';

const decoders = new Map<string, TextDecoder | null>();

/** The decoder for a charset label, or null when the label is unknown. */
function decoderFor(charset: string): TextDecoder | null {
  const label = charset.trim().toLowerCase();
  let decoder = decoders.get(label);
  if (decoder === undefined) {
    try {
      decoder = new TextDecoder(label === 'us-ascii' || label === 'ascii' ? 'utf-8' : label);
    } catch {
      decoder = null;
    }
    // Labels come from mail, so the cache is bounded to keep hostile input from growing it.
    if (decoders.size < 256) decoders.set(label, decoder);
  }
  return decoder;
}

/** Decodes bytes in the given charset, or returns undefined when the charset is unknown. */
export function decodeCharset(bytes: Uint8Array, charset: string): string | undefined {
  const decoder = decoderFor(charset);
  if (!decoder) return undefined;
  try {
    return decoder.encoding === 'windows-1252' ? decodeWindows1252(bytes) : decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Node 24's TextDecoder decodes windows-1252 (which the WHATWG labels iso-8859-1, latin1 and
 * ascii also mean) as plain Latin-1, turning 0x80-0x9F into control characters instead of
 * the euro sign, curly quotes and dashes that mail in those charsets really means.
 */
const WINDOWS_1252_HIGH =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

function decodeWindows1252(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) {
    out += byte >= 0x80 && byte <= 0x9f ? WINDOWS_1252_HIGH[byte - 0x80] : String.fromCharCode(byte);
  }
  return out;
}
