import { type MailboxNameOptions, mailboxNameFromClient } from '../mailbox/names.ts';
import type { Arg } from '../protocol/values.ts';
import type { Session } from '../session.ts';
import { bad, CommandFailure, no } from './types.ts';

/** The store's name of the mailbox a command argument names; a NO when it cannot be a mailbox name. */
export function mailboxArg(session: Session, arg: Arg | undefined, options?: MailboxNameOptions): string {
  if (!arg || arg.kind === 'list') throw new CommandFailure(bad('Missing mailbox name'));
  const parsed = mailboxNameFromClient(arg.value, session.utf8, options);
  if ('error' in parsed) throw new CommandFailure(no(parsed.error, 'CANNOT'));
  return parsed.name;
}
