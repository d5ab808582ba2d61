import { HIERARCHY_DELIMITER, INBOX } from './names.ts';

/**
 * LIST/LSUB pattern matching (RFC 9051 6.3.9): the reference and the pattern joined make the
 * canonical pattern, `*` matches any run of characters, `%` any run without the hierarchy
 * delimiter, and the name INBOX (also as first level) matches case-insensitively.
 *
 * Matching is a dynamic programme over pattern tokens × name positions, so a hostile pattern
 * (`*a*a*a*a*...b`) costs O(pattern × name), never exponential backtracking.
 */

type Token = { readonly kind: 'literal'; readonly unit: number } | { readonly kind: 'star' } | { readonly kind: 'percent' };

const STAR = 0x2a;
const PERCENT = 0x25;
const DELIMITER = HIERARCHY_DELIMITER.charCodeAt(0);

/** The empty pattern asks for the hierarchy delimiter and root instead of names (RFC 9051 6.3.9). */
export function isDelimiterRequest(pattern: string): boolean {
  return pattern === '';
}

/**
 * The reference and the pattern as one pattern. The reference is simply prefixed, as Dovecot
 * does; a reference is meant to end with the delimiter (`LIST "Archive/" %`), and with a
 * single namespace rooted at "" there is nothing else to interpret.
 */
export function canonicalPattern(reference: string, pattern: string): string {
  return reference + pattern;
}

function tokenize(pattern: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const unit = pattern.charCodeAt(i);
    if (unit !== STAR && unit !== PERCENT) {
      tokens.push({ kind: 'literal', unit });
      continue;
    }
    // A run of wildcards is one `*` if it holds any `*` (which covers what `%` matches), else one `%`.
    let star = unit === STAR;
    while (i + 1 < pattern.length && (pattern.charCodeAt(i + 1) === STAR || pattern.charCodeAt(i + 1) === PERCENT)) {
      i++;
      if (pattern.charCodeAt(i) === STAR) star = true;
    }
    tokens.push(star ? { kind: 'star' } : { kind: 'percent' });
  }
  return tokens;
}

function asciiUpper(unit: number): number {
  return unit >= 0x61 && unit <= 0x7a ? unit - 0x20 : unit;
}

/** Length of the INBOX part of a name that is INBOX or below it; those characters match in any case. */
function inboxPrefixLength(name: string): number {
  return name === INBOX || name.startsWith(INBOX + HIERARCHY_DELIMITER) ? INBOX.length : 0;
}

/** A predicate telling whether a mailbox name matches the reference and pattern. */
export function listMatcher(reference: string, pattern: string): (name: string) => boolean {
  if (isDelimiterRequest(pattern)) return () => false;
  const tokens = tokenize(canonicalPattern(reference, pattern));
  const literalCount = tokens.reduce((count, token) => count + (token.kind === 'literal' ? 1 : 0), 0);
  const onlyLiterals = literalCount === tokens.length;

  return (name: string): boolean => {
    const length = name.length;
    if (literalCount > length) return false;
    if (onlyLiterals && literalCount !== length) return false;
    const caseless = inboxPrefixLength(name);
    // reachable[j]: the tokens so far can match name[0, j).
    let reachable = new Uint8Array(length + 1);
    reachable[0] = 1;
    for (const token of tokens) {
      const next = new Uint8Array(length + 1);
      let any = false;
      if (token.kind === 'literal') {
        for (let j = 0; j < length; j++) {
          if (!reachable[j]) continue;
          const unit = name.charCodeAt(j);
          const wanted = j < caseless ? asciiUpper(token.unit) : token.unit;
          if (unit === wanted) {
            next[j + 1] = 1;
            any = true;
          }
        }
      } else {
        let open = 0;
        for (let j = 0; j <= length; j++) {
          // `%` cannot cross the delimiter between name[j-1] and name[j].
          if (token.kind === 'percent' && j > 0 && name.charCodeAt(j - 1) === DELIMITER) open = 0;
          open |= reachable[j]!;
          next[j] = open;
          if (open) any = true;
        }
      }
      if (!any) return false;
      reachable = next;
    }
    return reachable[length] === 1;
  };
}

/** A predicate for several patterns under one reference (LIST-EXTENDED pattern lists): any match. */
export function listMatcherAny(reference: string, patterns: readonly string[]): (name: string) => boolean {
  const matchers = patterns.filter((p) => !isDelimiterRequest(p)).map((p) => listMatcher(reference, p));
  if (matchers.length === 1) return matchers[0]!;
  return (name) => matchers.some((matches) => matches(name));
}
