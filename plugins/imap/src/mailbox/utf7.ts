/**
 * IMAP's modified UTF-7 for mailbox names (RFC 3501 5.1.3), used with clients that have not
 * enabled UTF-8 (RFC 6855 / IMAP4rev2).
 *
 * Printable US-ASCII (0x20-0x7e) stands for itself, except `&`, which is written `&-`. Every
 * run of other characters is written as `&` + modified BASE64 (`,` instead of `/`, no padding)
 * of its UTF-16BE code units + `-`.
 *
 * Decoding accepts only the canonical encoding, so that one mailbox has exactly one name on
 * the wire: two spellings of the same mailbox would let a client create duplicates or slip
 * past name checks.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,';
const AMPERSAND = 0x26;

/** Index of each BASE64 character in ALPHABET; -1 for anything else. */
const ALPHABET_INDEX = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i;
  return table;
})();

function isDirect(codeUnit: number): boolean {
  return codeUnit >= 0x20 && codeUnit <= 0x7e;
}

/** Modified BASE64 of the UTF-16 code units text[start, end). */
function encodeRun(text: string, start: number, end: number): string {
  let out = '';
  let bits = 0;
  let bitCount = 0;
  for (let i = start; i < end; i++) {
    bits = (bits << 16) | text.charCodeAt(i);
    bitCount += 16;
    while (bitCount >= 6) {
      bitCount -= 6;
      out += ALPHABET[(bits >> bitCount) & 0x3f];
    }
    // Keep only the bits not yet written, so the accumulator never overflows.
    bits &= (1 << bitCount) - 1;
  }
  if (bitCount > 0) out += ALPHABET[(bits << (6 - bitCount)) & 0x3f];
  return out;
}

/** Encodes a (UTF-8, i.e. JavaScript) mailbox name to modified UTF-7. */
export function encodeMailboxName(utf8: string): string {
  let out = '';
  let i = 0;
  while (i < utf8.length) {
    const unit = utf8.charCodeAt(i);
    if (isDirect(unit)) {
      out += unit === AMPERSAND ? '&-' : utf8[i];
      i++;
      continue;
    }
    let end = i + 1;
    while (end < utf8.length && !isDirect(utf8.charCodeAt(end))) end++;
    out += '&' + encodeRun(utf8, i, end) + '-';
    i = end;
  }
  return out;
}

/** The code units of a BASE64 run, or undefined for a bad character or leftover bits. */
function decodeRun(run: string): string | undefined {
  let out = '';
  let bits = 0;
  let bitCount = 0;
  for (let i = 0; i < run.length; i++) {
    const code = run.charCodeAt(i);
    const value = code < 128 ? ALPHABET_INDEX[code]! : -1;
    if (value < 0) return undefined;
    bits = (bits << 6) | value;
    bitCount += 6;
    if (bitCount >= 16) {
      bitCount -= 16;
      out += String.fromCharCode((bits >> bitCount) & 0xffff);
      bits &= (1 << bitCount) - 1;
    }
  }
  // A whole BASE64 character left over, or non-zero padding bits, is not how an encoder ends.
  if (bitCount >= 6 || bits !== 0) return undefined;
  return out;
}

/**
 * Decodes a modified UTF-7 mailbox name. Undefined when it is not the canonical encoding of a
 * well-formed string: 8-bit or control characters, `&` without its `-`, bad BASE64, leftover
 * bits, empty or adjacent shifted runs, printable ASCII inside a shifted run, unpaired
 * surrogates.
 */
export function decodeMailboxName(mutf7: string): string | undefined {
  let out = '';
  let i = 0;
  while (i < mutf7.length) {
    const unit = mutf7.charCodeAt(i);
    if (!isDirect(unit)) return undefined;
    if (unit !== AMPERSAND) {
      out += mutf7[i];
      i++;
      continue;
    }
    const close = mutf7.indexOf('-', i + 1);
    if (close < 0) return undefined;
    if (close === i + 1) {
      out += '&';
    } else {
      const decoded = decodeRun(mutf7.slice(i + 1, close));
      if (decoded === undefined) return undefined;
      out += decoded;
    }
    i = close + 1;
  }
  if (!out.isWellFormed()) return undefined;
  // Anything that does not re-encode to the same text was a non-canonical spelling (printable
  // ASCII or `&` shifted, two shifted runs side by side, ...).
  return encodeMailboxName(out) === mutf7 ? out : undefined;
}
