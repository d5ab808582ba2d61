import { serviceToken } from './service.ts';

/** RFC 6154 special-use attributes; the store creates one mailbox of each for a new account. */
export type SpecialUse = '\\Sent' | '\\Drafts' | '\\Trash' | '\\Junk' | '\\Archive';

/** System flags (RFC 9051 2.3.2); any other atom is a keyword. `\Recent` is not stored. */
export type SystemFlag = '\\Seen' | '\\Answered' | '\\Flagged' | '\\Deleted' | '\\Draft';

export interface MailboxStatus {
  /** Changes only when UIDs are reassigned; together with a UID it names a message forever. */
  readonly uidValidity: number;
  /** The UID the next message will get; UIDs strictly ascend and are never reused. */
  readonly uidNext: number;
  /** Highest modification sequence of any change in the mailbox (RFC 7162). */
  readonly highestModseq: number;
  readonly messages: number;
  readonly unseen: number;
  /** Total size in bytes of the messages in this mailbox. */
  readonly size: number;
}

export interface MailboxInfo extends MailboxStatus {
  /** Full name, hierarchy delimiter `/`, UTF-8 (IMAP's modified UTF-7 is the protocol's business). */
  readonly name: string;
  readonly specialUse?: SpecialUse;
  readonly subscribed: boolean;
}

export interface MessageMeta {
  readonly uid: number;
  /**
   * Stable, unique id of the stored message (POP3 UIDL). It does not change with flags, and a
   * copy into another mailbox gets a new one.
   */
  readonly id: string;
  readonly flags: readonly string[];
  readonly modseq: number;
  /** INTERNALDATE: when the message arrived (delivery) or the date given to APPEND. */
  readonly internalDate: Date;
  readonly size: number;
}

export interface AppendOptions {
  readonly flags?: readonly string[];
  readonly internalDate?: Date;
  /**
   * Idempotency key: an append with a key the mailbox has already seen returns the first
   * result instead of storing a second copy. The queue uses it so a retried delivery after a
   * crash never duplicates a message.
   */
  readonly dedupeKey?: string;
}

export interface AppendResult {
  readonly uidValidity: number;
  readonly uid: number;
  readonly id: string;
  /** True when the dedupe key matched and nothing new was stored. */
  readonly duplicate: boolean;
}

export type FlagUpdateMode = 'add' | 'remove' | 'set';

export interface FlagUpdateResult {
  /** Messages whose flags changed, with their new flags and modseq. */
  readonly updated: readonly MessageMeta[];
  /** UIDs refused by UNCHANGEDSINCE (RFC 7162 3.1.3): modified after the given modseq. */
  readonly conflicts: readonly number[];
}

export interface CopyResult {
  readonly uidValidity: number;
  /** Pairs of [source UID, destination UID], in source UID order (UIDPLUS COPYUID). */
  readonly mapping: readonly (readonly [number, number])[];
}

/** One change in a mailbox, pushed to watchers (IMAP IDLE, concurrent sessions). */
export type MailboxChange =
  | { readonly type: 'exists'; readonly message: MessageMeta }
  | { readonly type: 'flags'; readonly message: MessageMeta }
  | { readonly type: 'expunge'; readonly uid: number; readonly modseq: number }
  | { readonly type: 'deleted' };

export interface MailboxSelector {
  readonly user: string;
  readonly mailbox: string;
}

/**
 * Mailboxes of local accounts: used by local delivery, POP3 and IMAP.
 *
 * Every operation is atomic: a crash never leaves a message visible with half its metadata,
 * and append/copy/move assign UIDs and modseqs in one step. Errors carry a `code`:
 * `NONEXISTENT`, `ALREADYEXISTS`, `CANNOT` (e.g. deleting INBOX), `OVERQUOTA`, `INUSE`.
 */
export interface MailStore {
  /** Creates the account's INBOX and special-use mailboxes if missing. Idempotent. */
  ensureAccount(user: string): Promise<void>;

  listMailboxes(user: string): Promise<MailboxInfo[]>;
  createMailbox(user: string, name: string, options?: { readonly specialUse?: SpecialUse }): Promise<void>;
  /** Deletes a mailbox and its messages; INBOX cannot be deleted. */
  deleteMailbox(user: string, name: string): Promise<void>;
  /** Renames a mailbox and its children; renaming INBOX moves its messages (RFC 9051 6.3.6). */
  renameMailbox(user: string, from: string, to: string): Promise<void>;
  setSubscribed(user: string, name: string, subscribed: boolean): Promise<void>;
  status(box: MailboxSelector): Promise<MailboxStatus>;

  append(box: MailboxSelector, message: Buffer, options?: AppendOptions): Promise<AppendResult>;
  /** Metadata of the messages in UID order; `changedSince` limits to modseq > value (CONDSTORE). */
  listMessages(box: MailboxSelector, options?: { readonly uids?: readonly number[]; readonly changedSince?: number }): Promise<MessageMeta[]>;
  /** The raw message, or the byte range [start, end) of it. */
  readMessage(box: MailboxSelector, uid: number, range?: { readonly start: number; readonly end?: number }): Promise<Buffer>;
  updateFlags(
    box: MailboxSelector,
    uids: readonly number[],
    mode: FlagUpdateMode,
    flags: readonly string[],
    options?: { readonly unchangedSince?: number },
  ): Promise<FlagUpdateResult>;
  /** Removes the given messages (all `\Deleted` ones when `uids` is absent); returns the UIDs removed. */
  expunge(box: MailboxSelector, uids?: readonly number[]): Promise<number[]>;
  copy(from: MailboxSelector, uids: readonly number[], to: string): Promise<CopyResult>;
  move(from: MailboxSelector, uids: readonly number[], to: string): Promise<CopyResult>;
  /** UIDs expunged with a modseq above `sinceModseq` (QRESYNC VANISHED). */
  expungedSince(box: MailboxSelector, sinceModseq: number): Promise<number[]>;
  /** Bytes and messages used by an account, for QUOTA. */
  usage(user: string): Promise<{ readonly bytes: number; readonly messages: number }>;

  /** Subscribes to changes of one mailbox; returns the unsubscribe function. */
  watch(box: MailboxSelector, listener: (change: MailboxChange) => void): () => void;
  /**
   * Exclusive access for a session that must not share a mailbox (POP3 maildrop lock).
   * Resolves to a release function, or rejects with code `INUSE`.
   */
  lock(box: MailboxSelector, owner: string): Promise<() => void>;
}

export const Mailboxes = serviceToken<MailStore>('posthorn.mailstore', 'Mailbox store of local accounts');
