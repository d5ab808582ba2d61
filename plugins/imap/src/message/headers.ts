/**
 * Header lookups over a parsed part, shared by FETCH and SEARCH, and RFC 2047 encoded-word
 * decoding for searching and displaying header text.
 */

import { decodeCharset } from './charset.ts';
import type { HeaderField, MimePart } from './structure.ts';

/** The header fields called `name` (case-insensitive), in message order. */
export function headerFields(part: MimePart, name: string): HeaderField[] {
  const lower = name.toLowerCase();
  return part.headers.filter((field) => field.name.toLowerCase() === lower);
}

/** The unfolded values of every field called `name` (case-insensitive), in message order. */
export function headerValues(part: MimePart, name: string): string[] {
  return headerFields(part, name).map((field) => field.value);
}

/** The unfolded value of the first field called `name`, or undefined when there is none. */
export function headerValue(part: MimePart, name: string): string | undefined {
  const lower = name.toLowerCase();
  return part.headers.find((field) => field.name.toLowerCase() === lower)?.value;
}

const EMPTY = new Uint8Array(0);

// =?charset[*language]?B|Q?text?=  (RFC 2047 with the RFC 2231 language suffix)
const ENCODED_WORD = /=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=/g;

/**
 * Decodes RFC 2047 encoded-words (B and Q) in a header value. Blanks between two adjacent
 * encoded-words are dropped, and adjacent words in the same charset are decoded together
 * so a multi-byte character split across words survives. Words with an unknown charset or
 * broken encoding are left as they are.
 */
export function decodeEncodedWords(text: string): string {
  if (!text.includes('=?')) return text;
  let out = '';
  let last = 0;
  let pending: { charset: string; bytes: Buffer[]; source: string } | undefined;
  const flush = (): void => {
    if (!pending) return;
    out += decodeCharset(Buffer.concat(pending.bytes), pending.charset) ?? pending.source;
    pending = undefined;
  };

  for (const match of text.matchAll(ENCODED_WORD)) {
    const charset = match[1]!.toLowerCase();
    const bytes = decodeWord(match[2]!.toUpperCase(), match[3]!);
    // A word that cannot be decoded stays in the text before the next decoded word.
    if (!bytes || decodeCharset(EMPTY, charset) === undefined) continue;
    const between = text.slice(last, match.index);
    // Blanks between two encoded-words are not part of the text (RFC 2047 section 6.2).
    const adjacent = pending !== undefined && /^[ \t\r\n]*$/.test(between);
    if (adjacent && pending!.charset === charset) {
      pending!.bytes.push(bytes);
      pending!.source += between + match[0];
    } else {
      flush();
      if (!adjacent) out += between;
      pending = { charset, bytes: [bytes], source: match[0] };
    }
    last = match.index + match[0].length;
  }
  flush();
  return out + text.slice(last);
}

function decodeWord(encoding: string, text: string): Buffer | undefined {
  if (encoding === 'B') {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.replace(/=+$/, '').length % 4 === 1) return undefined;
    return Buffer.from(text, 'base64');
  }
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '_') bytes.push(0x20);
    else if (c === '=') {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      for (const b of Buffer.from(c, 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes);
}
