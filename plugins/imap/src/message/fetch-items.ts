/**
 * The FETCH attribute argument (RFC 9051 6.4.5, RFC 3501 6.4.5): one item or macro, or a
 * parenthesised list of items, parsed into FetchItems the FETCH command evaluates per message.
 */

import type { Arg } from '../protocol/values.ts';
import { formatSection, parseSection, type SectionSpec } from './section.ts';

/** Items that take no section. */
export type SimpleItemName =
  | 'FLAGS'
  | 'UID'
  | 'INTERNALDATE'
  | 'MODSEQ'
  | 'RFC822.SIZE'
  | 'ENVELOPE'
  | 'BODY'
  | 'BODYSTRUCTURE'
  | 'RFC822'
  | 'RFC822.HEADER'
  | 'RFC822.TEXT';

/** A `<origin.count>` partial range. */
export interface PartialRange {
  readonly origin: number;
  readonly count: number;
}

export type FetchItem =
  | { readonly kind: SimpleItemName }
  /** BODY[section]<partial> and BODY.PEEK[section]<partial>. */
  | { readonly kind: 'BODY[]'; readonly peek: boolean; readonly section: SectionSpec; readonly partial: PartialRange | null }
  /** BINARY[part]<partial> and BINARY.PEEK[part]<partial> (RFC 3516). */
  | { readonly kind: 'BINARY[]'; readonly peek: boolean; readonly section: SectionSpec; readonly partial: PartialRange | null }
  /** BINARY.SIZE[part]. */
  | { readonly kind: 'BINARY.SIZE[]'; readonly section: SectionSpec };

const SIMPLE: ReadonlySet<string> = new Set<SimpleItemName>([
  'FLAGS',
  'UID',
  'INTERNALDATE',
  'MODSEQ',
  'RFC822.SIZE',
  'ENVELOPE',
  'BODY',
  'BODYSTRUCTURE',
  'RFC822',
  'RFC822.HEADER',
  'RFC822.TEXT',
]);

const MACROS: Readonly<Record<string, readonly SimpleItemName[]>> = {
  ALL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE'],
  FAST: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE'],
  FULL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY'],
};

/** Partial origins and counts are number64 in RFC 9051; beyond 2^53 they cannot be exact here. */
const MAX_PARTIAL = Number.MAX_SAFE_INTEGER;

/**
 * Parses the FETCH attribute argument: exactly one Arg, an atom (an item or a macro) or a
 * list of item atoms. FETCH modifiers such as `(CHANGEDSINCE n)` are not part of it.
 */
export function parseFetchItems(args: readonly Arg[]): FetchItem[] | { readonly error: string } {
  if (args.length !== 1) return { error: 'FETCH expects one attribute or one list of attributes' };
  const arg = args[0]!;
  if (arg.kind === 'atom') {
    const macro = MACROS[arg.value.toUpperCase()];
    if (macro) return macro.map((kind) => ({ kind }));
    const item = parseFetchAtt(arg.value);
    return 'error' in item ? item : [item];
  }
  if (arg.kind === 'list') {
    if (arg.items.length === 0) return { error: 'Empty FETCH attribute list' };
    const items: FetchItem[] = [];
    for (const entry of arg.items) {
      if (entry.kind !== 'atom') return { error: 'Invalid FETCH attribute' };
      const item = parseFetchAtt(entry.value);
      if ('error' in item) return item;
      items.push(item);
    }
    return items;
  }
  return { error: 'Invalid FETCH attribute' };
}

/** Parses one fetch-att (not a macro). */
export function parseFetchAtt(text: string): FetchItem | { readonly error: string } {
  const upper = text.toUpperCase();
  if (SIMPLE.has(upper)) return { kind: upper as SimpleItemName };

  const match = /^(BODY|BODY\.PEEK|BINARY|BINARY\.PEEK|BINARY\.SIZE)\[(.*)\](?:<([0-9]+)\.([0-9]+)>)?$/is.exec(text);
  if (!match) return { error: `Unknown FETCH attribute: ${text.slice(0, 100)}` };
  const name = match[1]!.toUpperCase();
  const binary = name.startsWith('BINARY');
  const section = parseSection(match[2]!, binary);
  if ('error' in section) return section;

  let partial: PartialRange | null = null;
  if (match[3] !== undefined) {
    const origin = Number(match[3]);
    const count = Number(match[4]);
    if (origin > MAX_PARTIAL || count > MAX_PARTIAL || count === 0) {
      return { error: 'Invalid partial range' };
    }
    partial = { origin, count };
  }

  if (name === 'BINARY.SIZE') {
    return partial ? { error: 'BINARY.SIZE takes no partial range' } : { kind: 'BINARY.SIZE[]', section };
  }
  return { kind: binary ? 'BINARY[]' : 'BODY[]', peek: name.endsWith('.PEEK'), section, partial };
}

/** Whether fetching the item sets \Seen (in a mailbox opened read-write). */
export function setsSeen(item: FetchItem): boolean {
  switch (item.kind) {
    case 'RFC822':
    case 'RFC822.TEXT':
      return true;
    case 'BODY[]':
    case 'BINARY[]':
      return !item.peek;
    default:
      return false;
  }
}

/**
 * Whether the item's value comes from the message bytes. FLAGS, UID, INTERNALDATE and MODSEQ
 * come from the store's metadata, and so can RFC822.SIZE (fetchValue also computes it from
 * the bytes when it has them).
 */
export function needsMessage(item: FetchItem): boolean {
  switch (item.kind) {
    case 'FLAGS':
    case 'UID':
    case 'INTERNALDATE':
    case 'MODSEQ':
    case 'RFC822.SIZE':
      return false;
    default:
      return true;
  }
}

/**
 * The item's name in the FETCH response: BODY.PEEK answers as BODY, BINARY.PEEK as BINARY,
 * and a partial range shows only its origin (`BODY[TEXT]<0>`).
 */
export function responseName(item: FetchItem): string {
  switch (item.kind) {
    case 'BODY[]':
    case 'BINARY[]': {
      const name = item.kind === 'BODY[]' ? 'BODY' : 'BINARY';
      const origin = item.partial ? `<${item.partial.origin}>` : '';
      return `${name}[${formatSection(item.section)}]${origin}`;
    }
    case 'BINARY.SIZE[]':
      return `BINARY.SIZE[${formatSection(item.section)}]`;
    default:
      return item.kind;
  }
}
