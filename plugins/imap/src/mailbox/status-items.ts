import type { MailboxStatus } from '@posthorn/contracts';
import { atom, type Arg, type ImapValue } from '../protocol/values.ts';

/**
 * STATUS data items (RFC 9051 6.3.11, RFC 3501 6.3.10, RFC 7162 HIGHESTMODSEQ, RFC 7889
 * APPENDLIMIT, RFC 9208 DELETED-STORAGE): parsing the client's item list and formatting the
 * values, for STATUS and for LIST ... RETURN (STATUS (...)) (RFC 5819).
 */

export const STATUS_ITEMS = [
  'MESSAGES',
  'UIDNEXT',
  'UIDVALIDITY',
  'UNSEEN',
  'DELETED',
  'SIZE',
  'RECENT',
  'HIGHESTMODSEQ',
  'APPENDLIMIT',
  'DELETED-STORAGE',
] as const;

export type StatusItem = (typeof STATUS_ITEMS)[number];

const KNOWN: ReadonlySet<string> = new Set(STATUS_ITEMS);

/**
 * The items of a STATUS item list, `(MESSAGES UIDNEXT ...)`: upper-cased, duplicates dropped,
 * in the client's order. The error (for a tagged BAD) names what is wrong.
 */
export function parseStatusItems(arg: Arg | undefined): StatusItem[] | { error: string } {
  if (!arg || arg.kind !== 'list') return { error: 'STATUS items must be a parenthesised list' };
  if (arg.items.length === 0) return { error: 'STATUS item list is empty' };
  const items: StatusItem[] = [];
  for (const item of arg.items) {
    if (item.kind !== 'atom') return { error: 'STATUS items must be atoms' };
    const name = item.value.toUpperCase();
    if (!KNOWN.has(name)) return { error: `Unknown STATUS item ${JSON.stringify(item.value)}` };
    if (!items.includes(name as StatusItem)) items.push(name as StatusItem);
  }
  return items;
}

/** Values the store's MailboxStatus does not hold; the caller supplies them when asked for. */
export interface StatusExtras {
  /** Messages flagged \Deleted (DELETED). */
  readonly deleted?: number;
  /** Bytes that an EXPUNGE would free (DELETED-STORAGE, RFC 9208): the size of \Deleted messages. */
  readonly deletedStorage?: number;
  /** Messages \Recent to the asking session, or that no session has been told of (RECENT). */
  readonly recent?: number;
  /** Largest APPEND accepted in bytes; null or absent is NIL (no limit). */
  readonly appendLimit?: number | null;
}

/** Which extras the items need, so the caller only lists the messages when asked to. */
export function statusNeeds(items: readonly StatusItem[]): { readonly deleted: boolean; readonly deletedStorage: boolean; readonly recent: boolean } {
  return { deleted: items.includes('DELETED'), deletedStorage: items.includes('DELETED-STORAGE'), recent: items.includes('RECENT') };
}

function required(value: number | undefined, item: StatusItem): number {
  // A missing count is the caller's bug: answering without the item would break the protocol.
  if (value === undefined) throw new TypeError(`STATUS ${item} requested but no value was supplied`);
  return value;
}

/**
 * The contents of the STATUS attribute list, `[atom('MESSAGES'), 12, atom('UIDNEXT'), 44]`:
 * the caller writes `* STATUS <mailbox> ` followed by this array as a list.
 */
export function formatStatusItems(items: readonly StatusItem[], status: MailboxStatus, extras: StatusExtras = {}): ImapValue[] {
  const out: ImapValue[] = [];
  for (const item of items) {
    let value: ImapValue;
    switch (item) {
      case 'MESSAGES':
        value = status.messages;
        break;
      case 'UIDNEXT':
        value = status.uidNext;
        break;
      case 'UIDVALIDITY':
        value = status.uidValidity;
        break;
      case 'UNSEEN':
        value = status.unseen;
        break;
      case 'SIZE':
        value = status.size;
        break;
      case 'RECENT':
        value = required(extras.recent, item);
        break;
      case 'HIGHESTMODSEQ':
        value = status.highestModseq;
        break;
      case 'DELETED':
        value = required(extras.deleted, item);
        break;
      case 'DELETED-STORAGE':
        value = required(extras.deletedStorage, item);
        break;
      case 'APPENDLIMIT':
        value = extras.appendLimit ?? null;
        break;
    }
    out.push(atom(item), value);
  }
  return out;
}
