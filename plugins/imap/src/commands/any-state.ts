import { ANY, bad, type CommandSpec, ok } from './types.ts';
import type { Enableable } from '../session.ts';
import { argText, atom, type ImapValue } from '../protocol/values.ts';

/** ID (RFC 2971) fields and sizes a client may send; more is refused, not stored. */
const MAX_ID_FIELDS = 30;
const MAX_ID_VALUE = 1024;

export const capability: CommandSpec = {
  states: ANY,
  async run(session) {
    session.untagged(`CAPABILITY ${session.capabilities().join(' ')}`);
    return ok('CAPABILITY completed');
  },
};

export const noop: CommandSpec = {
  states: ANY,
  async run() {
    // Pending mailbox changes go out before the completion (the session flushes them).
    return ok('NOOP completed');
  },
};

export const logout: CommandSpec = {
  states: ANY,
  async run(session) {
    session.untagged('BYE Logging out');
    // The session ends the connection once the completion is written.
    session.state = 'logout';
    return ok('LOGOUT completed');
  },
};

export const id: CommandSpec = {
  states: ANY,
  async run(session, command) {
    const [arg, extra] = command.args;
    if (!arg || extra) return bad('ID takes one argument: a list of field/value pairs, or NIL');
    if (arg.kind === 'list') {
      const fields: Record<string, string | null> = {};
      if (arg.items.length % 2 || arg.items.length > MAX_ID_FIELDS * 2) return bad('ID takes up to 30 field/value pairs');
      for (let i = 0; i < arg.items.length; i += 2) {
        const name = argText(arg.items[i]);
        const valueArg = arg.items[i + 1]!;
        const value = valueArg.kind === 'atom' && valueArg.value.toUpperCase() === 'NIL' ? null : argText(valueArg);
        if (name === undefined || value === undefined || name.length > 30 || (value?.length ?? 0) > MAX_ID_VALUE) return bad('Invalid ID field');
        fields[name.toLowerCase()] = value;
      }
      session.log.info({ client: fields }, 'imap client id');
    } else if (!(arg.kind === 'atom' && arg.value.toUpperCase() === 'NIL')) {
      return bad('ID takes a list or NIL');
    }
    const ours: ImapValue[] = ['name', 'Posthorn', 'vendor', 'Posthorn', 'support-url', null];
    session.untagged('ID', [ours]);
    return ok('ID completed');
  },
};

const ENABLEABLE = new Set<string>(['CONDSTORE', 'QRESYNC', 'IMAP4REV2', 'UTF8=ACCEPT']);

export const enable: CommandSpec = {
  states: ['authenticated'],
  async run(session, command) {
    if (command.args.length === 0) return bad('ENABLE needs at least one capability');
    const newly: string[] = [];
    for (const arg of command.args) {
      if (arg.kind !== 'atom') return bad('ENABLE takes capability names');
      const name = arg.value.toUpperCase();
      if (!ENABLEABLE.has(name)) continue;
      const extension = name as Enableable;
      // QRESYNC implies CONDSTORE (RFC 7162 3.2.3).
      for (const implied of extension === 'QRESYNC' ? (['CONDSTORE', 'QRESYNC'] as const) : [extension]) {
        if (!session.enabled.has(implied)) {
          session.enabled.add(implied);
          newly.push(implied === 'IMAP4REV2' ? 'IMAP4rev2' : implied);
        }
      }
    }
    session.untagged(`ENABLED${newly.length ? ` ${newly.join(' ')}` : ''}`);
    return ok('ENABLE completed');
  },
};

/** Flags as the protocol writes them: system flags and keywords as atoms. */
export function flagList(flags: readonly string[]): ImapValue[] {
  return flags.map(atom);
}
