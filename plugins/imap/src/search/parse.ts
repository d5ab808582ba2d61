/**
 * SEARCH arguments to a SearchProgram: RFC 3501 / RFC 9051 6.4.4 search keys, RFC 4731
 * RETURN options, RFC 5182 `$`, RFC 7162 MODSEQ and RFC 5032 OLDER/YOUNGER.
 *
 *   search = "SEARCH" [SP "RETURN" SP "(" [opt *(SP opt)] ")"] [SP "CHARSET" SP astring]
 *            1*(SP search-key)
 *
 * Keys are case-insensitive atoms; their string arguments are astrings (atom, quoted or
 * literal). Several keys side by side are ANDed; OR and NOT take exactly one key each, so
 * `OR a b c` is `(OR a b) c` and `NOT a b` is `(NOT a) b`.
 */
import { argText, type Arg } from '../protocol/values.ts';
import { parseSequenceSet } from '../protocol/sequence.ts';
import type { DateOp, DayNumber, ModseqEntry, SearchKey, SearchParseError, SearchProgram, SearchReturn } from './program.ts';

/** Charsets we accept; both are decoded as UTF-8 (US-ASCII is a subset). */
export const SEARCH_CHARSETS: readonly string[] = ['US-ASCII', 'UTF-8'];

/**
 * Nesting limit for parentheses, NOT and OR: deep enough for any real client, shallow
 * enough that a hostile `NOT NOT NOT ...` cannot exhaust the stack here or in evaluation.
 */
const MAX_DEPTH = 64;

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

const FLAG_KEYS: Readonly<Record<string, readonly [string, boolean]>> = {
  ANSWERED: ['\\Answered', true],
  DELETED: ['\\Deleted', true],
  DRAFT: ['\\Draft', true],
  FLAGGED: ['\\Flagged', true],
  SEEN: ['\\Seen', true],
  UNANSWERED: ['\\Answered', false],
  UNDELETED: ['\\Deleted', false],
  UNDRAFT: ['\\Draft', false],
  UNFLAGGED: ['\\Flagged', false],
  UNSEEN: ['\\Seen', false],
};

const HEADER_KEYS: Readonly<Record<string, string>> = {
  BCC: 'Bcc',
  CC: 'Cc',
  FROM: 'From',
  SUBJECT: 'Subject',
  TO: 'To',
};

const DATE_KEYS: Readonly<Record<string, readonly ['internal-date' | 'sent-date', DateOp]>> = {
  BEFORE: ['internal-date', 'before'],
  ON: ['internal-date', 'on'],
  SINCE: ['internal-date', 'since'],
  SENTBEFORE: ['sent-date', 'before'],
  SENTON: ['sent-date', 'on'],
  SENTSINCE: ['sent-date', 'since'],
};

class SearchSyntaxError extends Error {
  readonly code: 'BADCHARSET' | undefined;
  constructor(message: string, code?: 'BADCHARSET') {
    super(message);
    this.code = code;
  }
}

/** Parses the arguments after `SEARCH` (or `UID SEARCH`). */
export function parseSearch(args: readonly Arg[]): SearchProgram | SearchParseError {
  try {
    return new SearchParser(args).program();
  } catch (err) {
    if (err instanceof SearchSyntaxError) return err.code ? { error: err.message, code: err.code } : { error: err.message };
    throw err;
  }
}

export function isSearchParseError(value: SearchProgram | SearchParseError): value is SearchParseError {
  return 'error' in value;
}

class SearchParser {
  readonly #args: readonly Arg[];
  #pos = 0;
  #usesModseq = false;
  #usesSaved = false;

  constructor(args: readonly Arg[]) {
    this.#args = args;
  }

  program(): SearchProgram {
    const returns = this.#returnOptions();
    const charset = this.#charset();
    if (this.#pos >= this.#args.length) throw new SearchSyntaxError('Missing search criteria');
    const keys = this.#keysUntilEnd(this.#args, 0);
    const key = keys.length === 1 ? keys[0]! : { type: 'and' as const, keys };
    return {
      key,
      ...(returns ? { returns } : {}),
      ...(charset ? { charset } : {}),
      usesModseq: this.#usesModseq,
      usesSavedResult: this.#usesSaved,
    };
  }

  #returnOptions(): SearchReturn | undefined {
    const first = this.#args[this.#pos];
    if (first?.kind !== 'atom' || first.value.toUpperCase() !== 'RETURN') return undefined;
    this.#pos++;
    const list = this.#args[this.#pos++];
    if (list?.kind !== 'list') throw new SearchSyntaxError('RETURN needs a parenthesised list of options');
    const options = { min: false, max: false, all: false, count: false, save: false };
    for (const item of list.items) {
      const name = item.kind === 'atom' ? item.value.toUpperCase() : '';
      switch (name) {
        case 'MIN': options.min = true; break;
        case 'MAX': options.max = true; break;
        case 'ALL': options.all = true; break;
        case 'COUNT': options.count = true; break;
        case 'SAVE': options.save = true; break;
        default:
          throw new SearchSyntaxError(`Unknown RETURN option: ${describe(item)}`);
      }
    }
    // RFC 4731 3.1: an empty list means ALL.
    if (list.items.length === 0) options.all = true;
    return options;
  }

  #charset(): string | undefined {
    const first = this.#args[this.#pos];
    if (first?.kind !== 'atom' || first.value.toUpperCase() !== 'CHARSET') return undefined;
    this.#pos++;
    const name = argText(this.#args[this.#pos++]);
    if (name === undefined) throw new SearchSyntaxError('CHARSET needs a charset name');
    const upper = name.toUpperCase();
    if (!SEARCH_CHARSETS.includes(upper)) throw new SearchSyntaxError(`Unsupported charset: ${printable(name)}`, 'BADCHARSET');
    return upper;
  }

  /** All keys of `items` from the cursor to the end; the cursor belongs to `items`. */
  #keysUntilEnd(items: readonly Arg[], depth: number): SearchKey[] {
    const keys: SearchKey[] = [];
    const cursor = new Cursor(items, items === this.#args ? this.#pos : 0);
    while (!cursor.done()) keys.push(this.#key(cursor, depth));
    return keys;
  }

  #key(cursor: Cursor, depth: number): SearchKey {
    if (depth > MAX_DEPTH) throw new SearchSyntaxError('Search criteria nested too deeply');
    const arg = cursor.next();
    if (arg === undefined) throw new SearchSyntaxError('Missing search key');
    if (arg.kind === 'list') {
      if (arg.items.length === 0) throw new SearchSyntaxError('Empty parenthesised search criteria');
      const keys = this.#keysUntilEnd(arg.items, depth + 1);
      return keys.length === 1 ? keys[0]! : { type: 'and', keys };
    }
    if (arg.kind !== 'atom') throw new SearchSyntaxError(`Expected a search key, got a string: ${describe(arg)}`);

    const first = arg.value.charAt(0);
    if ((first >= '0' && first <= '9') || first === '*' || first === '$') {
      return { type: 'seq', set: this.#sequenceSet(arg.value) };
    }

    const name = arg.value.toUpperCase();
    const flagKey = FLAG_KEYS[name];
    if (flagKey) return { type: 'flag', flag: flagKey[0], present: flagKey[1] };
    const header = HEADER_KEYS[name];
    if (header) return { type: 'header', field: header, value: this.#string(cursor, name) };
    const dateKey = DATE_KEYS[name];
    if (dateKey) return { type: dateKey[0], op: dateKey[1], day: this.#date(cursor, name) };

    switch (name) {
      case 'ALL':
        return { type: 'all' };
      case 'RECENT':
        return { type: 'recent' };
      case 'OLD':
        return { type: 'not', key: { type: 'recent' } };
      case 'NEW':
        return { type: 'and', keys: [{ type: 'recent' }, { type: 'flag', flag: '\\Seen', present: false }] };
      case 'KEYWORD':
      case 'UNKEYWORD':
        return { type: 'flag', flag: this.#keyword(cursor, name), present: name === 'KEYWORD' };
      case 'HEADER': {
        const field = this.#string(cursor, name);
        if (field.length === 0) throw new SearchSyntaxError('HEADER needs a field name');
        return { type: 'header', field, value: this.#string(cursor, name) };
      }
      case 'BODY':
        return { type: 'body', value: this.#string(cursor, name) };
      case 'TEXT':
        return { type: 'text', value: this.#string(cursor, name) };
      case 'LARGER':
      case 'SMALLER':
        return { type: 'size', op: name === 'LARGER' ? 'larger' : 'smaller', size: this.#number(cursor, name) };
      case 'OLDER':
      case 'YOUNGER': {
        const seconds = this.#number(cursor, name);
        if (seconds === 0) throw new SearchSyntaxError(`${name} needs a positive interval`);
        return { type: 'age', op: name === 'OLDER' ? 'older' : 'younger', seconds };
      }
      case 'UID': {
        const set = cursor.next();
        if (set?.kind !== 'atom') throw new SearchSyntaxError('UID needs a sequence set');
        return { type: 'uid', set: this.#sequenceSet(set.value) };
      }
      case 'MODSEQ':
        return this.#modseq(cursor);
      case 'NOT':
        return { type: 'not', key: this.#operand(cursor, depth, name) };
      case 'OR': {
        const left = this.#operand(cursor, depth, name);
        const right = this.#operand(cursor, depth, name);
        return { type: 'or', left, right };
      }
      default:
        throw new SearchSyntaxError(`Unknown search key: ${printable(arg.value)}`);
    }
  }

  #operand(cursor: Cursor, depth: number, name: string): SearchKey {
    if (cursor.done()) throw new SearchSyntaxError(`${name} needs a search key`);
    return this.#key(cursor, depth + 1);
  }

  #sequenceSet(text: string) {
    const set = parseSequenceSet(text);
    if (!set) throw new SearchSyntaxError(`Invalid sequence set: ${printable(text)}`);
    if (set.kind === 'saved') this.#usesSaved = true;
    return set;
  }

  #string(cursor: Cursor, name: string): string {
    const text = argText(cursor.next());
    if (text === undefined) throw new SearchSyntaxError(`${name} needs a string`);
    return text;
  }

  #keyword(cursor: Cursor, name: string): string {
    const arg = cursor.next();
    // flag-keyword is an atom; a quoted one is tolerated, a list or empty string is not.
    const text = argText(arg);
    if (text === undefined || text.length === 0) throw new SearchSyntaxError(`${name} needs a flag keyword`);
    return text;
  }

  #date(cursor: Cursor, name: string): DayNumber {
    const text = argText(cursor.next());
    if (text === undefined) throw new SearchSyntaxError(`${name} needs a date`);
    const day = parseSearchDate(text);
    if (day === undefined) throw new SearchSyntaxError(`Invalid date for ${name}: ${printable(text)} (expected d-Mon-yyyy)`);
    return day;
  }

  /** number64 (RFC 9051): up to 2^63-1; beyond 2^53 JS numbers are approximate, which only
   * matters for sizes and modseqs no store reaches. */
  #number(cursor: Cursor, name: string): number {
    const arg = cursor.next();
    const value = arg?.kind === 'atom' ? parseNumber64(arg.value) : undefined;
    if (value === undefined) throw new SearchSyntaxError(`${name} needs a number`);
    return value;
  }

  /** MODSEQ [entry-name SP entry-type-req] SP mod-sequence-valzer (RFC 7162 3.1.5). */
  #modseq(cursor: Cursor): SearchKey {
    this.#usesModseq = true;
    let entry: ModseqEntry | undefined;
    const next = cursor.peek();
    if (next !== undefined && !(next.kind === 'atom' && /^[0-9]+$/.test(next.value))) {
      cursor.next();
      const entryName = argText(next);
      if (entryName === undefined || !entryName.toLowerCase().startsWith('/flags/') || entryName.length <= 7) {
        throw new SearchSyntaxError(`Invalid MODSEQ entry name: ${describe(next)}`);
      }
      const scope = argText(cursor.next())?.toLowerCase();
      if (scope !== 'priv' && scope !== 'shared' && scope !== 'all') {
        throw new SearchSyntaxError('MODSEQ entry type must be priv, shared or all');
      }
      entry = { flag: entryName.slice(7), scope };
    }
    const modseq = this.#number(cursor, 'MODSEQ');
    return entry ? { type: 'modseq', modseq, entry } : { type: 'modseq', modseq };
  }
}

/** A position in one list of arguments (the top level or a parenthesised group). */
class Cursor {
  readonly #items: readonly Arg[];
  #pos: number;
  constructor(items: readonly Arg[], start: number) {
    this.#items = items;
    this.#pos = start;
  }
  done(): boolean {
    return this.#pos >= this.#items.length;
  }
  peek(): Arg | undefined {
    return this.#items[this.#pos];
  }
  next(): Arg | undefined {
    return this.#items[this.#pos++];
  }
}

function parseNumber64(text: string): number | undefined {
  if (!/^[0-9]{1,19}$/.test(text)) return undefined;
  if (BigInt(text) > 9223372036854775807n) return undefined;
  return Number(text);
}

/** `d-Mon-yyyy` (RFC 9051 `date-text`), month case-insensitive, as yyyymmdd; undefined if invalid. */
export function parseSearchDate(text: string): DayNumber | undefined {
  const match = /^([0-9]{1,2})-([A-Za-z]{3})-([0-9]{4})$/.exec(text);
  if (!match) return undefined;
  const day = Number(match[1]);
  const month = MONTHS.indexOf(match[2]!.toLowerCase()) + 1;
  const year = Number(match[3]);
  if (month === 0 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return year * 10000 + month * 100 + day;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * A short, printable rendering of client input for error messages: it ends up in a response
 * line, so never the whole of a literal and never a CR or LF.
 */
function describe(arg: Arg): string {
  if (arg.kind === 'list') return '(...)';
  return printable(argText(arg) ?? '');
}

function printable(text: string): string {
  const clean = text.replace(/[\x00-\x1f\x7f]/g, '?');
  return clean.length > 40 ? `${clean.slice(0, 40)}...` : clean;
}
