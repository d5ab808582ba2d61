/**
 * Reads the date-time of a Date field (RFC 5322 3.3, with the obsolete forms of 4.3: two- and
 * three-digit years, named and military zones, comments). Returns the instant in milliseconds,
 * or undefined when the value is not a date-time.
 */

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** obs-zone (RFC 5322 4.3): offsets in minutes. Military letters count as -0000 (unknown). */
const NAMED_ZONES: Readonly<Record<string, number>> = {
  ut: 0,
  gmt: 0,
  z: 0,
  est: -300,
  edt: -240,
  cst: -360,
  cdt: -300,
  mst: -420,
  mdt: -360,
  pst: -480,
  pdt: -420,
};

const DATE_TIME =
  /^(?:(?:mon|tue|wed|thu|fri|sat|sun)\s*,\s*)?(\d{1,2})\s+([a-z]{3})\s+(\d{2,4})\s+(\d{1,2})\s*:\s*(\d{2})(?:\s*:\s*(\d{2}))?\s+([+-]\d{4}|[a-z]{1,3})$/i;

function stripComments(value: string): string {
  let out = '';
  let depth = 0;
  for (let i = 0; i < value.length; i++) {
    const char = value[i]!;
    if (char === '\\' && depth > 0) i++;
    else if (char === '(') depth++;
    else if (char === ')' && depth > 0) depth--;
    else if (depth === 0) out += char;
  }
  return out;
}

export function parseRfc5322Date(value: string): number | undefined {
  const match = DATE_TIME.exec(stripComments(value).replace(/\s+/g, ' ').trim());
  if (!match) return undefined;
  const [, dayText, monthText, yearText, hourText, minuteText, secondText, zoneText] = match;
  const month = MONTHS.indexOf(monthText!.toLowerCase());
  if (month === -1) return undefined;
  let year = Number(yearText);
  // RFC 5322 4.3: two digits are 1950..2049; three digits are added to 1900.
  if (yearText!.length === 2) year += year < 50 ? 2000 : 1900;
  else if (yearText!.length === 3) year += 1900;
  const day = Number(dayText);
  const hour = Number(hourText);
  const minute = Number(minuteText);
  const second = secondText === undefined ? 0 : Number(secondText);
  // 60 is a leap second.
  if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  let offset: number;
  const zone = zoneText!.toLowerCase();
  if (/^[+-]\d{4}$/.test(zone)) {
    const minutes = Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5));
    if (Number(zone.slice(3, 5)) > 59) return undefined;
    offset = zone.startsWith('-') ? -minutes : minutes;
  } else if (zone in NAMED_ZONES) {
    offset = NAMED_ZONES[zone]!;
  } else if (/^[a-ik-z]$/.test(zone)) {
    offset = 0;
  } else {
    return undefined;
  }
  const utc = Date.UTC(year, month, day, hour, minute, Math.min(second, 59));
  // Date.UTC rolls 31 Feb over into March; such a date does not exist.
  if (new Date(utc).getUTCDate() !== day) return undefined;
  return utc - offset * 60_000;
}
