import type { MessageMeta } from '@posthorn/contracts';
import { type FetchItem, needsMessage, parseFetchItems, responseName, setsSeen } from '../message/fetch-items.ts';
import { flagListText, metaItemText } from '../message/fetch-meta.ts';
import { type FetchUnknownCte, fetchValue } from '../message/fetch-values.ts';
import { formatSequenceSet, parseSequenceSet, filterBySequenceSet } from '../protocol/sequence.ts';
import type { ParsedCommand } from '../protocol/parser.ts';
import { type Arg, type ImapValue, isAtomArg } from '../protocol/values.ts';
import { ResponseBuilder } from '../protocol/writer.ts';
import type { SelectedMailbox } from '../selected.ts';
import type { Session } from '../session.ts';
import { messageSet } from './message-set.ts';
import { bad, type CommandSpec, type Completion, no, ok, SELECTED } from './types.ts';

/** Bytes of FETCH responses collected before they are written. */
const WRITE_BATCH = 64 * 1024;

interface Modifiers {
  readonly changedSince?: number;
  readonly vanished: boolean;
}

function parseModifiers(arg: Arg | undefined): Modifiers | string {
  if (!arg) return { vanished: false };
  if (arg.kind !== 'list') return 'FETCH modifiers must be a list';
  let changedSince: number | undefined;
  let vanished = false;
  for (let i = 0; i < arg.items.length; i++) {
    const item = arg.items[i]!;
    const name = item.kind === 'atom' ? item.value.toUpperCase() : '';
    if (name === 'CHANGEDSINCE') {
      const value = arg.items[++i];
      // mod-sequence-value (RFC 7162 7): 1 and up; 0 is only for UNCHANGEDSINCE and SEARCH MODSEQ.
      if (value?.kind !== 'atom' || !/^[1-9]\d{0,18}$/.test(value.value) || !Number.isSafeInteger(Number(value.value))) return 'Invalid CHANGEDSINCE';
      changedSince = Number(value.value);
    } else if (name === 'VANISHED') vanished = true;
    else return 'Unknown FETCH modifier';
  }
  return changedSince === undefined ? { vanished } : { changedSince, vanished };
}

async function runFetch(session: Session, command: ParsedCommand): Promise<Completion> {
  const view = session.selected!;
  const [setArg, itemsArg, modifiersArg, extra] = command.args;
  if (!itemsArg || extra) return bad('FETCH takes a sequence set, items and optional modifiers');
  const parsed = parseFetchItems([itemsArg]);
  if ('error' in parsed) return bad(parsed.error);
  const modifiers = parseModifiers(modifiersArg);
  if (typeof modifiers === 'string') return bad(modifiers);
  if (modifiers.vanished && (!command.uid || modifiers.changedSince === undefined || !session.enabled.has('QRESYNC'))) {
    return bad('VANISHED needs UID FETCH, CHANGEDSINCE and QRESYNC enabled');
  }
  const uids = messageSet(session, setArg, command.uid);
  let items = parsed;
  if (modifiers.changedSince !== undefined || items.some((item) => item.kind === 'MODSEQ')) session.enabled.add('CONDSTORE');
  // UID FETCH always answers with the UID; CHANGEDSINCE with the MODSEQ (RFC 7162 3.1.4.1).
  if (command.uid && !items.some((item) => item.kind === 'UID')) items = [{ kind: 'UID' }, ...items];
  if (modifiers.changedSince !== undefined && !items.some((item) => item.kind === 'MODSEQ')) items = [...items, { kind: 'MODSEQ' }];

  const { store, cache } = session.runtime;
  if (modifiers.vanished && isAtomArg(setArg)) {
    const expunged = await store.expungedSince(view.box, modifiers.changedSince!);
    // messageSet() above has checked the set; `$` names no expunged UID.
    const set = parseSequenceSet(setArg.value)!;
    const named = filterBySequenceSet(set, expunged, Math.max(view.uids.at(-1) ?? 0, expunged.at(-1) ?? 0));
    if (named.length) session.untagged(`VANISHED (EARLIER) ${formatSequenceSet(named)}`);
  }

  let targets = uids;
  if (modifiers.changedSince !== undefined) targets = targets.filter((uid) => (view.meta(uid)?.modseq ?? 0) > modifiers.changedSince!);

  // Reading a body in a read-write mailbox sets \Seen (RFC 9051 6.4.5); FLAGS is then reported.
  const marksSeen = !view.readOnly && items.some(setsSeen);
  const seenNow = new Set<number>();
  if (marksSeen) {
    const unseen = targets.filter((uid) => !view.meta(uid)?.flags.includes('\\Seen'));
    if (unseen.length) {
      const result = await store.updateFlags(view.box, unseen, 'add', ['\\Seen']);
      view.applyFlags(result.updated);
      for (const meta of result.updated) seenNow.add(meta.uid);
    }
  }

  const needsBody = items.some(needsMessage);
  // Messages whose \Seen this command set report their FLAGS even when not asked for.
  const withFlags = items.some((item) => item.kind === 'FLAGS') ? items : [...items, { kind: 'FLAGS' } as FetchItem];
  const names = items.map((item) => `${responseName(item)} `);
  const namesWithFlags = withFlags.map((item) => `${responseName(item)} `);
  // One builder collects the responses of a whole batch, so their text becomes one buffer
  // and one write per ~64 KB, not one per message (FETCH FLAGS over a big mailbox).
  const out = new ResponseBuilder();
  let missing = 0;
  const flush = async () => {
    session.write(out.take());
    await session.connection.drained();
  };
  // The targets ascend, as the view's UIDs do: walking both finds each sequence number
  // without a search; a UID not where the walk expects it is looked up.
  const viewUids = view.uids;
  let cursor = 0;
  for (const uid of targets) {
    const meta = view.meta(uid);
    while (cursor < viewUids.length && viewUids[cursor]! < uid) cursor++;
    const seq = viewUids[cursor] === uid ? cursor + 1 : view.seqOf(uid);
    if (!meta || !seq) continue;
    const list = seenNow.has(uid) ? withFlags : items;
    const listNames = list === items ? names : namesWithFlags;
    if (!needsBody) {
      // Metadata only (FETCH FLAGS and the like): the whole response is text.
      let rest = '';
      for (let i = 1; i < list.length; i++) rest += ` ${listNames[i]}${metaText(list[i]!, meta, view, session.enabled)}`;
      out.text(`* ${seq} FETCH (${listNames[0]}${metaText(list[0]!, meta, view, session.enabled)}${rest})\r\n`);
    } else {
      let message;
      try {
        message = await cache.get(store, view.box, uid, meta.id);
      } catch (err) {
        if ((err as { code?: string }).code === 'NONEXISTENT') {
          // Expunged by another session; this one learns of it at its next update.
          missing++;
          continue;
        }
        throw err;
      }
      // Every value first: an unknown transfer encoding ends the command before this response.
      const texts: (string | undefined)[] = [];
      const values: ImapValue[] = [];
      for (const item of list) {
        const text = metaText(item, meta, view, session.enabled);
        const value = text === undefined ? fetchValue(item, message.raw, message.structure) : null;
        if (isUnknownCte(value)) {
          await flush();
          return no(value.text, 'UNKNOWN-CTE');
        }
        texts.push(text);
        values.push(value ?? null);
      }
      out.text(`* ${seq} FETCH (`);
      for (let i = 0; i < list.length; i++) {
        out.text(i ? ` ${listNames[i]}` : listNames[i]!);
        const text = texts[i];
        if (text === undefined) out.value(values[i]!);
        else out.text(text);
      }
      out.text(')').end();
    }
    // The wait for the client to read keeps a huge FETCH from piling up in memory.
    if (out.size >= WRITE_BATCH) await flush();
  }
  await flush();
  if (missing) return no('Some messages were expunged meanwhile', 'EXPUNGEISSUED');
  return ok('FETCH completed');
}

function isUnknownCte(value: ImapValue | FetchUnknownCte | undefined): value is FetchUnknownCte {
  return typeof value === 'object' && value !== null && !Buffer.isBuffer(value) && 'error' in value;
}

/** The response text of an item that comes from the store's metadata, or undefined for those read from the message. */
function metaText(item: FetchItem, meta: MessageMeta, view: SelectedMailbox, enabled: ReadonlySet<string>): string | undefined {
  return item.kind === 'FLAGS' ? flagListText(view.flagsFor(meta, enabled)) : metaItemText(item, meta);
}

export const fetch: CommandSpec = {
  states: SELECTED,
  holdsUpdates: (command) => !command.uid,
  run: runFetch,
};
