import { formatSequenceSet } from '../protocol/sequence.ts';
import type { ParsedCommand } from '../protocol/parser.ts';
import type { Session } from '../session.ts';
import { reportExpunged } from './expunge.ts';
import { mailboxArg } from './mailbox-arg.ts';
import { messageSet } from './message-set.ts';
import { bad, type CommandSpec, type Completion, intoMailbox, no, ok, SELECTED } from './types.ts';

async function transfer(session: Session, command: ParsedCommand, move: boolean): Promise<Completion> {
  const view = session.selected!;
  const [setArg, nameArg, extra] = command.args;
  if (!nameArg || extra) return bad(`${command.name} takes a sequence set and a mailbox`);
  const uids = messageSet(session, setArg, command.uid);
  const target = mailboxArg(session, nameArg);
  if (move && view.readOnly) return no('Mailbox is read-only', 'READ-ONLY');
  const { store } = session.runtime;
  const into = { user: session.user, mailbox: target };
  if (uids.length === 0) {
    // Nothing to move, but a missing destination is still the client's to hear about.
    await intoMailbox(() => store.status(into));
    return ok(`${command.name} completed (no messages)`);
  }
  const result = await intoMailbox(() => (move ? store.move(view.box, uids, target) : store.copy(view.box, uids, target)));
  const code = result.mapping.length
    ? `COPYUID ${result.uidValidity} ${formatSequenceSet(result.mapping.map(([from]) => from))} ${formatSequenceSet(result.mapping.map(([, to]) => to))}`
    : undefined;
  if (!move) return ok('COPY completed', code);
  // RFC 6851 4.3: COPYUID goes in an untagged OK before the expunges.
  if (code) session.untagged(`OK [${code}] Moved`);
  reportExpunged(session, result.mapping.map(([from]) => from));
  return ok('MOVE completed');
}

export const copy: CommandSpec = {
  states: SELECTED,
  run: (session, command) => transfer(session, command, false),
};

export const move: CommandSpec = {
  states: SELECTED,
  run: (session, command) => transfer(session, command, true),
};
