import { filterBySequenceSet, parseSequenceSet, resolveSequenceSet, sequenceSetExceeds } from '../protocol/sequence.ts';
import type { Arg } from '../protocol/values.ts';
import type { SelectedMailbox } from '../selected.ts';
import type { Session } from '../session.ts';
import { bad, CommandFailure } from './types.ts';

/**
 * The UIDs (ascending) a sequence-set argument names in the selected mailbox: message
 * sequence numbers, or UIDs for the UID commands. `$` is the saved search result (RFC 5182).
 * A sequence number beyond the mailbox is a client error (RFC 9051 9: BAD); UIDs that do not
 * exist are simply not there.
 */
export function messageSet(session: Session, arg: Arg | undefined, byUid: boolean): number[] {
  const view = session.selected!;
  if (arg?.kind !== 'atom') throw new CommandFailure(bad('Missing sequence set'));
  const set = parseSequenceSet(arg.value);
  if (!set) throw new CommandFailure(bad('Invalid sequence set'));
  if (set.kind === 'saved') return session.savedSearch.filter((uid) => view.seqOf(uid) > 0);
  if (byUid) return filterBySequenceSet(set, view.uids);
  if (sequenceSetExceeds(set, view.exists, { starRangesReach: true })) throw new CommandFailure(bad('Invalid message sequence number'));
  return seqsToUids(view, resolveSequenceSet(set, view.exists));
}

function seqsToUids(view: SelectedMailbox, seqs: readonly number[]): number[] {
  const uids = view.uids;
  return seqs.map((seq) => uids[seq - 1]!);
}

