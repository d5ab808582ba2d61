/**
 * Days for the date search keys. SEARCH compares dates "disregarding time and timezone"
 * (RFC 9051 6.4.4): a message's day is the calendar day in its own zone, so the Date
 * header's day is read straight from its text, never converted to another zone.
 */
import type { DayNumber } from './program.ts';

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** The day of an instant as seen at a fixed offset from UTC (minutes east, e.g. +120). */
export function dayAtOffset(date: Date, offsetMinutes: number): DayNumber | undefined {
  const time = date.getTime();
  if (Number.isNaN(time)) return undefined;
  const local = new Date(time + offsetMinutes * 60_000);
  return local.getUTCFullYear() * 10000 + (local.getUTCMonth() + 1) * 100 + local.getUTCDate();
}

/**
 * The day of an RFC 5322 Date header (`[Mon, ]1 Jan 2024 10:00:00 +0100`), as written,
 * or undefined when the text holds no recognisable date. Obsolete two- and three-digit
 * years are widened as RFC 5322 4.3 says.
 */
export function dayOfDateHeader(value: string): DayNumber | undefined {
  const match = /(?:^|[\s,(])([0-9]{1,2})\s+([A-Za-z]{3})[A-Za-z]*\.?\s+([0-9]{2,4})(?![0-9])/.exec(value);
  if (!match) return undefined;
  const day = Number(match[1]);
  const month = MONTHS.indexOf(match[2]!.toLowerCase()) + 1;
  let year = Number(match[3]);
  if (match[3]!.length === 2) year += year < 50 ? 2000 : 1900;
  else if (match[3]!.length === 3) year += 1900;
  if (month === 0 || day < 1 || day > 31) return undefined;
  return year * 10000 + month * 100 + day;
}
