import type { MailboxChange, MailboxSelector, MailboxStatus, MailStore, MessageMeta } from '@posthorn/contracts';
import { formatSequenceSet } from './protocol/sequence.ts';
import type { RecentClaims, RecentKey } from './recent-claims.ts';
import { atom, type ImapValue } from './protocol/values.ts';

/** What the view needs from its session to report changes. */
export interface UpdateSink {
  readonly condstore: boolean;
  readonly enabled: ReadonlySet<string>;
  untagged(text: string, values?: readonly ImapValue[]): void;
}

/**
 * A session's view of its selected mailbox: message sequence numbers as this client knows
 * them, and the changes other sessions and deliveries made that it has not been told yet.
 * Changes arrive from the store's watch at any time; they are applied to the view only when
 * they are reported (flush), so sequence numbers never shift under a running command.
 */
export class SelectedMailbox {
  readonly box: MailboxSelector;
  readonly readOnly: boolean;
  readonly uidValidity: number;
  #uids: number[];
  readonly #meta = new Map<number, MessageMeta>();
  #highestModseq: number;
  #pending: MailboxChange[] = [];
  readonly #unwatch: () => void;
  #waiter: (() => void) | undefined;
  #closed = false;
  readonly #claims: RecentClaims;
  readonly #recentKey: RecentKey;
  /** Messages that are \Recent to this session (RFC 3501 2.3.2). */
  readonly #recent: Set<number>;

  /** The store's UIDNEXT when the mailbox was opened: UIDs of expunged messages are not reused. */
  readonly #openedUidNext: number;

  private constructor(box: MailboxSelector, readOnly: boolean, status: MailboxStatus, messages: readonly MessageMeta[], store: MailStore, claims: RecentClaims) {
    this.box = box;
    this.readOnly = readOnly;
    this.uidValidity = status.uidValidity;
    this.#highestModseq = status.highestModseq;
    this.#openedUidNext = status.uidNext;
    this.#uids = messages.map((message) => message.uid);
    for (const message of messages) this.#meta.set(message.uid, message);
    this.#claims = claims;
    this.#recentKey = { ...box, uidValidity: status.uidValidity };
    this.#recent = new Set(claims.open(this.#recentKey, messages, status.uidNext, !readOnly));
    this.#unwatch = store.watch(box, (change) => {
      this.#pending.push(change);
      this.#wake();
    });
  }

  /** Watches first, then lists, so nothing committed in between is missed (duplicates are ignored). */
  static async open(store: MailStore, box: MailboxSelector, readOnly: boolean, claims: RecentClaims): Promise<SelectedMailbox> {
    const status = await store.status(box);
    const holder: { view?: SelectedMailbox } = {};
    const early: MailboxChange[] = [];
    const unwatch = store.watch(box, (change) => (holder.view ? undefined : early.push(change)));
    try {
      const messages = await store.listMessages(box);
      const view = new SelectedMailbox(box, readOnly, status, messages, store, claims);
      holder.view = view;
      view.#pending.push(...early);
      return view;
    } finally {
      unwatch();
    }
  }

  get exists(): number {
    return this.#uids.length;
  }

  get uids(): readonly number[] {
    return this.#uids;
  }

  get highestModseq(): number {
    return this.#highestModseq;
  }

  /** UIDNEXT as this session knows it: past every UID it has seen, and never below the store's at SELECT. */
  get uidNext(): number {
    return Math.max(this.#openedUidNext, (this.#uids.at(-1) ?? 0) + 1);
  }

  meta(uid: number): MessageMeta | undefined {
    return this.#meta.get(uid);
  }

  /** How many messages are \Recent to this session. */
  get recentCount(): number {
    return this.#recent.size;
  }

  /** The UIDs that are \Recent to this session (SEARCH RECENT, NEW, OLD). */
  get recent(): ReadonlySet<number> {
    return this.#recent;
  }

  /**
   * The flags FETCH reports for a message: the stored ones, plus \Recent for an IMAP4rev1
   * session it is recent to (RFC 9051 dropped \Recent, so rev2 sessions never see it).
   */
  flagsFor(meta: MessageMeta, enabled: ReadonlySet<string>): readonly string[] {
    if (this.#recent.size === 0 || enabled.has('IMAP4REV2') || !this.#recent.has(meta.uid)) return meta.flags;
    return [...meta.flags, '\\Recent'];
  }

  /** The sequence number of a UID in this view, or 0. */
  seqOf(uid: number): number {
    const uids = this.#uids;
    let low = 0;
    let high = uids.length - 1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const at = uids[mid]!;
      if (at === uid) return mid + 1;
      if (at < uid) low = mid + 1;
      else high = mid - 1;
    }
    return 0;
  }

  /** Records flags this session changed itself (its own response reports them). */
  applyFlags(messages: readonly MessageMeta[]): void {
    for (const message of messages) {
      if (this.#meta.has(message.uid)) this.#meta.set(message.uid, message);
      if (message.modseq > this.#highestModseq) this.#highestModseq = message.modseq;
    }
  }

  /** Removes messages this session expunged itself; returns their sequence numbers, as reported in order. */
  applyExpunge(uids: readonly number[]): number[] {
    const reported: number[] = [];
    for (const uid of [...uids].sort((a, b) => b - a)) {
      const seq = this.seqOf(uid);
      if (!seq) continue;
      this.#uids.splice(seq - 1, 1);
      this.#meta.delete(uid);
      this.#recent.delete(uid);
      reported.push(seq);
    }
    return reported;
  }

  /**
   * Sends the pending changes: expunges, then flag changes, then the new message count.
   * Messages that arrive and go (or change) within one batch were never announced: the client
   * hears nothing of them, since an EXPUNGE or FETCH may only name a message it knows.
   */
  flush(sink: UpdateSink): void {
    if (this.#pending.length === 0) return;
    const changes = this.#pending;
    this.#pending = [];
    const vanished: number[] = [];
    const qresync = sink.enabled.has('QRESYNC');
    const arrived = new Set<number>();
    const flagged = new Set<number>();
    let gone = false;
    const remove = (uid: number, seq: number): void => {
      this.#uids.splice(seq - 1, 1);
      this.#meta.delete(uid);
      this.#recent.delete(uid);
      flagged.delete(uid);
      if (arrived.delete(uid)) return;
      if (qresync) vanished.push(uid);
      else sink.untagged(`${seq} EXPUNGE`);
    };
    for (const change of changes) {
      if (change.type === 'expunge') {
        if (change.modseq > this.#highestModseq) this.#highestModseq = change.modseq;
        const seq = this.seqOf(change.uid);
        if (seq) remove(change.uid, seq);
      } else if (change.type === 'exists') {
        const { message } = change;
        if (message.modseq > this.#highestModseq) this.#highestModseq = message.modseq;
        if (message.uid <= (this.#uids.at(-1) ?? 0)) continue;
        this.#uids.push(message.uid);
        this.#meta.set(message.uid, message);
        arrived.add(message.uid);
      } else if (change.type === 'flags') {
        const { message } = change;
        if (message.modseq > this.#highestModseq) this.#highestModseq = message.modseq;
        const current = this.#meta.get(message.uid);
        if (!current || current.modseq >= message.modseq) continue;
        this.#meta.set(message.uid, message);
        if (!arrived.has(message.uid)) flagged.add(message.uid);
      } else {
        // Deleted or renamed by another session: every message is gone from this name.
        for (let seq = this.#uids.length; seq > 0; seq--) remove(this.#uids[seq - 1]!, seq);
        gone = true;
      }
    }
    if (vanished.length) sink.untagged(`VANISHED ${formatSequenceSet(vanished.sort((a, b) => a - b))}`);
    // An untagged NO is a warning (RFC 9051 7.1.2): the client learns why its mailbox emptied.
    if (gone) sink.untagged('NO [NONEXISTENT] The selected mailbox was deleted or renamed');
    for (const uid of flagged) {
      const seq = this.seqOf(uid);
      const message = this.#meta.get(uid);
      if (seq && message) sink.untagged(`${seq} FETCH`, [fetchFlags(message, this.flagsFor(message, sink.enabled), sink.condstore)]);
    }
    if (arrived.size === 0) return;
    for (const uid of this.#claims.arrived(this.#recentKey, [...arrived], !this.readOnly)) this.#recent.add(uid);
    sink.untagged(`${this.#uids.length} EXISTS`);
    // RFC 3501 7.3.2: the \Recent count goes with a change in size (IMAP4rev2 has no \Recent).
    if (!sink.enabled.has('IMAP4REV2')) sink.untagged(`${this.#recent.size} RECENT`);
  }

  /** Resolves when a change is pending (IDLE), or when interrupted. */
  waitForChange(): Promise<void> {
    if (this.#pending.length || this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.#waiter = resolve;
    });
  }

  get hasPending(): boolean {
    return this.#pending.length > 0;
  }

  interruptIdle(): void {
    this.#wake();
  }

  close(): void {
    this.#closed = true;
    this.#unwatch();
    this.#wake();
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.();
  }
}

/** `(UID n FLAGS (...) [MODSEQ (m)])` for an unsolicited flag change. */
export function fetchFlags(message: MessageMeta, flags: readonly string[], condstore: boolean): ImapValue[] {
  const items: ImapValue[] = [atom('UID'), message.uid, atom('FLAGS'), flags.map(atom)];
  if (condstore) items.push(atom('MODSEQ'), [message.modseq]);
  return items;
}
