import { mailboxNameToClient } from '../mailbox/names.ts';
import { formatStatusItems, parseStatusItems, statusNeeds, type StatusItem } from '../mailbox/status-items.ts';
import { atom, type ImapValue } from '../protocol/values.ts';
import type { Session } from '../session.ts';
import { mailboxArg } from './mailbox-arg.ts';
import { AUTHENTICATED, bad, type CommandSpec, no, ok } from './types.ts';

export const create: CommandSpec = {
  states: AUTHENTICATED,
  async run(session, command) {
    const [nameArg, params, extra] = command.args;
    if (extra || (params && params.kind !== 'list')) return bad('CREATE takes a mailbox name');
    const name = mailboxArg(session, nameArg, { allowTrailingDelimiter: true });
    if (name === 'INBOX') return no('INBOX always exists', 'ALREADYEXISTS');
    await session.runtime.store.createMailbox(session.user, name);
    return ok('CREATE completed');
  },
};

export const deleteMailbox: CommandSpec = {
  states: AUTHENTICATED,
  async run(session, command) {
    if (command.args.length !== 1) return bad('DELETE takes a mailbox name');
    const name = mailboxArg(session, command.args[0]);
    if (name === 'INBOX') return no('INBOX cannot be deleted', 'CANNOT');
    // RFC 9051 6.3.5: deleting the selected mailbox is allowed; the session leaves it first.
    if (session.selected?.box.mailbox === name) session.deselect();
    await session.runtime.store.deleteMailbox(session.user, name);
    return ok('DELETE completed');
  },
};

export const rename: CommandSpec = {
  states: AUTHENTICATED,
  async run(session, command) {
    if (command.args.length !== 2) return bad('RENAME takes two mailbox names');
    const from = mailboxArg(session, command.args[0]);
    const to = mailboxArg(session, command.args[1]);
    if (to === 'INBOX') return no('Cannot rename onto INBOX', 'ALREADYEXISTS');
    if (from === to) return no('Source and destination are the same', 'ALREADYEXISTS');
    if (session.selected?.box.mailbox === from && from !== 'INBOX') session.deselect();
    await session.runtime.store.renameMailbox(session.user, from, to);
    return ok('RENAME completed');
  },
};

function subscription(subscribed: boolean): CommandSpec {
  return {
    states: AUTHENTICATED,
    async run(session, command) {
      if (command.args.length !== 1) return bad(`${command.name} takes a mailbox name`);
      const name = mailboxArg(session, command.args[0]);
      await session.runtime.store.setSubscribed(session.user, name, subscribed);
      return ok(`${command.name} completed`);
    },
  };
}

export const subscribe = subscription(true);
export const unsubscribe = subscription(false);

export const namespace: CommandSpec = {
  states: AUTHENTICATED,
  async run(session, command) {
    if (command.args.length) return bad('NAMESPACE takes no arguments');
    // One personal namespace, no prefix, `/` as the delimiter; no other users' or shared ones.
    session.untagged('NAMESPACE', [[['', '/']], null, null]);
    return ok('NAMESPACE completed');
  },
};

/** The `* STATUS` data of one mailbox: shared by STATUS and LIST-STATUS (RFC 5819). */
export async function statusValues(session: Session, name: string, items: readonly StatusItem[]): Promise<ImapValue[]> {
  const box = { user: session.user, mailbox: name };
  const { store } = session.runtime;
  const status = await store.status(box);
  const needs = statusNeeds(items);
  const extras: { appendLimit: number; deleted?: number; deletedStorage?: number; recent?: number } = { appendLimit: session.runtime.options.maxMessageSize };
  if (needs.deleted || needs.deletedStorage || needs.recent) {
    const messages = await store.listMessages(box);
    let deleted = 0;
    let deletedStorage = 0;
    for (const message of messages) {
      if (!message.flags.includes('\\Deleted')) continue;
      deleted++;
      deletedStorage += message.size;
    }
    Object.assign(extras, { deleted, deletedStorage });
    if (needs.recent) {
      const selected = session.selected;
      extras.recent = selected?.box.mailbox === name && selected.uidValidity === status.uidValidity
        ? selected.recentCount
        : session.runtime.recent.count({ ...box, uidValidity: status.uidValidity }, messages, status.uidNext);
    }
  }
  return formatStatusItems(items, status, extras);
}

export const status: CommandSpec = {
  states: AUTHENTICATED,
  async run(session, command) {
    const [nameArg, itemsArg, extra] = command.args;
    if (!itemsArg || extra) return bad('STATUS takes a mailbox name and a list of items');
    const name = mailboxArg(session, nameArg);
    const items = parseStatusItems(itemsArg);
    if ('error' in items) return bad(items.error);
    const values = await statusValues(session, name, items);
    session.untagged('STATUS', [mailboxNameToClient(name, session.utf8), values]);
    return ok('STATUS completed');
  },
};

/** `* QUOTA "" (STORAGE used limit MESSAGE used limit)` (RFC 9208); STORAGE counts KiB. */
async function reportQuota(session: Session): Promise<boolean> {
  const limit = session.account?.quotaBytes;
  if (limit === undefined) return false;
  const usage = await session.runtime.store.usage(session.user);
  session.untagged('QUOTA', ['', [atom('STORAGE'), Math.ceil(usage.bytes / 1024), Math.floor(limit / 1024)]]);
  return true;
}

export const getQuotaRoot: CommandSpec = {
  states: AUTHENTICATED,
  async run(session, command) {
    if (command.args.length !== 1) return bad('GETQUOTAROOT takes a mailbox name');
    const name = mailboxArg(session, command.args[0]);
    const boxes = await session.runtime.store.listMailboxes(session.user);
    if (!boxes.some((box) => box.name === name)) return no('No such mailbox', 'NONEXISTENT');
    const limited = session.account?.quotaBytes !== undefined;
    session.untagged('QUOTAROOT', limited ? [mailboxNameToClient(name, session.utf8), ''] : [mailboxNameToClient(name, session.utf8)]);
    await reportQuota(session);
    return ok('GETQUOTAROOT completed');
  },
};

export const getQuota: CommandSpec = {
  states: AUTHENTICATED,
  async run(session, command) {
    const [root, extra] = command.args;
    if (!root || root.kind === 'list' || extra) return bad('GETQUOTA takes a quota root');
    const rootName = root.kind === 'atom' ? root.value : root.value.toString('utf8');
    if (rootName !== '' || !(await reportQuota(session))) return no('No such quota root', 'NONEXISTENT');
    return ok('GETQUOTA completed');
  },
};
