/**
 * Who has been told of which messages, for IMAP4rev1's \Recent (RFC 3501 2.3.2): a message is
 * recent to the first read-write session told of it, and to no session after that. Since UIDs
 * only grow, "told of" is one number per mailbox: the highest UID a read-write session has
 * claimed. It is kept in memory for the life of the process, as the store keeps no record of
 * what sessions were told; a mailbox this process has not opened yet counts the messages that
 * arrived (by internal date) since the process started as not yet told of.
 *
 * The map is bounded: the mailboxes used least recently are forgotten first, and a forgotten
 * one is treated as not yet opened (its arrivals since the start may show as recent again).
 */
export class RecentClaims {
  /** In order of last use, least recent first (a Map keeps insertion order). */
  readonly #claimed = new Map<string, number>();
  /** Whole seconds, so a store that keeps internal dates in seconds compares the same way. */
  readonly #startedAt: number;
  readonly #maxMailboxes: number;

  constructor(startedAt = new Date(), maxMailboxes = 100_000) {
    this.#startedAt = Math.floor(startedAt.getTime() / 1000) * 1000;
    this.#maxMailboxes = maxMailboxes;
  }

  /** The UIDs (ascending) that are recent to a session opening the mailbox now. */
  open(key: RecentKey, messages: readonly ArrivedMessage[], uidNext: number, claim: boolean): number[] {
    const id = keyOf(key);
    return this.#take(id, this.#baseline(id, messages, uidNext), messages.map((message) => message.uid), claim);
  }

  /** New arrivals reported to a session (ascending UIDs): the ones no read-write session was told of first. */
  arrived(key: RecentKey, uids: readonly number[], claim: boolean): number[] {
    const id = keyOf(key);
    return this.#take(id, this.#get(id) ?? 0, uids, claim);
  }

  /** How many of a mailbox's messages no read-write session has been told of (STATUS RECENT). */
  count(key: RecentKey, messages: readonly ArrivedMessage[], uidNext: number): number {
    const claimed = this.#baseline(keyOf(key), messages, uidNext);
    let count = 0;
    for (let i = messages.length - 1; i >= 0 && messages[i]!.uid > claimed; i--) count++;
    return count;
  }

  /** What was claimed; for a mailbox seen for the first time, every message from before the start. */
  #baseline(id: string, messages: readonly ArrivedMessage[], uidNext: number): number {
    let claimed = this.#get(id);
    if (claimed === undefined) {
      const firstNew = messages.find((message) => message.internalDate.getTime() >= this.#startedAt);
      claimed = (firstNew?.uid ?? uidNext) - 1;
      this.#set(id, claimed);
    }
    return claimed;
  }

  /** Reads a mailbox's claim and marks it as the most recently used. */
  #get(id: string): number | undefined {
    const claimed = this.#claimed.get(id);
    if (claimed !== undefined) {
      this.#claimed.delete(id);
      this.#claimed.set(id, claimed);
    }
    return claimed;
  }

  #set(id: string, claimed: number): void {
    this.#claimed.delete(id);
    this.#claimed.set(id, claimed);
    if (this.#claimed.size > this.#maxMailboxes) this.#claimed.delete(this.#claimed.keys().next().value!);
  }

  #take(id: string, claimed: number, uids: readonly number[], claim: boolean): number[] {
    const recent: number[] = [];
    for (let i = uids.length - 1; i >= 0 && uids[i]! > claimed; i--) recent.push(uids[i]!);
    recent.reverse();
    if (claim && recent.length) this.#set(id, recent.at(-1)!);
    return recent;
  }
}

/** A mailbox as one incarnation: a new UIDVALIDITY (deleted and created again) starts afresh. */
export interface RecentKey {
  readonly user: string;
  readonly mailbox: string;
  readonly uidValidity: number;
}

export interface ArrivedMessage {
  readonly uid: number;
  readonly internalDate: Date;
}

function keyOf(key: RecentKey): string {
  return `${key.user}\0${key.mailbox}\0${key.uidValidity}`;
}
