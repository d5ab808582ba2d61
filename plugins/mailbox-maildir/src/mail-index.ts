import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { MessageMeta, SpecialUse } from '@posthorn/contracts';
import { decodeFlags } from './flags.ts';
import { SCHEMA, SCHEMA_VERSION } from './schema.ts';

export interface MailboxRow {
  readonly id: number;
  readonly name: string;
  readonly folder: string;
  readonly uidvalidity: number;
  readonly uidnext: number;
  readonly highestmodseq: number;
  readonly subscribed: number;
  readonly special_use: SpecialUse | null;
}

export interface MailboxStatsRow extends MailboxRow {
  readonly messages: number;
  readonly unseen: number;
  readonly size: number;
}

export interface MessageRow {
  readonly mailbox: number;
  readonly uid: number;
  readonly id: string;
  readonly file: string;
  readonly flags: string;
  readonly modseq: number;
  readonly internaldate: number;
  readonly size: number;
}

export interface NewMessage {
  readonly mailbox: number;
  readonly uid: number;
  readonly id: string;
  readonly file: string;
  readonly flags: readonly string[];
  readonly modseq: number;
  readonly internaldate: number;
  readonly size: number;
}

export function toMeta(row: MessageRow): MessageMeta {
  return { uid: row.uid, id: row.id, flags: decodeFlags(row.flags), modseq: row.modseq, internalDate: new Date(row.internaldate), size: row.size };
}

const MESSAGE_COLUMNS = 'mailbox, uid, id, file, flags, modseq, internaldate, size';
const STATS = `SELECT b.*, count(m.uid) AS messages, coalesce(sum(m.seen = 0), 0) AS unseen, coalesce(sum(m.size), 0) AS size
  FROM mailboxes b LEFT JOIN messages m ON m.mailbox = b.id`;

/**
 * The SQLite index of one account, with every statement prepared once. Methods are synchronous:
 * a transaction runs from BEGIN to COMMIT without yielding to the event loop, so nothing else in
 * the process can see or touch the index half-way.
 */
export class MailIndex {
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();

  constructor(path: string) {
    this.#db = new DatabaseSync(path, { timeout: 5000, enableForeignKeyConstraints: true });
    this.#db.exec('PRAGMA journal_mode = WAL');
    // FULL: a commit is on disk before we answer. A lost commit could hand out a UID twice.
    this.#db.exec('PRAGMA synchronous = FULL');
    const version = (this.#db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
    if (version > SCHEMA_VERSION) throw new Error(`index ${path} has schema version ${version}, newer than this plugin (${SCHEMA_VERSION})`);
    this.#db.exec(SCHEMA);
    this.#db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  #sql(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /** Runs `fn` in one write transaction; an exception rolls everything back. */
  transaction<T>(fn: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const result = fn();
      this.#db.exec('COMMIT');
      return result;
    } catch (err) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw err;
    }
  }

  // --- meta

  meta(key: string): string | undefined {
    return (this.#sql('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    this.#sql('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /**
   * A UIDVALIDITY for a new mailbox: the clock in seconds, but always above any value this
   * account has handed out, so a mailbox deleted and created again within a second still gets
   * a new one. Call inside the transaction that creates the mailbox.
   */
  nextUidValidity(): number {
    const last = Number(this.meta('last_uidvalidity') ?? 0);
    const value = Math.max(Math.floor(Date.now() / 1000), last + 1);
    this.setMeta('last_uidvalidity', String(value));
    return value;
  }

  // --- mailboxes

  mailboxByName(name: string): MailboxRow | undefined {
    return this.#sql('SELECT * FROM mailboxes WHERE name = ?').get(name) as MailboxRow | undefined;
  }

  mailboxById(id: number): MailboxRow | undefined {
    return this.#sql('SELECT * FROM mailboxes WHERE id = ?').get(id) as MailboxRow | undefined;
  }

  mailboxes(): MailboxRow[] {
    return this.#sql('SELECT * FROM mailboxes ORDER BY name').all() as unknown as MailboxRow[];
  }

  mailboxStats(): MailboxStatsRow[] {
    return this.#sql(`${STATS} GROUP BY b.id ORDER BY b.name`).all() as unknown as MailboxStatsRow[];
  }

  mailboxStatsOf(id: number): MailboxStatsRow {
    return this.#sql(`${STATS} WHERE b.id = ? GROUP BY b.id`).get(id) as unknown as MailboxStatsRow;
  }

  insertMailbox(row: Omit<MailboxRow, 'id'>): number {
    const result = this.#sql(
      'INSERT INTO mailboxes (name, folder, uidvalidity, uidnext, highestmodseq, subscribed, special_use) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ).run(row.name, row.folder, row.uidvalidity, row.uidnext, row.highestmodseq, row.subscribed, row.special_use);
    return Number(result.lastInsertRowid);
  }

  deleteMailbox(id: number): void {
    this.#sql('DELETE FROM mailboxes WHERE id = ?').run(id);
  }

  renameMailbox(id: number, name: string, folder: string): void {
    this.#sql('UPDATE mailboxes SET name = ?, folder = ? WHERE id = ?').run(name, folder, id);
  }

  setSubscribed(id: number, subscribed: boolean): void {
    this.#sql('UPDATE mailboxes SET subscribed = ? WHERE id = ?').run(subscribed ? 1 : 0, id);
  }

  setSpecialUse(id: number, specialUse: SpecialUse | null): void {
    this.#sql('UPDATE mailboxes SET special_use = ? WHERE id = ?').run(specialUse, id);
  }

  /** Moves a mailbox's counters on after messages were added or changed. */
  setCounters(id: number, uidnext: number, highestmodseq: number): void {
    this.#sql('UPDATE mailboxes SET uidnext = ?, highestmodseq = ? WHERE id = ?').run(uidnext, highestmodseq, id);
  }

  // --- messages

  message(mailbox: number, uid: number): MessageRow | undefined {
    return this.#sql(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE mailbox = ? AND uid = ?`).get(mailbox, uid) as MessageRow | undefined;
  }

  messageIdExists(id: string): boolean {
    return this.#sql('SELECT 1 FROM messages WHERE id = ?').get(id) !== undefined;
  }

  /** Messages in UID order, optionally only the given UIDs and/or those changed after a modseq. */
  messages(mailbox: number, options: { uids?: readonly number[] | undefined; changedSince?: number | undefined } = {}): MessageRow[] {
    const since = options.changedSince ?? -1;
    if (options.uids) {
      // One statement whatever the number of UIDs: the set travels as a JSON array.
      return this.#sql(
        `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE mailbox = ? AND modseq > ? AND uid IN (SELECT value FROM json_each(?)) ORDER BY uid`,
      ).all(mailbox, since, JSON.stringify(options.uids)) as unknown as MessageRow[];
    }
    if (options.changedSince !== undefined) {
      return this.#sql(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE mailbox = ? AND modseq > ? ORDER BY uid`).all(mailbox, since) as unknown as MessageRow[];
    }
    return this.#sql(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE mailbox = ? ORDER BY uid`).all(mailbox) as unknown as MessageRow[];
  }

  deletedMessages(mailbox: number): MessageRow[] {
    return this.#sql(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE mailbox = ? AND deleted = 1 ORDER BY uid`).all(mailbox) as unknown as MessageRow[];
  }

  insertMessage(message: NewMessage): void {
    this.#sql('INSERT INTO messages (mailbox, uid, id, file, flags, seen, deleted, modseq, internaldate, size) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
      message.mailbox,
      message.uid,
      message.id,
      message.file,
      message.flags.join(' '),
      message.flags.includes('\\Seen') ? 1 : 0,
      message.flags.includes('\\Deleted') ? 1 : 0,
      message.modseq,
      message.internaldate,
      message.size,
    );
  }

  setFlags(mailbox: number, uid: number, flags: readonly string[], modseq: number): void {
    this.#sql('UPDATE messages SET flags = ?, seen = ?, deleted = ?, modseq = ? WHERE mailbox = ? AND uid = ?').run(
      flags.join(' '),
      flags.includes('\\Seen') ? 1 : 0,
      flags.includes('\\Deleted') ? 1 : 0,
      modseq,
      mailbox,
      uid,
    );
  }

  setFile(mailbox: number, uid: number, file: string): void {
    this.#sql('UPDATE messages SET file = ? WHERE mailbox = ? AND uid = ?').run(file, mailbox, uid);
  }

  /** Removes a message and records its expunge for QRESYNC. */
  expungeMessage(mailbox: number, uid: number, modseq: number): void {
    this.#sql('DELETE FROM messages WHERE mailbox = ? AND uid = ?').run(mailbox, uid);
    this.#sql('INSERT INTO expunged (mailbox, uid, modseq) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET modseq = excluded.modseq').run(mailbox, uid, modseq);
  }

  expungedSince(mailbox: number, modseq: number): number[] {
    return (this.#sql('SELECT uid FROM expunged WHERE mailbox = ? AND modseq > ? ORDER BY uid').all(mailbox, modseq) as { uid: number }[]).map((row) => row.uid);
  }

  usage(): { bytes: number; messages: number } {
    const row = this.#sql('SELECT coalesce(sum(size), 0) AS bytes, count(*) AS messages FROM messages').get() as { bytes: number; messages: number };
    return { bytes: row.bytes, messages: row.messages };
  }

  // --- dedupe

  dedupe(mailbox: number, key: string): { uid: number; id: string } | undefined {
    return this.#sql('SELECT uid, id FROM dedupe WHERE mailbox = ? AND key = ?').get(mailbox, key) as { uid: number; id: string } | undefined;
  }

  rememberDedupe(mailbox: number, key: string, uid: number, id: string): void {
    this.#sql('INSERT INTO dedupe (mailbox, key, uid, id, at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING').run(mailbox, key, uid, id, Date.now());
  }

  forgetDedupeBefore(time: number): void {
    this.#sql('DELETE FROM dedupe WHERE at < ?').run(time);
  }

  // --- journals

  pendingRemovals(): string[] {
    return (this.#sql('SELECT path FROM pending_removals').all() as { path: string }[]).map((row) => row.path);
  }

  addPendingRemoval(path: string): void {
    this.#sql('INSERT INTO pending_removals (path) VALUES (?) ON CONFLICT DO NOTHING').run(path);
  }

  clearPendingRemoval(path: string): void {
    this.#sql('DELETE FROM pending_removals WHERE path = ?').run(path);
  }

  pendingRenames(): { mailbox: number; name: string; folder: string; old_folder: string }[] {
    return this.#sql('SELECT mailbox, name, folder, old_folder FROM pending_renames').all() as unknown as { mailbox: number; name: string; folder: string; old_folder: string }[];
  }

  addPendingRename(mailbox: number, name: string, folder: string, oldFolder: string): void {
    this.#sql('INSERT INTO pending_renames (mailbox, name, folder, old_folder) VALUES (?, ?, ?, ?)').run(mailbox, name, folder, oldFolder);
  }

  clearPendingRenames(): void {
    this.#sql('DELETE FROM pending_renames').run();
  }
}
