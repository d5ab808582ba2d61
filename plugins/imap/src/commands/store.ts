import type { FlagUpdateMode, MessageMeta } from '@posthorn/contracts';
import { formatSequenceSet } from '../protocol/sequence.ts';
import { atom, type Arg, type ImapValue } from '../protocol/values.ts';
import type { Session } from '../session.ts';
import { messageSet } from './message-set.ts';
import { bad, type CommandSpec, type Completion, no, ok, SELECTED } from './types.ts';

const SYSTEM_FLAGS = new Map(['\\Seen', '\\Answered', '\\Flagged', '\\Deleted', '\\Draft'].map((flag) => [flag.toLowerCase(), flag]));
/** atom-specials (RFC 9051 9) that cannot be in a keyword, plus `\` outside system flags. */
const KEYWORD = /^[^\x00-\x20\x7f(){%*"\\\]]+$/;
const MAX_FLAGS = 100;
const MAX_KEYWORD_LENGTH = 100;

/** Flags from a STORE or APPEND argument: a list, or (RFC 3501) bare flags. */
export function parseFlags(args: readonly Arg[]): string[] | string {
  const items = args.length === 1 && args[0]!.kind === 'list' ? args[0]!.items : args;
  if (items.length > MAX_FLAGS) return 'Too many flags';
  const flags: string[] = [];
  for (const item of items) {
    if (item.kind !== 'atom') return 'Flags must be atoms';
    const value = item.value;
    if (value.startsWith('\\')) {
      const system = SYSTEM_FLAGS.get(value.toLowerCase());
      if (!system) return value.toLowerCase() === '\\recent' ? '\\Recent cannot be stored' : `Unknown system flag ${value.slice(0, 30)}`;
      if (!flags.includes(system)) flags.push(system);
    } else {
      if (!KEYWORD.test(value) || value.length > MAX_KEYWORD_LENGTH) return `Invalid keyword ${value.slice(0, 30)}`;
      if (!flags.includes(value)) flags.push(value);
    }
  }
  return flags;
}

function parseModifiers(arg: Arg | undefined): { unchangedSince?: number } | string | undefined {
  if (arg?.kind !== 'list') return undefined;
  const [name, value, extra] = arg.items;
  if (name?.kind !== 'atom' || name.value.toUpperCase() !== 'UNCHANGEDSINCE' || value?.kind !== 'atom' || extra) return 'Unknown STORE modifier';
  const since = Number(value.value);
  if (!/^\d{1,19}$/.test(value.value) || !Number.isSafeInteger(since)) return 'Invalid UNCHANGEDSINCE';
  return { unchangedSince: since };
}

/** `(FLAGS (...) UID n MODSEQ (m))` as the FETCH response to a STORE. */
function storeResponse(meta: MessageMeta, flags: readonly string[], uid: boolean, condstore: boolean): ImapValue[] {
  const items: ImapValue[] = [atom('FLAGS'), flags.map(atom)];
  if (uid) items.push(atom('UID'), meta.uid);
  if (condstore) items.push(atom('MODSEQ'), [meta.modseq]);
  return items;
}

async function runStore(session: Session, command: { uid: boolean; args: readonly Arg[] }): Promise<Completion> {
  const view = session.selected!;
  const [setArg, ...rest] = command.args;
  const modifiers = parseModifiers(rest[0]);
  if (typeof modifiers === 'string') return bad(modifiers);
  const afterModifiers = modifiers ? rest.slice(1) : rest;
  const [itemArg, ...flagArgs] = afterModifiers;
  if (itemArg?.kind !== 'atom' || flagArgs.length === 0) return bad('STORE takes a sequence set, an item and flags');
  const match = /^([+-]?)FLAGS(\.SILENT)?$/i.exec(itemArg.value);
  if (!match) return bad(`Unknown STORE item ${itemArg.value.slice(0, 30)}`);
  const flags = parseFlags(flagArgs);
  if (typeof flags === 'string') return bad(flags);
  const uids = messageSet(session, setArg, command.uid);
  if (view.readOnly) return no('Mailbox is read-only', 'READ-ONLY');
  const mode: FlagUpdateMode = match[1] === '+' ? 'add' : match[1] === '-' ? 'remove' : 'set';
  const silent = Boolean(match[2]);
  if (modifiers?.unchangedSince !== undefined) session.enabled.add('CONDSTORE');
  const result = uids.length
    ? await session.runtime.store.updateFlags(view.box, uids, mode, flags, modifiers?.unchangedSince !== undefined ? { unchangedSince: modifiers.unchangedSince } : undefined)
    : { updated: [], conflicts: [] };
  view.applyFlags(result.updated);
  const changed = new Map(result.updated.map((meta) => [meta.uid, meta]));
  const conflicts = new Set(result.conflicts);
  for (const uid of uids) {
    if (conflicts.has(uid)) continue;
    const meta = changed.get(uid) ?? view.meta(uid);
    const seq = view.seqOf(uid);
    if (!meta || !seq) continue;
    // .SILENT still reports MODSEQ changes to a CONDSTORE client (RFC 7162 3.1.3).
    if (silent && !(session.condstore && changed.has(uid))) continue;
    if (silent) session.untagged(`${seq} FETCH`, [[atom('UID'), uid, atom('MODSEQ'), [meta.modseq]]]);
    else session.untagged(`${seq} FETCH`, [storeResponse(meta, view.flagsFor(meta, session.enabled), command.uid, session.condstore)]);
  }
  if (conflicts.size) {
    const numbers = [...conflicts].map((uid) => (command.uid ? uid : view.seqOf(uid))).filter((n) => n > 0).sort((a, b) => a - b);
    return ok('Conditional STORE failed for some messages', `MODIFIED ${formatSequenceSet(numbers)}`);
  }
  return ok('STORE completed');
}

export const store: CommandSpec = {
  states: SELECTED,
  holdsUpdates: (command) => !command.uid,
  run: (session, command) => runStore(session, command),
};
