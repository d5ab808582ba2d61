import { MailStoreError } from './errors.ts';

/** RFC 9051 2.3.2 system flags, canonical spelling; `\Recent` is session state and never stored. */
const SYSTEM_FLAGS = ['\\Seen', '\\Answered', '\\Flagged', '\\Deleted', '\\Draft'] as const;
const BY_LOWER = new Map(SYSTEM_FLAGS.map((flag) => [flag.toLowerCase(), flag]));

/** atom (RFC 9051 9): printable ASCII without atom-specials. */
const KEYWORD = /^[\x21-\x7e]+$/;
const ATOM_SPECIALS = /[(){%*"\\\]]/;

/**
 * Checks flags and brings them into canonical form: system flags spelled as the RFC does,
 * keywords kept as first given, duplicates (case-insensitive, as IMAP compares flags) dropped,
 * system flags first. A flag that cannot be stored is a CANNOT error.
 */
export function normaliseFlags(flags: readonly string[]): string[] {
  const system = new Set<string>();
  const keywords = new Map<string, string>();
  for (const flag of flags) {
    if (typeof flag !== 'string') throw new MailStoreError('CANNOT', 'a flag must be a string');
    if (flag.startsWith('\\')) {
      const canonical = BY_LOWER.get(flag.toLowerCase());
      if (canonical) system.add(canonical);
      else if (flag.toLowerCase() !== '\\recent') throw new MailStoreError('CANNOT', `unknown system flag ${flag}`);
      continue;
    }
    if (!KEYWORD.test(flag) || ATOM_SPECIALS.test(flag) || flag.length > 255) throw new MailStoreError('CANNOT', `not a valid keyword: ${JSON.stringify(flag)}`);
    if (!keywords.has(flag.toLowerCase())) keywords.set(flag.toLowerCase(), flag);
  }
  return [...SYSTEM_FLAGS.filter((flag) => system.has(flag)), ...keywords.values()];
}

/** Applies a STORE to canonical flags; returns canonical flags. */
export function applyFlags(current: readonly string[], mode: 'add' | 'remove' | 'set', change: readonly string[]): string[] {
  if (mode === 'set') return [...change];
  const lower = new Set(change.map((flag) => flag.toLowerCase()));
  if (mode === 'remove') return current.filter((flag) => !lower.has(flag.toLowerCase()));
  return normaliseFlags([...current, ...change]);
}

export function sameFlags(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((flag, i) => flag === b[i]);
}

/** Flags are stored space-separated: neither system flags nor keywords can contain a space. */
export function encodeFlags(flags: readonly string[]): string {
  return flags.join(' ');
}

export function decodeFlags(text: string): string[] {
  return text === '' ? [] : text.split(' ');
}

/** Maildir info letters (`:2,FS`), in the ASCII order the spec asks for. */
const LETTERS: readonly [string, string][] = [
  ['D', '\\Draft'],
  ['F', '\\Flagged'],
  ['R', '\\Answered'],
  ['S', '\\Seen'],
  ['T', '\\Deleted'],
];

export function maildirInfo(flags: readonly string[]): string {
  return LETTERS.filter(([, flag]) => flags.includes(flag))
    .map(([letter]) => letter)
    .join('');
}

export function flagsFromInfo(info: string): string[] {
  return normaliseFlags(LETTERS.filter(([letter]) => info.includes(letter)).map(([, flag]) => flag));
}
