import { readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Logger } from '@posthorn/core';
import { flagsFromInfo } from './flags.ts';
import type { MailboxRow, MailIndex } from './mail-index.ts';
import { createFolder, newMessageId, parseMessageFileName, syncDirectory } from './maildir-files.ts';
import { INBOX, nameOfFolder } from './names.ts';

/**
 * Bringing the index and the files back into agreement, at every open. The write paths are
 * ordered so that a crash leaves one of these states, each healed here:
 * - a message file in new/ or cur/ without an index row (crash between rename and commit):
 *   indexed now, dedupe key and id recovered from its name, internal date from its mtime
 *   (or removed, if it is a second copy of a delivery the mailbox holds: dropSecondCopies);
 * - an index row without its file (file removed behind our back): expunged, with a log line;
 * - a journal of removals or folder renames that was committed but not carried out: finished.
 */

export interface ReconcileContext {
  readonly dir: string;
  readonly index: MailIndex;
  readonly log: Logger;
}

/** Dedupe keys are kept this long: far longer than any queue retries a delivery. */
const DEDUPE_RETENTION_MS = 30 * 24 * 3600 * 1000;
/** Maildir: a file left in tmp/ for 36 hours is debris of an interrupted delivery. */
const TMP_MAX_AGE_MS = 36 * 3600 * 1000;

export async function reconcileAccount(ctx: ReconcileContext): Promise<void> {
  await finishRenames(ctx);
  await finishRemovals(ctx, ctx.index.pendingRemovals());
  await ensureInbox(ctx);
  await discoverFolders(ctx);
  for (const row of ctx.index.mailboxes()) await reconcileMailbox(ctx, row);
  ctx.index.forgetDedupeBefore(Date.now() - DEDUPE_RETENTION_MS);
}

/** Carries out the folder renames of the journal (again, if need be) and then commits the new names. */
export async function finishRenames(ctx: ReconcileContext): Promise<void> {
  const renames = ctx.index.pendingRenames();
  if (!renames.length) return;
  for (const entry of renames) {
    const from = join(ctx.dir, entry.old_folder);
    const to = join(ctx.dir, entry.folder);
    if ((await exists(from)) && !(await exists(to))) await rename(from, to);
  }
  await syncDirectory(ctx.dir);
  ctx.index.transaction(() => {
    for (const entry of renames) ctx.index.renameMailbox(entry.mailbox, entry.name, entry.folder);
    ctx.index.clearPendingRenames();
  });
}

/** Removes files or folders whose index rows are already gone, then forgets them. */
export async function finishRemovals(ctx: ReconcileContext, paths: readonly string[]): Promise<void> {
  if (!paths.length) return;
  const parents = new Set<string>();
  for (const path of paths) {
    // Retries: an append may be creating a file in the folder's tmp/ while it is removed.
    await rm(join(ctx.dir, path), { recursive: true, force: true, maxRetries: 3 });
    parents.add(dirname(join(ctx.dir, path)));
  }
  // The removals must be durable before the journal forgets them, or a crash could bring an
  // expunged message back as a file the index does not know.
  for (const parent of parents) await syncDirectory(parent).catch(() => undefined);
  ctx.index.transaction(() => {
    for (const path of paths) ctx.index.clearPendingRemoval(path);
  });
}

async function ensureInbox(ctx: ReconcileContext): Promise<void> {
  await createFolder(ctx.dir);
  if (ctx.index.mailboxByName(INBOX)) return;
  ctx.index.transaction(() => {
    ctx.index.insertMailbox({ name: INBOX, folder: '', uidvalidity: ctx.index.nextUidValidity(), uidnext: 1, highestmodseq: 1, subscribed: 1, special_use: null });
  });
}

/**
 * Folders on disk that the index does not know become mailboxes (a Maildir copied in from
 * elsewhere, or a crash between mkdir and the index insert); mailboxes whose folder is gone get
 * an empty one back (their messages are then expunged by reconcileMailbox).
 */
async function discoverFolders(ctx: ReconcileContext): Promise<void> {
  const known = new Set(ctx.index.mailboxes().map((row) => row.folder));
  for (const entry of await readdir(ctx.dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || !entry.name.startsWith('.') || known.has(entry.name)) continue;
    const name = nameOfFolder(entry.name);
    if (name === undefined || name === INBOX) {
      ctx.log.warn({ folder: entry.name }, 'ignoring a folder whose name is not an encoded mailbox name');
      continue;
    }
    if (ctx.index.mailboxByName(name)) continue;
    ctx.index.transaction(() => {
      ctx.index.insertMailbox({ name, folder: entry.name, uidvalidity: ctx.index.nextUidValidity(), uidnext: 1, highestmodseq: 1, subscribed: 0, special_use: null });
    });
    ctx.log.info({ mailbox: name, folder: entry.name }, 'found a mailbox folder the index did not know; added it');
  }
  for (const row of ctx.index.mailboxes()) {
    if (row.folder !== '' && !(await exists(join(ctx.dir, row.folder)))) {
      ctx.log.warn({ mailbox: row.name, folder: row.folder }, 'mailbox folder missing; created it empty');
      await createFolder(join(ctx.dir, row.folder));
    }
  }
}

/** Compares one mailbox's files with its index rows and settles every difference. */
export async function reconcileMailbox(ctx: ReconcileContext, row: MailboxRow): Promise<void> {
  const folder = join(ctx.dir, row.folder);
  await createFolder(folder);
  await cleanTmp(join(folder, 'tmp'));

  // By unique base name: another Maildir client may have moved a file from new/ to cur/ and
  // changed its info; it is still the same message.
  const onDisk = new Map<string, string>();
  for (const sub of ['new', 'cur']) {
    for (const entry of await readdir(join(folder, sub), { withFileTypes: true })) {
      if (entry.isFile() && !entry.name.startsWith('.')) onDisk.set(parseMessageFileName(entry.name).base, `${sub}/${entry.name}`);
    }
  }
  const moved: [number, string][] = [];
  const missing: { uid: number; file: string }[] = [];
  for (const message of ctx.index.messages(row.id)) {
    const base = parseMessageFileName(basename(message.file)).base;
    const file = onDisk.get(base);
    if (file === undefined) {
      missing.push({ uid: message.uid, file: message.file });
      continue;
    }
    if (file !== message.file) moved.push([message.uid, file]);
    onDisk.delete(base);
  }
  const found: { file: string; size: number; mtime: Date }[] = [];
  for (const file of onDisk.values()) {
    const facts = await stat(join(folder, file)).catch(() => undefined);
    if (facts) found.push({ file, size: facts.size, mtime: facts.mtime });
  }
  // Oldest first, so that UIDs follow arrival as closely as the files can tell.
  found.sort((a, b) => a.mtime.getTime() - b.mtime.getTime() || (a.file < b.file ? -1 : 1));
  const { unknown, copies } = dropSecondCopies(ctx, row.id, found, new Set(missing.map((m) => m.uid)));
  if (!moved.length && !missing.length && !unknown.length && !copies.length) return;

  ctx.index.transaction(() => {
    const box = ctx.index.mailboxById(row.id)!;
    let uid = box.uidnext;
    const modseq = missing.length || unknown.length ? box.highestmodseq + 1 : box.highestmodseq;
    for (const [messageUid, file] of moved) ctx.index.setFile(row.id, messageUid, file);
    for (const message of missing) ctx.index.expungeMessage(row.id, message.uid, modseq);
    for (const found of unknown) {
      const parsed = parseMessageFileName(basename(found.file));
      const id = parsed.id !== undefined && !ctx.index.messageIdExists(parsed.id) ? parsed.id : newMessageId();
      ctx.index.insertMessage({
        mailbox: row.id,
        uid,
        id,
        file: found.file,
        flags: flagsFromInfo(parsed.info),
        modseq,
        internaldate: found.mtime.getTime(),
        size: found.size,
      });
      if (parsed.dedupe) ctx.index.rememberDedupe(row.id, parsed.dedupe, uid, id);
      uid++;
    }
    ctx.index.setCounters(row.id, uid, modseq);
  });
  for (const message of missing) ctx.log.warn({ mailbox: row.name, uid: message.uid, file: message.file }, 'message file is gone; expunged it from the index');
  if (unknown.length) ctx.log.info({ mailbox: row.name, count: unknown.length, files: unknown.slice(0, 10).map((f) => f.file) }, 'indexed message files the index did not know');
  if (copies.length) {
    // No row refers to them, so nobody can be reading them.
    for (const file of copies) await unlink(join(folder, file)).catch(() => undefined);
    for (const sub of new Set(copies.map((file) => file.slice(0, 3)))) await syncDirectory(join(folder, sub));
    ctx.log.warn({ mailbox: row.name, count: copies.length, files: copies.slice(0, 10) }, 'removed second copies of delivered messages (same dedupe key as a stored message)');
  }
}

/**
 * Files without rows that carry the dedupe key of a message the mailbox holds are second copies
 * of one delivery: an append whose index commit failed leaves its file behind, and the queue's
 * retry stores the message again. They are removed rather than indexed. Only when the other copy
 * is really there (its row is not about to be expunged for a missing file): a file whose key
 * belongs to a message since expunged, or to none at all, is indexed, so no message is ever
 * lost here; of several such files with one key, the oldest is indexed.
 */
function dropSecondCopies(
  ctx: ReconcileContext,
  mailbox: number,
  found: readonly { file: string; size: number; mtime: Date }[],
  missingUids: ReadonlySet<number>,
): { unknown: { file: string; size: number; mtime: Date }[]; copies: string[] } {
  const unknown: { file: string; size: number; mtime: Date }[] = [];
  const copies: string[] = [];
  const claimed = new Set<string>();
  for (const entry of found) {
    const dedupe = parseMessageFileName(basename(entry.file)).dedupe;
    if (dedupe !== undefined) {
      const seen = ctx.index.dedupe(mailbox, dedupe);
      const stored = seen !== undefined && !missingUids.has(seen.uid) && ctx.index.message(mailbox, seen.uid) !== undefined;
      if (stored || claimed.has(dedupe)) {
        copies.push(entry.file);
        continue;
      }
      claimed.add(dedupe);
    }
    unknown.push(entry);
  }
  return { unknown, copies };
}

async function cleanTmp(tmp: string): Promise<void> {
  const limit = Date.now() - TMP_MAX_AGE_MS;
  for (const name of await readdir(tmp)) {
    const facts = await stat(join(tmp, name)).catch(() => undefined);
    if (facts?.isFile() && facts.mtimeMs < limit) await unlink(join(tmp, name)).catch(() => undefined);
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
