import { formatListEntry, listResponses, lsubResponses, parseListCommand, parseLsubCommand } from '../mailbox/list.ts';
import { mailboxNameToClient } from '../mailbox/names.ts';
import { statusValues } from './mailboxes.ts';
import { AUTHENTICATED, bad, type CommandSpec, ok } from './types.ts';

export const list: CommandSpec = {
  states: AUTHENTICATED,
  async run(session, command) {
    const request = parseListCommand(command.args, session.utf8);
    if ('error' in request) return bad(request.error);
    const boxes = await session.runtime.store.listMailboxes(session.user);
    for (const entry of listResponses(boxes, request)) {
      session.untagged('LIST', formatListEntry(entry, session.utf8, 'LIST'));
      // LIST-STATUS (RFC 5819): the STATUS of each selectable mailbox right after its LIST line.
      if (request.returns.status && entry.selectable) {
        const values = await statusValues(session, entry.name, request.returns.status);
        session.untagged('STATUS', [mailboxNameToClient(entry.name, session.utf8), values]);
      }
    }
    return ok('LIST completed');
  },
};

export const lsub: CommandSpec = {
  states: AUTHENTICATED,
  async run(session, command) {
    const request = parseLsubCommand(command.args, session.utf8);
    if ('error' in request) return bad(request.error);
    const boxes = await session.runtime.store.listMailboxes(session.user);
    for (const entry of lsubResponses(boxes, request)) session.untagged('LSUB', formatListEntry(entry, session.utf8, 'LSUB'));
    return ok('LSUB completed');
  },
};
