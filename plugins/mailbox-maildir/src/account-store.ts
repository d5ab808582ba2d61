import { createHash } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppendOptions, AppendResult, CopyResult, FlagUpdateMode, FlagUpdateResult, MailboxChange, MailboxInfo, MailboxStatus, MessageMeta, SpecialUse } from '@posthorn/contracts';
import type { Logger } from '@posthorn/core';
import { commitAppends, type StagedAppend } from './append-commit.ts';
import { MailStoreError, nonexistent } from './errors.ts';
import { applyFlags, decodeFlags, normaliseFlags, sameFlags } from './flags.ts';
import { GroupCommit } from './group-commit.ts';
import { type MailboxRow, type MailboxStatsRow, MailIndex, type MessageRow, toMeta } from './mail-index.ts';
import { createFolder, linkMessageFile, messageFileName, newMessageId, readFileRange, syncDirectory, writeTempFile } from './maildir-files.ts';
import { folderOf, INBOX, isWithin, mailboxNameOrThrow } from './names.ts';
import { finishRemovals, finishRenames, reconcileAccount, reconcileMailbox } from './reconcile.ts';

/** The index lives in the account's Maildir root; no leading dot, so it is never taken for a folder. */
export const INDEX_FILE = 'posthorn-index.sqlite';

/** What ensureAccount creates besides INBOX (RFC 6154). */
export const DEFAULT_MAILBOXES: readonly [string, SpecialUse][] = [
  ['Sent', '\\Sent'],
  ['Drafts', '\\Drafts'],
  ['Trash', '\\Trash'],
  ['Junk', '\\Junk'],
  ['Archive', '\\Archive'],
];

export interface AccountStoreOptions {
  readonly user: string;
  /** The account's Maildir root. */
  readonly dir: string;
  readonly log: Logger;
  /** Called after each committed change, with the mailbox's name. */
  readonly notify: (mailbox: string, change: MailboxChange) => void;
}

/** Appends committed together at most; more wait for the next batch. */
const MAX_APPEND_BATCH = 256;

/**
 * Decides whether an append fits the quota. `pending` is the size of appends admitted before
 * this one and not yet committed, which the index does not count yet.
 */
export type AppendAdmission = (pending: number) => Promise<void>;

/** The key a dedupe key is remembered by, also written into the file name. */
export function dedupeHash(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 32);
}

/**
 * One account's mailboxes: its Maildir++ tree and its index. Mailbox names given here are
 * already normalised. Changes that span files and index run one at a time per account; reads
 * and flag changes (index only, one synchronous transaction) do not wait. Appends write their
 * files concurrently and are committed in batches (group commit, see append()).
 *
 * Write order, everywhere: files are made durable first, the index commit makes them visible,
 * and removals happen after the commit that hides them (through a journal). reconcile.ts
 * heals what a crash between two steps leaves behind.
 */
export class AccountStore {
  readonly user: string;
  readonly dir: string;
  readonly #index: MailIndex;
  readonly #log: Logger;
  readonly #notify: (mailbox: string, change: MailboxChange) => void;
  #serial: Promise<unknown> = Promise.resolve();
  readonly #appends: GroupCommit<StagedAppend, AppendResult>;
  /** Appends not yet settled, by mailbox and dedupe hash: a second one with that key waits for the first. */
  readonly #appendsByKey = new Map<string, Promise<AppendResult>>();
  /** Every append not yet settled, so that close() can wait for them. */
  readonly #appending = new Set<Promise<AppendResult>>();
  /** Bytes of appends admitted to the quota and not yet committed. */
  #reservedBytes = 0;
  /** File writes of appends under way (in tmp/), each about to join a batch. */
  readonly #staging = new Set<Promise<void>>();

  private constructor(options: AccountStoreOptions, index: MailIndex) {
    this.user = options.user;
    this.dir = options.dir;
    this.#index = index;
    this.#log = options.log;
    this.#notify = options.notify;
    const context = { user: this.user, dir: this.dir, index, log: this.#log, notify: this.#notify };
    this.#appends = new GroupCommit({
      schedule: (job) => this.#exclusive(job),
      commit: (batch) => commitAppends(context, batch),
      maxBatch: MAX_APPEND_BATCH,
      // Appends whose files are being written now would otherwise make a batch of their own
      // right after this one, paying the directory sync and the index commit again; waiting for
      // them costs at most one file sync, and only those under way now are waited for.
      gather: () => Promise.allSettled([...this.#staging]).then(() => undefined),
    });
  }

  /** Batches of appends committed so far (for tests and the benchmark). */
  get appendBatches(): { readonly batches: number; readonly items: number; readonly largest: number } {
    return { ...this.#appends.stats };
  }

  static async open(options: AccountStoreOptions): Promise<AccountStore> {
    await mkdir(options.dir, { recursive: true, mode: 0o700 });
    const index = new MailIndex(join(options.dir, INDEX_FILE));
    try {
      await reconcileAccount({ dir: options.dir, index, log: options.log });
    } catch (err) {
      index.close();
      throw err;
    }
    return new AccountStore(options, index);
  }

  /** Waits for running changes, then closes the index. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#appending]);
    await this.#serial;
    this.#index.close();
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#serial.then(fn);
    this.#serial = run.catch(() => undefined);
    return run;
  }

  #box(name: string): MailboxRow {
    const row = this.#index.mailboxByName(name);
    if (!row) throw nonexistent(this.user, name);
    return row;
  }

  #folder(row: { folder: string }): string {
    return join(this.dir, row.folder);
  }

  #context() {
    return { dir: this.dir, index: this.#index, log: this.#log };
  }

  // --- mailboxes

  listMailboxes(): MailboxInfo[] {
    const rows = this.#index.mailboxStats();
    // INBOX first, the rest by name: the order a client shows them in anyway.
    return [...rows.filter((r) => r.name === INBOX), ...rows.filter((r) => r.name !== INBOX)].map(toInfo);
  }

  status(name: string): MailboxStatus {
    return toStatus(this.#index.mailboxStatsOf(this.#box(name).id));
  }

  ensureDefaults(): Promise<void> {
    // Every delivery asks; once done it is a read, and must not queue behind the account's writes.
    if (this.#index.meta('defaults_created')) return Promise.resolve();
    return this.#exclusive(async () => {
      // Only once per account: a user who deletes Junk does not want it back with the next mail.
      if (this.#index.meta('defaults_created')) return;
      const taken = new Set(this.#index.mailboxes().map((row) => row.special_use));
      for (const [name, use] of DEFAULT_MAILBOXES) {
        if (taken.has(use)) continue;
        const existing = this.#index.mailboxByName(name);
        if (existing) {
          if (!existing.special_use) this.#index.setSpecialUse(existing.id, use);
          this.#index.setSubscribed(existing.id, true);
        } else {
          await this.#createOne(name, use, true);
        }
      }
      this.#index.setMeta('defaults_created', new Date().toISOString());
    });
  }

  createMailbox(name: string, specialUse?: SpecialUse): Promise<void> {
    return this.#exclusive(async () => {
      if (this.#index.mailboxByName(name)) throw new MailStoreError('ALREADYEXISTS', `mailbox ${JSON.stringify(name)} already exists`);
      await this.#createWithParents(name, specialUse);
    });
  }

  /** RFC 9051 6.3.4: superior names that do not exist yet are created too. */
  async #createWithParents(name: string, specialUse?: SpecialUse): Promise<MailboxRow> {
    const segments = name.split('/');
    for (let i = 1; i < segments.length; i++) {
      const parent = segments.slice(0, i).join('/');
      if (parent !== INBOX && !this.#index.mailboxByName(parent)) await this.#createOne(parent, undefined, false);
    }
    return this.#createOne(name, specialUse, false);
  }

  /** Folder first (durable), then the row: a crash in between leaves a folder that the next open adopts. */
  async #createOne(name: string, specialUse: SpecialUse | undefined, subscribed: boolean): Promise<MailboxRow> {
    const folder = folderOf(name);
    await createFolder(join(this.dir, folder));
    await syncDirectory(this.dir);
    const id = this.#index.transaction(() =>
      this.#index.insertMailbox({
        name,
        folder,
        uidvalidity: this.#index.nextUidValidity(),
        uidnext: 1,
        highestmodseq: 1,
        subscribed: subscribed ? 1 : 0,
        special_use: specialUse ?? null,
      }),
    );
    const row = this.#index.mailboxById(id)!;
    // A folder someone put there before (a copied Maildir) keeps its messages.
    await reconcileMailbox(this.#context(), row);
    return this.#index.mailboxById(id)!;
  }

  deleteMailbox(name: string): Promise<void> {
    return this.#exclusive(async () => {
      if (name === INBOX) throw new MailStoreError('CANNOT', 'INBOX cannot be deleted');
      const row = this.#box(name);
      // The rows go first (with a journal entry), then the folder: a crash in between leaves a
      // folder that the next open removes, never a mailbox that comes back.
      this.#index.transaction(() => {
        this.#index.deleteMailbox(row.id);
        this.#index.addPendingRemoval(row.folder);
      });
      await finishRemovals(this.#context(), [row.folder]);
      this.#notify(name, { type: 'deleted' });
    });
  }

  renameMailbox(from: string, to: string): Promise<void> {
    return this.#exclusive(async () => {
      if (from === to) throw new MailStoreError('ALREADYEXISTS', `mailbox ${JSON.stringify(to)} already exists`);
      if (from === INBOX) return this.#renameInbox(to);
      this.#box(from);
      if (to === INBOX || this.#index.mailboxByName(to)) throw new MailStoreError('ALREADYEXISTS', `mailbox ${JSON.stringify(to)} already exists`);
      if (isWithin(to, from)) throw new MailStoreError('CANNOT', 'a mailbox cannot be moved below itself');
      const moving = this.#index.mailboxes().filter((row) => isWithin(row.name, from));
      const plan = moving.map((row) => ({ row, name: mailboxNameOrThrow(to + row.name.slice(from.length)) }));
      for (const { name } of plan) {
        if (this.#index.mailboxByName(name)) throw new MailStoreError('ALREADYEXISTS', `mailbox ${JSON.stringify(name)} already exists`);
      }
      const parents = to.split('/');
      for (let i = 1; i < parents.length; i++) {
        const parent = parents.slice(0, i).join('/');
        if (parent !== INBOX && !this.#index.mailboxByName(parent)) await this.#createOne(parent, undefined, false);
      }
      // Journal, folders, names: a crash after the journal commit is redone at the next open.
      this.#index.transaction(() => {
        for (const { row, name } of plan) this.#index.addPendingRename(row.id, name, folderOf(name), row.folder);
      });
      await finishRenames(this.#context());
      for (const { row } of plan) this.#notify(row.name, { type: 'deleted' });
    });
  }

  /** RFC 9051 6.3.6: renaming INBOX moves its messages to a new mailbox and leaves INBOX empty. */
  async #renameInbox(to: string): Promise<void> {
    if (to === INBOX || this.#index.mailboxByName(to)) throw new MailStoreError('ALREADYEXISTS', `mailbox ${JSON.stringify(to)} already exists`);
    const target = await this.#createWithParents(to);
    const inbox = this.#box(INBOX);
    const uids = this.#index.messages(inbox.id).map((row) => row.uid);
    if (uids.length) await this.#transfer(inbox, uids, target, true);
  }

  setSubscribed(name: string, subscribed: boolean): void {
    this.#index.setSubscribed(this.#box(name).id, subscribed);
  }

  // --- messages

  /**
   * Appends a message. Concurrent appends share the costly steps (group commit): each writes and
   * syncs its own file under tmp/ as soon as it comes, without waiting for anything; then the
   * appends whose files are ready are committed together by one job of the account's
   * serialiser (commitAppends: renames into new/, one directory sync, one index transaction).
   *
   * A dedupe key already in the index returns the first result with `duplicate: true`; an
   * append whose key another append is storing right now waits for that one and returns its
   * result the same way (or, if that one failed, tries on its own). `admit` runs after the
   * dedupe check and may refuse (quota): a retried delivery of a message that is already stored
   * must get its first result, not an over-quota error.
   */
  append(name: string, content: Buffer, options: AppendOptions = {}, admit: AppendAdmission = async () => undefined): Promise<AppendResult> {
    let box: MailboxRow;
    let flags: string[];
    try {
      box = this.#box(name);
      flags = normaliseFlags(options.flags ?? []);
    } catch (err) {
      return Promise.reject(err);
    }
    const internalDate = options.internalDate ?? new Date();
    if (options.dedupeKey === undefined) return this.#track(this.#appendNew(box, content, flags, undefined, internalDate, admit));

    // From the lookups to the registration below nothing yields, so two appends with one key
    // cannot both miss each other.
    const dedupe = dedupeHash(options.dedupeKey);
    const seen = this.#index.dedupe(box.id, dedupe);
    if (seen) return Promise.resolve({ uidValidity: box.uidvalidity, uid: seen.uid, id: seen.id, duplicate: true });
    const key = `${box.id}/${dedupe}`;
    const running = this.#appendsByKey.get(key);
    if (running) {
      return this.#track(
        running.then(
          (first) => ({ ...first, duplicate: true }),
          () => this.append(name, content, options, admit),
        ),
      );
    }
    const attempt = this.#track(this.#appendNew(box, content, flags, dedupe, internalDate, admit));
    this.#appendsByKey.set(key, attempt);
    const forget = () => {
      if (this.#appendsByKey.get(key) === attempt) this.#appendsByKey.delete(key);
    };
    attempt.then(forget, forget);
    return attempt;
  }

  #track(append: Promise<AppendResult>): Promise<AppendResult> {
    this.#appending.add(append);
    const done = () => this.#appending.delete(append);
    append.then(done, done);
    return append;
  }

  async #appendNew(box: MailboxRow, content: Buffer, flags: string[], dedupe: string | undefined, internalDate: Date, admit: AppendAdmission): Promise<AppendResult> {
    // Reserved before admission: appends admitted meanwhile count this one, so concurrent
    // deliveries cannot all fit into the same free space.
    const pending = this.#reservedBytes;
    this.#reservedBytes += content.length;
    try {
      await admit(pending);
      const id = newMessageId();
      const file = messageFileName({ id, size: content.length, dedupe, flags });
      const folder = this.#folder(box);
      // Settled once this append has joined a batch (or failed): what a gathering batch waits for.
      let joined!: () => void;
      const staging = new Promise<void>((done) => (joined = done));
      this.#staging.add(staging);
      let committing: Promise<AppendResult>;
      try {
        try {
          await writeTempFile(folder, file, content, internalDate);
        } catch (err) {
          if (!this.#index.mailboxById(box.id)) throw nonexistent(this.user, box.name);
          throw err;
        }
        committing = this.#appends.submit({ mailbox: box.id, name: box.name, folder: box.folder, id, file, flags, dedupe, internalDate, size: content.length });
      } finally {
        this.#staging.delete(staging);
        joined();
      }
      return await committing;
    } finally {
      this.#reservedBytes -= content.length;
    }
  }

  listMessages(name: string, options: { uids?: readonly number[]; changedSince?: number } = {}): MessageMeta[] {
    return this.#index.messages(this.#box(name).id, options).map(toMeta);
  }

  async readMessage(name: string, uid: number, range?: { start: number; end?: number }): Promise<Buffer> {
    const box = this.#box(name);
    const row = this.#index.message(box.id, uid);
    if (!row) throw new MailStoreError('NONEXISTENT', `no message with UID ${uid} in ${name}`);
    try {
      return await readFileRange(join(this.#folder(box), row.file), range?.start ?? 0, range?.end);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.#log.warn({ mailbox: name, uid, file: row.file }, 'message file is gone (expunged meanwhile, or removed behind our back)');
      throw new MailStoreError('NONEXISTENT', `message ${uid} in ${name} is gone`);
    }
  }

  updateFlags(name: string, uids: readonly number[], mode: FlagUpdateMode, flags: readonly string[], unchangedSince?: number): FlagUpdateResult {
    const box = this.#box(name);
    const change = normaliseFlags(flags);
    const result = this.#index.transaction(() => {
      const current = this.#index.mailboxById(box.id)!;
      const modseq = current.highestmodseq + 1;
      const updated: MessageMeta[] = [];
      const conflicts: number[] = [];
      for (const row of this.#index.messages(box.id, { uids })) {
        if (unchangedSince !== undefined && row.modseq > unchangedSince) {
          conflicts.push(row.uid);
          continue;
        }
        const before = decodeFlags(row.flags);
        const after = applyFlags(before, mode, change);
        // A STORE that changes nothing does not bump the modseq (RFC 7162 3.1.3 leaves it open; clients resync less).
        if (sameFlags(before, after)) continue;
        this.#index.setFlags(box.id, row.uid, after, modseq);
        updated.push({ ...toMeta(row), flags: after, modseq });
      }
      if (updated.length) this.#index.setCounters(box.id, current.uidnext, modseq);
      return { updated, conflicts };
    });
    for (const message of result.updated) this.#notify(name, { type: 'flags', message });
    return result;
  }

  expunge(name: string, uids?: readonly number[]): Promise<number[]> {
    return this.#exclusive(async () => {
      const box = this.#box(name);
      const { removed, paths, modseq } = this.#index.transaction(() => {
        const rows = uids ? this.#index.messages(box.id, { uids }) : this.#index.deletedMessages(box.id);
        if (!rows.length) return { removed: [] as number[], paths: [] as string[], modseq: 0 };
        const current = this.#index.mailboxById(box.id)!;
        const modseq = current.highestmodseq + 1;
        const paths: string[] = [];
        for (const row of rows) {
          this.#index.expungeMessage(box.id, row.uid, modseq);
          const path = join(box.folder, row.file);
          this.#index.addPendingRemoval(path);
          paths.push(path);
        }
        this.#index.setCounters(box.id, current.uidnext, modseq);
        return { removed: rows.map((row) => row.uid), paths, modseq };
      });
      for (const uid of removed) this.#notify(name, { type: 'expunge', uid, modseq });
      await finishRemovals(this.#context(), paths);
      return removed;
    });
  }

  copy(from: string, uids: readonly number[], to: string): Promise<CopyResult> {
    return this.#exclusive(async () => this.#transfer(this.#box(from), uids, this.#box(to), false));
  }

  /** A move within one mailbox gives the messages new UIDs at its end, as a copy and expunge would. */
  move(from: string, uids: readonly number[], to: string): Promise<CopyResult> {
    return this.#exclusive(async () => this.#transfer(this.#box(from), uids, this.#box(to), true));
  }

  /**
   * COPY and MOVE: new names for the files in the target (hard links, made durable), then one
   * transaction that gives them UIDs with the flags they have at that moment and, for a move,
   * expunges the originals. Only after that are the original files unlinked.
   */
  async #transfer(source: MailboxRow, uids: readonly number[], target: MailboxRow, move: boolean): Promise<CopyResult> {
    const rows = this.#index.messages(source.id, { uids });
    const links: { row: MessageRow; id: string; file: string }[] = [];
    try {
      for (const row of rows) {
        const id = newMessageId();
        const file = messageFileName({ id, size: row.size, flags: decodeFlags(row.flags) });
        try {
          await linkMessageFile(join(this.#folder(source), row.file), this.#folder(target), file);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          this.#log.warn({ mailbox: source.name, uid: row.uid, file: row.file }, 'message file is gone; not copied');
          continue;
        }
        links.push({ row, id, file });
      }
      for (const sub of new Set(links.map((l) => l.file.slice(0, 3)))) await syncDirectory(join(this.#folder(target), sub));
    } catch (err) {
      await Promise.all(links.map((l) => rm(join(this.#folder(target), l.file), { force: true })));
      throw err;
    }

    const outcome = this.#index.transaction(() => {
      const destination = this.#index.mailboxById(target.id)!;
      const modseq = destination.highestmodseq + 1;
      let uid = destination.uidnext;
      const mapping: [number, number][] = [];
      const added: MessageMeta[] = [];
      const stale: string[] = [];
      const originals: MessageRow[] = [];
      for (const link of links) {
        // Flags as they are now, not as they were when the link was made.
        const current = this.#index.message(source.id, link.row.uid);
        if (!current) {
          stale.push(join(target.folder, link.file));
          continue;
        }
        const flags = decodeFlags(current.flags);
        this.#index.insertMessage({ mailbox: target.id, uid, id: link.id, file: link.file, flags, modseq, internaldate: current.internaldate, size: current.size });
        mapping.push([current.uid, uid]);
        added.push({ uid, id: link.id, flags, modseq, internalDate: new Date(current.internaldate), size: current.size });
        originals.push(current);
        uid++;
      }
      if (mapping.length) this.#index.setCounters(target.id, uid, modseq);
      let sourceModseq = 0;
      if (move && originals.length) {
        const origin = this.#index.mailboxById(source.id)!;
        sourceModseq = origin.highestmodseq + 1;
        for (const row of originals) {
          this.#index.expungeMessage(source.id, row.uid, sourceModseq);
          this.#index.addPendingRemoval(join(source.folder, row.file));
        }
        this.#index.setCounters(source.id, origin.uidnext, sourceModseq);
      }
      for (const path of stale) this.#index.addPendingRemoval(path);
      return { mapping, added, stale, originals, sourceModseq };
    });

    for (const message of outcome.added) this.#notify(target.name, { type: 'exists', message });
    if (move) for (const row of outcome.originals) this.#notify(source.name, { type: 'expunge', uid: row.uid, modseq: outcome.sourceModseq });
    await finishRemovals(this.#context(), [...outcome.stale, ...(move ? outcome.originals.map((row) => join(source.folder, row.file)) : [])]);
    return { uidValidity: target.uidvalidity, mapping: outcome.mapping };
  }

  expungedSince(name: string, modseq: number): number[] {
    return this.#index.expungedSince(this.#box(name).id, modseq);
  }

  usage(): { bytes: number; messages: number } {
    return this.#index.usage();
  }
}

function toStatus(row: MailboxStatsRow): MailboxStatus {
  return { uidValidity: row.uidvalidity, uidNext: row.uidnext, highestModseq: row.highestmodseq, messages: row.messages, unseen: row.unseen, size: row.size };
}

function toInfo(row: MailboxStatsRow): MailboxInfo {
  return { name: row.name, ...toStatus(row), subscribed: row.subscribed === 1, ...(row.special_use ? { specialUse: row.special_use } : {}) };
}
