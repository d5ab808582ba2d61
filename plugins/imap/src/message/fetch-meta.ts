/**
 * FETCH items that come from the store's metadata, formatted straight to response text. A
 * FETCH FLAGS over a big mailbox is mostly these; writing them as text skips building an
 * ImapValue per item only for the writer to turn it back into the same text. The text is
 * byte for byte what ResponseBuilder writes for the values fetch-values.ts describes:
 * FLAGS a list of atoms, UID and RFC822.SIZE numbers, INTERNALDATE a quoted string (it never
 * holds `"` or `\`), MODSEQ a one-number list.
 */

import type { MessageMeta } from '@posthorn/contracts';
import type { FetchItem } from './fetch-items.ts';
import { formatInternalDate } from './fetch-values.ts';

/** `(\Seen $Label)`: flags and keywords are atoms, sent as they are. */
export function flagListText(flags: readonly string[]): string {
  switch (flags.length) {
    case 0:
      return '()';
    case 1:
      return `(${flags[0]})`;
    default:
      return `(${flags.join(' ')})`;
  }
}

/**
 * The value of UID, INTERNALDATE, MODSEQ or RFC822.SIZE as response text, or undefined for
 * any other item (FLAGS depends on the session's view of the mailbox: see flagListText).
 */
export function metaItemText(item: FetchItem, meta: MessageMeta): string | undefined {
  switch (item.kind) {
    case 'UID':
      return String(meta.uid);
    case 'INTERNALDATE':
      return internalDateText(meta.internalDate);
    case 'MODSEQ':
      return `(${meta.modseq})`;
    case 'RFC822.SIZE':
      return String(meta.size);
    default:
      return undefined;
  }
}

const DAY_MS = 86_400_000;
const TWO_DIGITS = Array.from({ length: 60 }, (_, n) => String(n).padStart(2, '0'));
let lastDay = Number.NaN;
let lastDayText = '';

/**
 * INTERNALDATE quoted, as formatInternalDate writes it. The Date's UTC getters are the
 * slow part of that; messages of a mailbox mostly arrive in runs on the same day, so the
 * date part of the last day is kept and the time of day is worked out from the timestamp.
 */
export function internalDateText(date: Date): string {
  let ms = date.getTime();
  if (Number.isNaN(ms)) ms = 0;
  const day = Math.floor(ms / DAY_MS);
  if (day !== lastDay) {
    const full = formatInternalDate(new Date(day * DAY_MS));
    lastDayText = `"${full.slice(0, full.indexOf(' ') + 1)}`;
    lastDay = day;
  }
  const seconds = Math.floor((ms - day * DAY_MS) / 1000);
  return `${lastDayText}${TWO_DIGITS[Math.floor(seconds / 3600)]}:${TWO_DIGITS[Math.floor(seconds / 60) % 60]}:${TWO_DIGITS[seconds % 60]} +0000"`;
}
