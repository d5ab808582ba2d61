/**
 * Folding of header lines (RFC 5322 2.2.3): a CRLF is put in front of a white-space character,
 * which stays at the start of the continuation line, so unfolding gives back the same value.
 * Strings here are latin1 ("binary") strings, one character per octet, as HeaderField.raw is.
 */

/** RFC 5322 2.1.1: each line MUST be no more than 998 characters, excluding the CRLF. */
export const MAX_LINE = 998;
/** RFC 5322 2.1.1: each line SHOULD be no more than 78 characters, excluding the CRLF. */
export const RECOMMENDED_LINE = 78;

const isWsp = (char: string | undefined): boolean => char === ' ' || char === '\t';

/**
 * Where to break `line`: the last white space that keeps the line within `target`, or else the
 * first one after it that keeps it within MAX_LINE. A break must leave something besides white
 * space on both sides (a line of only white space is obsolete syntax), and nothing before
 * `floor` (the field name and its colon) is ever broken off alone.
 */
function breakPoint(line: string, floor: number, target: number): number | undefined {
  let firstContent = floor;
  while (firstContent < line.length && isWsp(line[firstContent])) firstContent++;
  let lastContent = line.length - 1;
  while (lastContent >= 0 && isWsp(line[lastContent])) lastContent--;
  const valid = (at: number): boolean => at > firstContent && at < lastContent && isWsp(line[at]);
  for (let at = Math.min(target, line.length - 1); at > floor; at--) if (valid(at)) return at;
  for (let at = target + 1; at <= Math.min(MAX_LINE, line.length - 1); at++) if (valid(at)) return at;
  return undefined;
}

/**
 * Breaks one line into pieces of at most `target` characters where white space allows, and
 * never more than MAX_LINE. Returns undefined when a piece longer than MAX_LINE has no white
 * space to break at.
 */
export function breakLine(line: string, floor = 0, target = RECOMMENDED_LINE): string[] | undefined {
  const pieces: string[] = [];
  let rest = line;
  let from = floor;
  while (rest.length > target) {
    const at = breakPoint(rest, from, target);
    if (at === undefined) break;
    pieces.push(rest.slice(0, at));
    rest = rest.slice(at);
    from = 0;
  }
  if (rest.length > MAX_LINE) return undefined;
  pieces.push(rest);
  return pieces;
}

/** Whether any line of a field (raw, folding included) is longer than MAX_LINE. */
export function hasOverlongLine(raw: string): boolean {
  return raw.split('\r\n').some((line) => line.length > MAX_LINE);
}

/**
 * Folds the over-long lines of a field (raw text, folding included) and keeps every other
 * line as it is. The lines that are folded are folded at RECOMMENDED_LINE where white space
 * allows. Returns undefined when an over-long line has no place to fold.
 */
export function foldOverlongLines(raw: string): string | undefined {
  const colon = raw.indexOf(':');
  const out: string[] = [];
  for (const [index, line] of raw.split('\r\n').entries()) {
    if (line.length <= MAX_LINE) {
      out.push(line);
      continue;
    }
    const pieces = breakLine(line, index === 0 ? colon + 1 : 0);
    if (!pieces) return undefined;
    out.push(...pieces);
  }
  return out.join('\r\n');
}

/**
 * The value to give HeaderList for a field we generate, folded so that `Name: value` keeps
 * within RECOMMENDED_LINE where white space allows.
 */
export function foldGenerated(name: string, value: string): string {
  const prefix = `${name}: `;
  const pieces = breakLine(prefix + value, prefix.length - 1) ?? [prefix + value];
  return pieces.join('\r\n').slice(prefix.length);
}
