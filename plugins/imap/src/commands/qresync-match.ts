import { parseSequenceSet } from '../protocol/sequence.ts';

/** Sequence match data bigger than this is not walked: it only narrows an answer that is correct without it. */
const MAX_PAIRS = 100_000;

/** Pairs of (message sequence number, UID) as the client last knew them, in the order given. */
export interface SeqMatchData {
  readonly seqs: readonly number[];
  readonly uids: readonly number[];
}

/**
 * QRESYNC's sequence match data (RFC 7162 3.2.5.2), `(known-sequence-set known-uid-set)`:
 * both sets without `*`, of the same size. Sets too big to pair up give no pairs.
 */
export function parseSeqMatchData(knownSeqs: string, knownUids: string): SeqMatchData | { error: string } {
  const seqs = measure(knownSeqs);
  const uids = measure(knownUids);
  if (!seqs || !uids) return { error: 'QRESYNC sequence match data must be sequence sets without *' };
  if (seqs.size !== uids.size) return { error: 'QRESYNC sequence match data: the two sets differ in size' };
  if (seqs.size > MAX_PAIRS) return { seqs: [], uids: [] };
  return { seqs: expand(seqs.ranges), uids: expand(uids.ranges) };
}

/**
 * A UID still at the sequence number the client knew means no message below it has been
 * expunged since, so the client needs VANISHED only for UIDs above it. Returns the highest
 * such UID, or 0 when no pair still matches.
 */
export function seqMatchFloor(data: SeqMatchData, uidAt: (seq: number) => number | undefined): number {
  for (let i = data.seqs.length - 1; i >= 0; i--) {
    if (uidAt(data.seqs[i]!) === data.uids[i]) return data.uids[i]!;
  }
  return 0;
}

/** A sequence set of plain numbers, as QRESYNC's known-uids must be (no `*`, no `$`). */
export function isPlainSequenceSet(text: string): boolean {
  return measure(text) !== undefined;
}

type Range = readonly [number, number];

/** The ranges of a set (each low to high, in the order given) and how many numbers they hold; undefined for `*`, `$` or junk. */
function measure(text: string): { ranges: Range[]; size: number } | undefined {
  const set = parseSequenceSet(text);
  if (!set || set.kind !== 'ranges') return undefined;
  const ranges: Range[] = [];
  let size = 0;
  for (const { start, end } of set.ranges) {
    if (start === '*' || end === '*') return undefined;
    ranges.push([Math.min(start, end), Math.max(start, end)]);
    size += Math.abs(end - start) + 1;
  }
  return { ranges, size };
}

function expand(ranges: readonly Range[]): number[] {
  const numbers: number[] = [];
  for (const [low, high] of ranges) for (let n = low; n <= high; n++) numbers.push(n);
  return numbers;
}
