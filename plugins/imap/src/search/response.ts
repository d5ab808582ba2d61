/**
 * The untagged answers to SEARCH: classic `* SEARCH 2 3 5 (MODSEQ 917)` (RFC 3501, RFC 7162
 * 3.1.5) and `* ESEARCH (TAG "a1") UID MIN 2 MAX 9 COUNT 3 ALL 2:3,9` (RFC 4731, RFC 9051),
 * plus what `RETURN (SAVE)` stores (RFC 5182). Each builder returns the values that follow
 * `* ` on the line, for the writer to serialise.
 */
import { atom, type ImapValue } from '../protocol/values.ts';
import { formatSequenceSet } from '../protocol/sequence.ts';
import type { SearchReturn } from './program.ts';
import type { SearchResult } from './evaluate.ts';

/**
 * `SEARCH n n n`, with `(MODSEQ n)` when the program had a MODSEQ key and something matched
 * (RFC 7162 3.1.5 leaves it out of an empty result). `uid`: answer with UIDs (UID SEARCH).
 */
export function searchResponse(result: SearchResult, uid: boolean): ImapValue[] {
  const numbers = uid ? result.uids : result.seqs;
  const values: ImapValue[] = [atom('SEARCH')];
  for (const n of numbers) values.push(n);
  if (result.highestModseq !== undefined && numbers.length > 0) values.push([atom('MODSEQ'), result.highestModseq]);
  return values;
}

export interface EsearchOptions {
  /** The command's tag, for the `(TAG "...")` correlator. */
  readonly tag: string;
  /** UID SEARCH: numbers are UIDs and the response says `UID`. */
  readonly uid: boolean;
  /** The program's RETURN options (use RETURN_ALL for an IMAP4rev2 SEARCH without RETURN). */
  readonly returns: SearchReturn;
}

/**
 * `ESEARCH (TAG "a1") [UID] [MIN n] [MAX n] [COUNT n] [ALL set] [MODSEQ n]`, or undefined
 * when nothing is to be sent: `RETURN (SAVE)` alone suppresses the ESEARCH response
 * (RFC 9051 6.4.4). An empty result leaves out MIN, MAX, ALL and MODSEQ; COUNT says 0.
 */
export function esearchResponse(result: SearchResult, options: EsearchOptions): ImapValue[] | undefined {
  const { returns } = options;
  if (!returns.min && !returns.max && !returns.all && !returns.count) return undefined;
  const numbers = options.uid ? result.uids : result.seqs;
  const values: ImapValue[] = [atom('ESEARCH'), [atom('TAG'), options.tag]];
  if (options.uid) values.push(atom('UID'));
  const empty = numbers.length === 0;
  if (returns.min && !empty) values.push(atom('MIN'), numbers[0]!);
  if (returns.max && !empty) values.push(atom('MAX'), numbers[numbers.length - 1]!);
  if (returns.count) values.push(atom('COUNT'), numbers.length);
  if (returns.all && !empty) values.push(atom('ALL'), atom(formatSequenceSet(numbers)));
  const modseq = esearchModseq(result, returns);
  if (modseq !== undefined) values.push(atom('MODSEQ'), modseq);
  return values;
}

/**
 * RFC 7162 3.1.5: with only MIN and/or MAX returned, the modseq of those messages; otherwise
 * the highest among all matches. Undefined without a MODSEQ key or with no match.
 */
function esearchModseq(result: SearchResult, returns: SearchReturn): number | undefined {
  if (result.highestModseq === undefined || result.modseqs.length === 0) return undefined;
  if (returns.all || returns.count) return result.highestModseq;
  const first = result.modseqs[0]!;
  const last = result.modseqs[result.modseqs.length - 1]!;
  if (returns.min && returns.max) return Math.max(first, last);
  if (returns.min) return first;
  if (returns.max) return last;
  return result.highestModseq;
}

/**
 * The UIDs `RETURN (SAVE ...)` stores as `$`, or undefined when the command did not ask to
 * save. With MIN and/or MAX but neither ALL nor COUNT, only those messages are saved
 * (RFC 5182 2.1); otherwise every match.
 */
export function savedSearchResult(result: SearchResult, returns: SearchReturn | undefined): number[] | undefined {
  if (!returns?.save) return undefined;
  const uids = result.uids;
  if (returns.all || returns.count || (!returns.min && !returns.max) || uids.length === 0) return uids.slice();
  const saved: number[] = [];
  if (returns.min) saved.push(uids[0]!);
  if (returns.max && (!returns.min || uids.length > 1)) saved.push(uids[uids.length - 1]!);
  return saved;
}
