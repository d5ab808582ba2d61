import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppendResult, MailboxChange, MessageMeta } from '@posthorn/contracts';
import type { Logger } from '@posthorn/core';
import { nonexistent } from './errors.ts';
import type { BatchEntry } from './group-commit.ts';
import type { MailboxRow, MailIndex } from './mail-index.ts';
import { placeMessageFile, syncDirectory, tempNameOf } from './maildir-files.ts';

/** An append whose file is written and synced in tmp/, waiting for its batch. */
export interface StagedAppend {
  readonly mailbox: number;
  /** The mailbox's name when the append was asked for, for the error if it is gone. */
  readonly name: string;
  /** The mailbox's folder when the file was written; only for clearing up if the mailbox is gone. */
  readonly folder: string;
  readonly id: string;
  /** 'new/…' or 'cur/…' inside the folder. */
  readonly file: string;
  readonly flags: readonly string[];
  readonly dedupe: string | undefined;
  readonly internalDate: Date;
  readonly size: number;
}

export interface AppendCommitContext {
  readonly user: string;
  readonly dir: string;
  readonly index: MailIndex;
  readonly log: Logger;
  readonly notify: (mailbox: string, change: MailboxChange) => void;
}

type Entry = BatchEntry<StagedAppend, AppendResult>;

/**
 * Commits a batch of staged appends, in the Maildir order and with one of each costly step for
 * the whole batch: every file renamed from tmp/ into new/ (or cur/); each target directory
 * synced once; then one index transaction that gives the messages UIDs and modseqs in batch
 * order, with their dedupe keys; then one `exists` event per message and each append's result.
 * A file is in its directory, durably, before the transaction that makes it visible starts,
 * so a crash at any point leaves at worst files without rows, which the next open indexes
 * (dedupe keys from their names).
 *
 * Runs under the account's serialiser, so nothing else changes the index or the folders
 * meanwhile. Settles every entry.
 */
export async function commitAppends(ctx: AppendCommitContext, batch: readonly Entry[]): Promise<void> {
  const started = performance.now();
  const boxes = new Map<number, MailboxRow>();
  const live: Entry[] = [];
  const keys = new Map<string, Entry>();
  const followers: { entry: Entry; leader: Entry }[] = [];
  for (const entry of batch) {
    const staged = entry.item;
    const box = boxes.get(staged.mailbox) ?? ctx.index.mailboxById(staged.mailbox);
    if (!box) {
      // Deleted while the file was written; the folder (and the file with it) is being removed.
      await discardTemp(join(ctx.dir, staged.folder), staged);
      entry.reject(nonexistent(ctx.user, staged.name));
      continue;
    }
    boxes.set(box.id, box);
    // The caller lets only one append per dedupe key run at a time, so neither of these
    // happens through it; they keep a batch correct on its own all the same.
    if (staged.dedupe !== undefined) {
      const seen = ctx.index.dedupe(box.id, staged.dedupe);
      if (seen) {
        await discardTemp(join(ctx.dir, box.folder), staged);
        entry.resolve({ uidValidity: box.uidvalidity, uid: seen.uid, id: seen.id, duplicate: true });
        continue;
      }
      const key = `${box.id}/${staged.dedupe}`;
      const leader = keys.get(key);
      if (leader) {
        await discardTemp(join(ctx.dir, box.folder), staged);
        followers.push({ entry, leader });
        continue;
      }
      keys.set(key, entry);
    }
    live.push(entry);
  }

  const folderOf = (entry: Entry) => join(ctx.dir, boxes.get(entry.item.mailbox)!.folder);
  await Promise.all(
    live.map(async (entry) => {
      try {
        await placeMessageFile(folderOf(entry), entry.item.file);
      } catch (err) {
        await discardTemp(folderOf(entry), entry.item);
        entry.reject(err);
      }
    }),
  );

  // One sync per directory covers every entry renamed into it above.
  const byDirectory = new Map<string, Entry[]>();
  for (const entry of live) {
    if (entry.settled) continue;
    const directory = join(folderOf(entry), entry.item.file.slice(0, 3));
    byDirectory.set(directory, [...(byDirectory.get(directory) ?? []), entry]);
  }
  await Promise.all(
    [...byDirectory].map(async ([directory, entries]) => {
      try {
        await syncDirectory(directory);
      } catch (err) {
        // Not durable, and no row refers to them yet: take them back and report the failure.
        for (const entry of entries) {
          await unlink(join(folderOf(entry), entry.item.file)).catch(() => undefined);
          entry.reject(err);
        }
      }
    }),
  );

  const placed = live.filter((entry) => !entry.settled);
  if (!placed.length) return settleFollowers(followers);
  let committed: { entry: Entry; box: MailboxRow; meta: MessageMeta }[];
  try {
    committed = ctx.index.transaction(() => {
      const counters = new Map<number, { uidnext: number; modseq: number }>();
      const rows: { entry: Entry; box: MailboxRow; meta: MessageMeta }[] = [];
      for (const entry of placed) {
        const staged = entry.item;
        const box = boxes.get(staged.mailbox)!;
        let counter = counters.get(box.id);
        if (!counter) {
          const current = ctx.index.mailboxById(box.id)!;
          counter = { uidnext: current.uidnext, modseq: current.highestmodseq };
          counters.set(box.id, counter);
        }
        const uid = counter.uidnext++;
        // One modseq per message, as if they had been appended one by one.
        const modseq = ++counter.modseq;
        ctx.index.insertMessage({ mailbox: box.id, uid, id: staged.id, file: staged.file, flags: staged.flags, modseq, internaldate: staged.internalDate.getTime(), size: staged.size });
        if (staged.dedupe !== undefined) ctx.index.rememberDedupe(box.id, staged.dedupe, uid, staged.id);
        rows.push({ entry, box, meta: { uid, id: staged.id, flags: [...staged.flags], modseq, internalDate: staged.internalDate, size: staged.size } });
      }
      for (const [id, counter] of counters) ctx.index.setCounters(id, counter.uidnext, counter.modseq);
      return rows;
    });
  } catch (err) {
    // The files stay where they are. A failed COMMIT may still have reached the disk, and then
    // removing them would turn stored messages into rows without files, and a retried delivery
    // (which finds its dedupe key) into a loss. If it did not, the next open finds the files
    // without rows and drops those whose dedupe key a retry has stored meanwhile (reconcile.ts).
    ctx.log.error({ err: (err as Error).message, messages: placed.length }, 'index commit of appended messages failed');
    for (const entry of placed) entry.reject(err);
    return settleFollowers(followers);
  }
  ctx.log.debug({ messages: committed.length, ms: Math.round(performance.now() - started) }, 'append batch committed');
  for (const { entry, box, meta } of committed) {
    ctx.notify(box.name, { type: 'exists', message: meta });
    entry.resolve({ uidValidity: box.uidvalidity, uid: meta.uid, id: meta.id, duplicate: false });
  }
  settleFollowers(followers);
}

/** A second append with a key its batch stores already gets the first one's result. */
function settleFollowers(followers: readonly { entry: Entry; leader: Entry }[]): void {
  for (const { entry, leader } of followers) {
    const result = leader.result;
    if (result) entry.resolve({ ...result, duplicate: true });
    else entry.reject(leader.error);
  }
}

async function discardTemp(folder: string, staged: StagedAppend): Promise<void> {
  await unlink(join(folder, tempNameOf(staged.file))).catch(() => undefined);
}
