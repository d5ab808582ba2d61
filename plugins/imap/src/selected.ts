import type { MailboxChange, MailboxSelector, MailboxStatus, MailStore, MessageMeta } from '@posthorn/contracts';
import { formatSequenceSet } from './protocol/sequence.ts';
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

  /** The store's UIDNEXT when the mailbox was opened: UIDs of expunged messages are not reused. */
  readonly #openedUidNext: number;

  private constructor(box: MailboxSelector, readOnly: boolean, status: MailboxStatus, messages: readonly MessageMeta[], store: MailStore) {
    this.box = box;
    this.readOnly = readOnly;
    this.uidValidity = status.uidValidity;
    this.#highestModseq = status.highestModseq;
    this.#openedUidNext = status.uidNext;
    this.#uids = messages.map((message) => message.uid);
    for (const message of messages) this.#meta.set(message.uid, message);
    this.#unwatch = store.watch(box, (change) => {
      this.#pending.push(change);
      this.#wake();
    });
  }

  /** Watches first, then lists, so nothing committed in between is missed (duplicates are ignored). */
  static async open(store: MailStore, box: MailboxSelector, readOnly: boolean): Promise<SelectedMailbox> {
    const status = await store.status(box);
    const holder: { view?: SelectedMailbox } = {};
    const early: MailboxChange[] = [];
    const unwatch = store.watch(box, (change) => (holder.view ? undefined : early.push(change)));
    try {
      const messages = await store.listMessages(box);
      const view = new SelectedMailbox(box, readOnly, status, messages, store);
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
      reported.push(seq);
    }
    return reported;
  }

  /** Sends the pending changes: expunges, then flag changes, then the new message count. */
  flush(sink: UpdateSink): void {
    if (this.#pending.length === 0) return;
    const changes = this.#pending;
    this.#pending = [];
    const vanished: number[] = [];
    const qresync = sink.enabled.has('QRESYNC');
    const startCount = this.#uids.length;
    let added = false;
    const flagged = new Set<number>();
    for (const change of changes) {
      if (change.type === 'expunge') {
        if (change.modseq > this.#highestModseq) this.#highestModseq = change.modseq;
        const seq = this.seqOf(change.uid);
        if (!seq) continue;
        this.#uids.splice(seq - 1, 1);
        this.#meta.delete(change.uid);
        flagged.delete(change.uid);
        if (qresync) vanished.push(change.uid);
        else sink.untagged(`${seq} EXPUNGE`);
      } else if (change.type === 'exists') {
        const { message } = change;
        if (message.modseq > this.#highestModseq) this.#highestModseq = message.modseq;
        if (message.uid <= (this.#uids.at(-1) ?? 0)) continue;
        this.#uids.push(message.uid);
        this.#meta.set(message.uid, message);
        added = true;
      } else if (change.type === 'flags') {
        const { message } = change;
        if (message.modseq > this.#highestModseq) this.#highestModseq = message.modseq;
        const known = this.#meta.get(message.uid);
        if (!known || known.modseq >= message.modseq) continue;
        this.#meta.set(message.uid, message);
        flagged.add(message.uid);
      } else {
        // The mailbox was deleted under us: every message is gone.
        for (const uid of [...this.#uids].reverse()) {
          if (qresync) vanished.push(uid);
          else sink.untagged(`${this.#uids.length} EXPUNGE`);
          this.#uids.pop();
          this.#meta.delete(uid);
        }
        flagged.clear();
      }
    }
    if (vanished.length) sink.untagged(`VANISHED ${formatSequenceSet(vanished.sort((a, b) => a - b))}`);
    for (const uid of flagged) {
      const seq = this.seqOf(uid);
      const message = this.#meta.get(uid);
      if (seq && message) sink.untagged(`${seq} FETCH`, [fetchFlags(message, sink.condstore)]);
    }
    if (added || this.#uids.length > startCount) sink.untagged(`${this.#uids.length} EXISTS`);
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
export function fetchFlags(message: MessageMeta, condstore: boolean): ImapValue[] {
  const items: ImapValue[] = [atom('UID'), message.uid, atom('FLAGS'), message.flags.map(atom)];
  if (condstore) items.push(atom('MODSEQ'), [message.modseq]);
  return items;
}
