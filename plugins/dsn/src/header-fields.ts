/**
 * Header fields (RFC 5322 2.2) and the fields of the delivery-status part (RFC 3464 2.1, same
 * syntax), folded so that no line exceeds 998 octets and lines stay near 78 where they can.
 */

const SOFT_LIMIT = 78;
/** Longest piece of a word we put on one line; a longer word is cut (only unusual replies have one). */
const HARD_PIECE = 900;

/**
 * `Name: value`, folded at white space. Returns the lines without their CRLF. The value must
 * not contain CR or LF; callers pass values made safe with text-safety.ts.
 */
export function field(name: string, value: string): string[] {
  if (/[\r\n]/.test(value)) throw new RangeError(`line break in the value of ${name}`);
  const words = value.split(' ').flatMap((word) => cut(word));
  const lines: string[] = [];
  let line = `${name}:`;
  let first = true;
  for (const word of words) {
    if (!first && line.length + 1 + word.length > SOFT_LIMIT) {
      lines.push(line);
      // A folded line starts with white space (RFC 5322 2.2.3); unfolding gives the space back.
      line = ` ${word}`;
    } else {
      line += ` ${word}`;
    }
    first = false;
  }
  lines.push(line);
  return lines;
}

function cut(word: string): string[] {
  if (word.length <= HARD_PIECE) return [word];
  const pieces: string[] = [];
  for (let i = 0; i < word.length; i += HARD_PIECE) pieces.push(word.slice(i, i + HARD_PIECE));
  return pieces;
}

/** A display name as RFC 5322 3.2.5 allows it: bare when it is atoms, else quoted. */
export function displayName(name: string): string {
  if (/^[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]*$/.test(name) && name.trim() === name) return name;
  return `"${name.replace(/(["\\])/g, '\\$1')}"`;
}
