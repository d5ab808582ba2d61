import { filterBySequenceSet, formatSequenceSet, parseSequenceSet } from '../protocol/sequence.ts';
import type { Arg } from '../protocol/values.ts';
import { fetchFlags, SelectedMailbox } from '../selected.ts';
import type { Session } from '../session.ts';
import { formatListEntry, listResponses } from '../mailbox/list.ts';
import { mailboxArg } from './mailbox-arg.ts';
import { isPlainSequenceSet, parseSeqMatchData, type SeqMatchData, seqMatchFloor } from './qresync-match.ts';
import { AUTHENTICATED, bad, type CommandSpec, type Completion, ok, SELECTED } from './types.ts';

const SYSTEM_FLAGS = ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'];

interface QresyncParams {
  readonly uidValidity: number;
  readonly modseq: number;
  readonly knownUids?: string;
  readonly seqMatch?: SeqMatchData;
}

function parseSelectParams(arg: Arg | undefined): { condstore: boolean; qresync?: QresyncParams } | string {
  if (!arg) return { condstore: false };
  if (arg.kind !== 'list') return 'SELECT parameters must be a list';
  let condstore = false;
  let qresync: QresyncParams | undefined;
  for (let i = 0; i < arg.items.length; i++) {
    const item = arg.items[i]!;
    if (item.kind !== 'atom') return 'Invalid SELECT parameter';
    const name = item.value.toUpperCase();
    if (name === 'CONDSTORE') condstore = true;
    else if (name === 'QRESYNC') {
      const list = arg.items[++i];
      if (list?.kind !== 'list') return 'QRESYNC needs a parameter list';
      const [validity, modseq, known, match] = list.items;
      const uidValidity = validity?.kind === 'atom' ? Number(validity.value) : NaN;
      const since = modseq?.kind === 'atom' ? Number(modseq.value) : NaN;
      if (!Number.isSafeInteger(uidValidity) || uidValidity < 1 || !Number.isSafeInteger(since) || since < 1) return 'Invalid QRESYNC parameters';
      let knownUids: string | undefined;
      let seqMatch: SeqMatchData | undefined;
      if (known) {
        if (known.kind !== 'atom' || !isPlainSequenceSet(known.value)) return 'Invalid QRESYNC known UIDs';
        knownUids = known.value;
      }
      if (match) {
        const [seqs, uids] = match.kind === 'list' ? match.items : [];
        if (seqs?.kind !== 'atom' || uids?.kind !== 'atom') return 'Invalid QRESYNC sequence match data';
        const data = parseSeqMatchData(seqs.value, uids.value);
        if ('error' in data) return data.error;
        seqMatch = data;
      }
      qresync = { uidValidity, modseq: since, ...(knownUids ? { knownUids } : {}), ...(seqMatch ? { seqMatch } : {}) };
    } else return `Unknown SELECT parameter ${name.slice(0, 30)}`;
  }
  return qresync ? { condstore, qresync } : { condstore };
}

async function open(session: Session, args: readonly Arg[], readOnly: boolean): Promise<Completion> {
  const [nameArg, paramsArg, extra] = args;
  if (extra) return bad('Too many arguments');
  const name = mailboxArg(session, nameArg);
  const params = parseSelectParams(paramsArg);
  if (typeof params === 'string') return bad(params);
  if (params.qresync && !session.enabled.has('QRESYNC')) return bad('QRESYNC must be enabled first (ENABLE QRESYNC)');
  // RFC 9051 6.3.2: a failed SELECT leaves the session without a selected mailbox.
  session.deselect();
  if (params.condstore) session.enabled.add('CONDSTORE');
  const view = await SelectedMailbox.open(session.runtime.store, { user: session.user, mailbox: name }, readOnly, session.runtime.recent);
  session.selected = view;
  session.state = 'selected';

  const keywords = new Set<string>();
  let firstUnseen = 0;
  view.uids.forEach((uid, index) => {
    const meta = view.meta(uid)!;
    for (const flag of meta.flags) if (!flag.startsWith('\\')) keywords.add(flag);
    if (!firstUnseen && !meta.flags.includes('\\Seen')) firstUnseen = index + 1;
  });
  const flags = [...SYSTEM_FLAGS, ...keywords].join(' ');
  session.untagged(`${view.exists} EXISTS`);
  const rev2 = session.enabled.has('IMAP4REV2');
  if (!rev2) session.untagged(`${view.recentCount} RECENT`);
  session.untagged(`FLAGS (${flags})`);
  // RFC 9051 6.3.2: an IMAP4rev2 SELECT/EXAMINE must include the mailbox's LIST response
  // (with accurate attributes); a pattern equal to the name matches just that mailbox, since
  // mailbox names never contain wildcards.
  if (rev2) {
    const boxes = await session.runtime.store.listMailboxes(session.user);
    const request = { reference: '', patterns: [name], selection: { subscribed: false, remote: false, recursiveMatch: false, specialUse: false }, returns: { subscribed: true, children: true, specialUse: true }, extended: false };
    for (const entry of listResponses(boxes, request)) session.untagged('LIST', formatListEntry(entry, session.utf8, 'LIST'));
  }
  session.untagged(`OK [PERMANENTFLAGS (${readOnly ? '' : `${flags} \\*`})] ${readOnly ? 'No permanent flags in read-only mode' : 'Flags permitted'}`);
  if (!rev2 && firstUnseen) session.untagged(`OK [UNSEEN ${firstUnseen}] First unseen`);
  session.untagged(`OK [UIDVALIDITY ${view.uidValidity}] UIDs valid`);
  session.untagged(`OK [UIDNEXT ${view.uidNext}] Predicted next UID`);
  session.untagged(`OK [HIGHESTMODSEQ ${view.highestModseq}] Highest`);
  if (params.qresync && params.qresync.uidValidity === view.uidValidity) await resync(session, view, params.qresync);
  return ok(`${readOnly ? 'EXAMINE' : 'SELECT'} completed`, readOnly ? 'READ-ONLY' : 'READ-WRITE');
}

/** RFC 7162 3.2.5: what changed since the client's last known modseq, as VANISHED (EARLIER) and FETCH. */
async function resync(session: Session, view: SelectedMailbox, params: QresyncParams): Promise<void> {
  let expunged = await session.runtime.store.expungedSince(view.box, params.modseq);
  if (params.seqMatch) {
    const floor = seqMatchFloor(params.seqMatch, (seq) => view.uids[seq - 1]);
    expunged = expunged.filter((uid) => uid > floor);
  }
  if (params.knownUids) {
    const known = parseSequenceSet(params.knownUids)!;
    expunged = filterBySequenceSet(known, [...expunged].sort((a, b) => a - b), Math.max(view.uidNext, ...expunged, 1));
  }
  if (expunged.length) session.untagged(`VANISHED (EARLIER) ${formatSequenceSet([...expunged].sort((a, b) => a - b))}`);
  view.uids.forEach((uid, index) => {
    const meta = view.meta(uid)!;
    if (meta.modseq > params.modseq) session.untagged(`${index + 1} FETCH`, [fetchFlags(meta, view.flagsFor(meta, session.enabled), true)]);
  });
}

export const select: CommandSpec = {
  states: AUTHENTICATED,
  run: (session, command) => open(session, command.args, false),
};

export const examine: CommandSpec = {
  states: AUTHENTICATED,
  run: (session, command) => open(session, command.args, true),
};

export const close: CommandSpec = {
  states: SELECTED,
  async run(session, command) {
    if (command.args.length) return bad('CLOSE takes no arguments');
    const view = session.selected!;
    // CLOSE expunges silently (RFC 9051 6.4.1); EXAMINE'd mailboxes are left alone.
    if (!view.readOnly) await session.runtime.store.expunge(view.box);
    session.deselect();
    return ok('CLOSE completed');
  },
};

export const unselect: CommandSpec = {
  states: SELECTED,
  async run(session, command) {
    if (command.args.length) return bad('UNSELECT takes no arguments');
    session.deselect();
    return ok('UNSELECT completed');
  },
};
