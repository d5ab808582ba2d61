/** RFC 2047 2: an encoded-word is at most 75 characters. */
const MAX_ENCODED_WORD = 75;
const ENCODED_WORD_OVERHEAD = '=?UTF-8?B??='.length;
/** Bytes of text per B-encoded word: 4 base64 characters per 3 bytes within the 75. */
const BYTES_PER_WORD = Math.floor((MAX_ENCODED_WORD - ENCODED_WORD_OVERHEAD) / 4) * 3;

/** atext (RFC 5322 3.2.3) and spaces between words: a phrase that needs no quoting. */
const PLAIN_PHRASE = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+(?: [A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*$/;

/**
 * A display name as an RFC 5322 phrase: as it is when it is plain words, a quoted-string when
 * it is other printable ASCII, and RFC 2047 B-encoded words when it is not ASCII. Encoded
 * words are split between characters (never inside one) and separated by spaces, so the
 * field can be folded between them.
 */
export function encodeDisplayName(name: string): string {
  // A control character has no place in a name and could break the field.
  const clean = name.replace(/[\x00-\x1f\x7f]+/g, ' ').replace(/ {2,}/g, ' ').trim();
  if (PLAIN_PHRASE.test(clean)) return clean;
  if (/^[\x20-\x7e]*$/.test(clean)) return `"${clean.replace(/[\\"]/g, '\\$&')}"`;
  const words: string[] = [];
  let chunk = '';
  for (const char of clean) {
    if (Buffer.byteLength(chunk + char, 'utf8') > BYTES_PER_WORD) {
      words.push(chunk);
      chunk = '';
    }
    chunk += char;
  }
  if (chunk) words.push(chunk);
  return words.map((word) => `=?UTF-8?B?${Buffer.from(word, 'utf8').toString('base64')}?=`).join(' ');
}

/** `Name <address>`, or the bare address when there is no name. */
export function formatMailbox(address: string, displayName: string | undefined): string {
  const phrase = displayName ? encodeDisplayName(displayName) : '';
  return phrase ? `${phrase} <${address}>` : address;
}
