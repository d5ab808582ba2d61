import type { MailboxSelector, MailStore, MessageMeta } from '@posthorn/contracts';

/**
 * One session's view of the maildrop (RFC 1939 4-6): the messages as the store's index listed
 * them at login, numbered from 1 in UID order, and the ones marked deleted. Numbers, sizes and
 * unique ids come from that listing (no file is opened for STAT, LIST or UIDL). Messages that
 * arrive during the session are not seen until the next one, as RFC 1939 has it. Nothing
 * happens to the store before commit(), which only QUIT calls.
 */
export class Maildrop {
  readonly box: MailboxSelector;
  readonly #store: MailStore;
  readonly #messages: readonly MessageMeta[];
  readonly #deleted = new Set<number>();
  #octets = 0;

  private constructor(store: MailStore, box: MailboxSelector, messages: readonly MessageMeta[]) {
    this.#store = store;
    this.box = box;
    this.#messages = messages;
    for (const message of messages) this.#octets += message.size;
  }

  static async open(store: MailStore, box: MailboxSelector): Promise<Maildrop> {
    return new Maildrop(store, box, await store.listMessages(box));
  }

  /** Messages not marked deleted. */
  get count(): number {
    return this.#messages.length - this.#deleted.size;
  }

  /** Their size in octets, as stored. */
  get octets(): number {
    return this.#octets;
  }

  get deletedCount(): number {
    return this.#deleted.size;
  }

  /** The message with this number, unless there is none or it is marked deleted. */
  message(number: number): MessageMeta | undefined {
    if (this.#deleted.has(number)) return undefined;
    return this.#messages[number - 1];
  }

  isDeleted(number: number): boolean {
    return this.#deleted.has(number);
  }

  /** Marks a message deleted; false when there is no such message or it already is. */
  delete(number: number): boolean {
    const message = this.message(number);
    if (!message) return false;
    this.#deleted.add(number);
    this.#octets -= message.size;
    return true;
  }

  /** RSET: every mark undone. */
  reset(): void {
    for (const number of this.#deleted) this.#octets += this.#messages[number - 1]!.size;
    this.#deleted.clear();
  }

  /** [number, message] for every message not marked deleted, in order. */
  *entries(): Generator<[number, MessageMeta]> {
    for (let i = 0; i < this.#messages.length; i++) if (!this.#deleted.has(i + 1)) yield [i + 1, this.#messages[i]!];
  }

  /** The UPDATE state: removes the marked messages from the store; returns how many it removed. */
  async commit(): Promise<{ readonly requested: number; readonly removed: number }> {
    if (this.#deleted.size === 0) return { requested: 0, removed: 0 };
    const uids = [...this.#deleted].sort((a, b) => a - b).map((number) => this.#messages[number - 1]!.uid);
    const removed = await this.#store.expunge(this.box, uids);
    return { requested: uids.length, removed: removed.length };
  }
}
