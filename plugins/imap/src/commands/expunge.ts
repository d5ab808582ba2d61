import { formatSequenceSet } from '../protocol/sequence.ts';
import type { Session } from '../session.ts';
import { messageSet } from './message-set.ts';
import { bad, type CommandSpec, no, ok, SELECTED } from './types.ts';

/** Tells the client about messages this session removed: EXPUNGE per message, or one VANISHED (QRESYNC). */
export function reportExpunged(session: Session, uids: readonly number[]): void {
  const view = session.selected!;
  if (session.enabled.has('QRESYNC')) {
    const known = uids.filter((uid) => view.seqOf(uid) > 0).sort((a, b) => a - b);
    view.applyExpunge(known);
    if (known.length) session.untagged(`VANISHED ${formatSequenceSet(known)}`);
    return;
  }
  for (const seq of view.applyExpunge(uids)) session.untagged(`${seq} EXPUNGE`);
}

export const expunge: CommandSpec = {
  states: SELECTED,
  async run(session, command) {
    const view = session.selected!;
    if (command.uid ? command.args.length !== 1 : command.args.length) return bad(command.uid ? 'UID EXPUNGE takes a UID set' : 'EXPUNGE takes no arguments');
    if (view.readOnly) return no('Mailbox is read-only', 'READ-ONLY');
    let removed: number[];
    if (command.uid) {
      // UIDPLUS: only the named messages, and only those marked \Deleted.
      const uids = messageSet(session, command.args[0], true).filter((uid) => view.meta(uid)?.flags.includes('\\Deleted'));
      removed = uids.length ? await session.runtime.store.expunge(view.box, uids) : [];
    } else {
      removed = await session.runtime.store.expunge(view.box);
    }
    reportExpunged(session, removed);
    const modseq = session.enabled.has('QRESYNC') ? `HIGHESTMODSEQ ${(await session.runtime.store.status(view.box)).highestModseq}` : undefined;
    return ok('EXPUNGE completed', modseq);
  },
};
