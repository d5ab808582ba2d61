/**
 * Keeping what we did not write ourselves (addresses, envelope ids, a remote server's reply)
 * inside the 7-bit, CRLF-free world of header fields and the delivery-status part.
 */

/** Anything but printable US-ASCII and space: control characters, DEL, non-ASCII. */
const NOT_PRINTABLE = /[^\x20-\x7e]/gu;

export function isPrintableAscii(value: string): boolean {
  return !/[^\x20-\x7e]/u.test(value);
}

/** Replaces every character that is not printable ASCII with `?`; for free text. */
export function printable(value: string): string {
  return value.replace(NOT_PRINTABLE, '?');
}

/**
 * RFC 6533 3 `utf-8-addr-xtext`: an internationalized address in a 7-bit delivery-status
 * field. Characters outside `!`..`~`, and `+`, `=`, `\` themselves, become `\x{HEX}`.
 */
export function utf8AddrXtext(address: string): string {
  let out = '';
  for (const char of address) {
    const point = char.codePointAt(0)!;
    const plain = point >= 0x21 && point <= 0x7e && char !== '+' && char !== '=' && char !== '\\';
    out += plain ? char : `\\x{${point.toString(16).toUpperCase()}}`;
  }
  return out;
}

/**
 * `address-type; address` as Final-Recipient and Original-Recipient write it (RFC 3464 2.3.1,
 * 2.3.2): `rfc822` for an ASCII address, RFC 6533's `utf-8` with its xtext for any other.
 */
export function typedAddress(address: string, type = 'rfc822'): string {
  if (isPrintableAscii(address)) return `${type}; ${address}`;
  return `utf-8; ${utf8AddrXtext(address)}`;
}
