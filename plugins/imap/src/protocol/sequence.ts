/**
 * Sequence sets (RFC 9051 section 9, `sequence-set`): `1:4,7,9:*` over message sequence
 * numbers or UIDs, and `$`, the result saved by `SEARCH RETURN (SAVE)` (RFC 5182).
 *
 * Everything here works on merged intervals, never on one number at a time, so `1:*` over
 * 100,000 messages or a hostile `1:4294967295` costs what the answer costs and no more.
 */

/** The largest number a sequence set may name (nz-number is a 32-bit unsigned value). */
export const MAX_SEQUENCE_NUMBER = 4294967295;

/** One end of a range: a number, or `*`, the largest number in use. */
export type SequenceBound = number | '*';

/** `a:b` (either order), or a single number when `start === end`. */
export interface SequenceRange {
  readonly start: SequenceBound;
  readonly end: SequenceBound;
}

export type SequenceSet =
  | { readonly kind: 'ranges'; readonly ranges: readonly SequenceRange[] }
  /** `$`: the saved search result; what it holds is the session's business. */
  | { readonly kind: 'saved' };

/** A closed interval [low, high], low <= high. */
type Interval = readonly [number, number];

const NZ_NUMBER = /^[1-9][0-9]*$/;

function parseBound(text: string): SequenceBound | undefined {
  if (text === '*') return '*';
  // Ten digits is as long as 4294967295 gets; checking length first keeps Number() exact.
  if (text.length > 10 || !NZ_NUMBER.test(text)) return undefined;
  const value = Number(text);
  return value <= MAX_SEQUENCE_NUMBER ? value : undefined;
}

/**
 * Parses `sequence-set` or `$`. Undefined when the text is not one: empty, 0, a leading
 * zero, a number above 2^32-1, empty elements (`1,,2`), or `$` mixed with numbers (the
 * grammar allows `$` only on its own).
 */
export function parseSequenceSet(text: string): SequenceSet | undefined {
  if (text === '$') return { kind: 'saved' };
  if (text.length === 0) return undefined;
  const ranges: SequenceRange[] = [];
  for (const part of text.split(',')) {
    const colon = part.indexOf(':');
    if (colon < 0) {
      const bound = parseBound(part);
      if (bound === undefined) return undefined;
      ranges.push({ start: bound, end: bound });
      continue;
    }
    const start = parseBound(part.slice(0, colon));
    const end = parseBound(part.slice(colon + 1));
    if (start === undefined || end === undefined) return undefined;
    ranges.push({ start, end });
  }
  return { kind: 'ranges', ranges };
}

/** True when `set` is `$`, which needs the saved result to mean anything. */
export function isSavedSequenceSet(set: SequenceSet): boolean {
  return set.kind === 'saved';
}

/**
 * Whether the set names a number above `max`. RFC 9051 lets a server answer BAD to message
 * sequence numbers beyond the mailbox; in a UID set such numbers are simply no message, so
 * only sequence-number commands should ask. `*` never exceeds; an explicit number does, even
 * in `n:*` (so `1:*` on an empty mailbox does), unless `starRangesReach`: then a range with
 * `*` is taken as far as it reaches (`1:*` on an empty mailbox names nothing, not a missing
 * message). `$` is the caller's to check.
 */
export function sequenceSetExceeds(set: SequenceSet, max: number, options: { readonly starRangesReach?: boolean } = {}): boolean {
  if (set.kind === 'saved') return false;
  return set.ranges.some((range) => {
    if (options.starRangesReach && (range.start === '*' || range.end === '*')) return false;
    return (range.start !== '*' && range.start > max) || (range.end !== '*' && range.end > max);
  });
}

/**
 * The set as sorted, disjoint, non-adjacent intervals within 1..max. `*` is `max`; with
 * `max` 0 (empty mailbox) nothing is in range, so `*` names nothing. `saved` is what `$`
 * stands for (already in the same number space as `max`); without it `$` is empty.
 */
function intervalsOf(set: SequenceSet, max: number, saved?: readonly number[]): Interval[] {
  const raw: Interval[] = [];
  if (set.kind === 'saved') {
    for (const n of saved ?? []) {
      if (Number.isInteger(n) && n >= 1 && n <= max) raw.push([n, n]);
    }
  } else {
    for (const range of set.ranges) {
      const a = range.start === '*' ? max : range.start;
      const b = range.end === '*' ? max : range.end;
      // Ranges may come in either order (`4:2` is 2:4); anything past max is no message.
      const low = Math.max(1, Math.min(a, b));
      const high = Math.min(max, Math.max(a, b));
      if (low <= high) raw.push([low, high]);
    }
  }
  return mergeIntervals(raw);
}

function mergeIntervals(raw: Interval[]): Interval[] {
  if (raw.length <= 1) return raw;
  raw.sort((x, y) => x[0] - y[0]);
  const merged: [number, number][] = [];
  for (const [low, high] of raw) {
    const last = merged[merged.length - 1];
    if (last && low <= last[1] + 1) {
      if (high > last[1]) last[1] = high;
    } else {
      merged.push([low, high]);
    }
  }
  return merged;
}

/**
 * The numbers in `set` between 1 and `max`, ascending and unique. `*` is `max`: with `max`
 * 0 it names nothing, and `n:*` with n > max means max:n, so `UID FETCH 10:*` over UIDs up
 * to 5 names 5. `saved` is what `$` means here (already converted to sequence numbers or
 * UIDs as the command needs); without it `$` names nothing.
 *
 * Use it for sequence numbers. For UIDs, where `max` is the highest UID and the UIDs in use
 * may be sparse, prefer `filterBySequenceSet`, which never enumerates absent numbers.
 */
export function resolveSequenceSet(set: SequenceSet, max: number, saved?: readonly number[]): number[] {
  const out: number[] = [];
  for (const [low, high] of intervalsOf(set, max, saved)) {
    for (let n = low; n <= high; n++) out.push(n);
  }
  return out;
}

/**
 * A membership test for one set, built once: use it when testing many numbers (binary
 * search over the merged intervals).
 */
export function sequenceSetMatcher(set: SequenceSet, max: number, saved?: readonly number[]): (n: number) => boolean {
  const intervals = intervalsOf(set, max, saved);
  if (intervals.length === 0) return () => false;
  if (intervals.length === 1) {
    const [low, high] = intervals[0]!;
    return (n) => n >= low && n <= high;
  }
  return (n) => {
    let lo = 0;
    let hi = intervals.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const [low, high] = intervals[mid]!;
      if (n < low) hi = mid - 1;
      else if (n > high) lo = mid + 1;
      else return true;
    }
    return false;
  };
}

/** Whether `n` is in `set`, where `*` is `max` (see `resolveSequenceSet`). */
export function sequenceSetContains(set: SequenceSet, n: number, max: number, saved?: readonly number[]): boolean {
  return sequenceSetMatcher(set, max, saved)(n);
}

/**
 * The members of `sorted` (ascending, e.g. the UIDs of a mailbox) that `set` names, with
 * `*` as `max` (default: the last of `sorted`). Costs O(ranges * log n + matches), so
 * `UID FETCH 1:4294967295` over sparse UIDs is cheap.
 */
export function filterBySequenceSet(
  set: SequenceSet,
  sorted: readonly number[],
  max: number = sorted[sorted.length - 1] ?? 0,
  saved?: readonly number[],
): number[] {
  const out: number[] = [];
  for (const [low, high] of intervalsOf(set, max, saved)) {
    for (let i = lowerBound(sorted, low); i < sorted.length && sorted[i]! <= high; i++) out.push(sorted[i]!);
  }
  return out;
}

/** Index of the first element >= value. */
function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Writes numbers as a compact sequence set: runs of consecutive ascending numbers become
 * `a:b`. The order is kept as given (COPYUID pairs its source and destination sets by
 * position), so pass sorted numbers to get the shortest form. Repeats next to each other
 * are dropped. An empty list gives '' (the grammar has no empty set; callers omit it).
 */
export function formatSequenceSet(numbers: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < numbers.length) {
    const start = numbers[i]!;
    let end = start;
    i++;
    while (i < numbers.length && (numbers[i] === end + 1 || numbers[i] === end)) {
      end = numbers[i]!;
      i++;
    }
    parts.push(start === end ? String(start) : `${start}:${end}`);
  }
  return parts.join(',');
}
