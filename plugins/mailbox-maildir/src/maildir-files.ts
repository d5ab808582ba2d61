import { randomBytes } from 'node:crypto';
import { close as closeFd, open as openFd, read as readFd } from 'node:fs';
import { copyFile, link, mkdir, open, rename, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { maildirInfo } from './flags.ts';

/**
 * Message files in Maildir (https://cr.yp.to/proto/maildir.html): written under tmp/, synced,
 * then renamed into new/ (or cur/ when they already carry flags), so a file in new/ or cur/ is
 * always complete. Files are never modified or renamed afterwards; they are only unlinked.
 */

export const SUBDIRS = ['cur', 'new', 'tmp'] as const;

/** Host part of unique names, with the characters Maildir reserves escaped as the spec says. */
const HOST = hostname().replace(/\//g, '\\057').replace(/:/g, '\\072').replace(/,/g, '\\054') || 'localhost';

/** A new stable message id (POP3 UIDL): 96 random bits in hex, valid in a file name and a UIDL. */
export function newMessageId(): string {
  return randomBytes(12).toString('hex');
}

export interface FileFacts {
  readonly id: string;
  readonly size: number;
  /** Hash of the dedupe key, so that reconciliation can recover it. */
  readonly dedupe?: string | undefined;
  readonly flags?: readonly string[];
}

/**
 * The file's place in the mailbox folder: `new/<unique>` or, for a message that has system flags
 * from the start (APPEND with flags, COPY), `cur/<unique>:2,<letters>` so that a rebuild from
 * disk gets them back. Unique part: `<seconds>.<id>.<host>,S=<size>[,D=<dedupe>]`.
 */
export function messageFileName(facts: FileFacts): string {
  const base = `${Math.floor(Date.now() / 1000)}.${facts.id}.${HOST},S=${facts.size}${facts.dedupe ? `,D=${facts.dedupe}` : ''}`;
  const info = maildirInfo(facts.flags ?? []);
  return info ? `cur/${base}:2,${info}` : `new/${base}`;
}

export interface ParsedFileName {
  /** Unique part, without the `:2,` info: it names the message whatever its flags. */
  readonly base: string;
  /** Our id, when the name is one we made. */
  readonly id?: string;
  readonly dedupe?: string;
  readonly info: string;
}

export function parseMessageFileName(name: string): ParsedFileName {
  const colon = name.indexOf(':');
  const base = colon === -1 ? name : name.slice(0, colon);
  const info = colon !== -1 && name.startsWith(':2,', colon) ? name.slice(colon + 3) : '';
  const ours = /^\d+\.([0-9a-f]{24})\.[^,]*((?:,[A-Z]=[^,]*)*)$/.exec(base);
  const fields = new Map((ours?.[2] ?? '').split(',').filter(Boolean).map((field) => [field[0]!, field.slice(2)] as const));
  const dedupe = fields.get('D');
  return {
    base,
    info,
    ...(ours ? { id: ours[1]! } : {}),
    ...(dedupe && /^[0-9a-f]{32}$/.test(dedupe) ? { dedupe } : {}),
  };
}

/** Makes new entries (or removals) in a directory durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Creates a mailbox folder with cur/ new/ tmp/, made durable before it is used. */
export async function createFolder(path: string): Promise<void> {
  for (const sub of SUBDIRS) await mkdir(join(path, sub), { recursive: true, mode: 0o700 });
  await syncDirectory(path);
}

/** Where a message file is written before it is renamed to `file` ('new/…' or 'cur/…'). */
export function tempNameOf(file: string): string {
  return `tmp/${file.slice(4)}`;
}

/**
 * First half of a Maildir delivery: the message is written under tmp/, its mtime set to the
 * internal date (before the sync, so that the date a rebuild reads back is durable too), and
 * synced. The file is complete on disk when this resolves, but not yet part of the mailbox:
 * placeMessageFile and a sync of the target directory do that.
 */
export async function writeTempFile(folder: string, file: string, content: Buffer, internalDate: Date): Promise<void> {
  const temp = join(folder, tempNameOf(file));
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(content);
    await handle.utimes(internalDate, internalDate);
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await handle.close();
}

/**
 * Second half: the synced tmp/ file is renamed to its place in new/ or cur/ (atomic, so readers
 * only ever see complete files). Durable once the caller has synced the target directory; the
 * caller does that once for all the files of a batch.
 */
export async function placeMessageFile(folder: string, file: string): Promise<void> {
  await rename(join(folder, tempNameOf(file)), join(folder, file));
}

/**
 * Puts a second name on an existing message file (COPY, MOVE): a hard link is atomic and costs
 * no space, and files are never modified in place, so sharing the inode is safe. Where links are
 * not possible, the bytes are copied through tmp/ instead. The caller syncs the directory.
 */
export async function linkMessageFile(source: string, folder: string, file: string): Promise<void> {
  try {
    await link(source, join(folder, file));
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EMLINK') throw err;
  }
  const temp = join(folder, 'tmp', file.slice(4));
  await copyFile(source, temp);
  const { atime, mtime } = await stat(source);
  await utimes(temp, atime, mtime);
  const handle = await open(temp, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, join(folder, file));
}

/** Ranges up to this length are read without asking the file's size first. */
const KNOWN_RANGE_LIMIT = 1024 * 1024;

/** Bytes [start, end) of a file, clamped to its size. */
export async function readFileRange(path: string, start: number, end: number | undefined): Promise<Buffer> {
  const from = Math.max(0, start);
  // Performance (POP3 RETR of small messages): a bounded range needs no fstat, since a short read
  // is the end of the file, and the callback API skips FileHandle's bookkeeping: three
  // thread-pool round trips (open, read, close) instead of four, same bytes.
  if (end !== undefined && end - from <= KNOWN_RANGE_LIMIT) return readBounded(path, from, Math.max(0, end - from));
  const handle = await open(path, 'r');
  try {
    const size = (await handle.stat()).size;
    const from = Math.min(Math.max(0, start), size);
    const to = Math.min(end === undefined ? size : Math.max(from, end), size);
    const buffer = Buffer.alloc(to - from);
    let done = 0;
    while (done < buffer.length) {
      const { bytesRead } = await handle.read(buffer, done, buffer.length - done, from + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === buffer.length ? buffer : buffer.subarray(0, done);
  } finally {
    await handle.close();
  }
}

/** `length` bytes from `from`, fewer at the end of the file; the file is closed before it resolves. */
function readBounded(path: string, from: number, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    openFd(path, 'r', (openError, fd) => {
      if (openError) return reject(openError);
      // Only the bytes read are ever handed out (a short read is copied out, so that a range
      // asked past the end does not keep the whole allocation alive).
      const buffer = Buffer.allocUnsafe(length);
      let done = 0;
      const finish = (readError: Error | null) =>
        closeFd(fd, (closeError) => {
          if (readError || closeError) reject(readError ?? closeError);
          else resolve(done === length ? buffer : Buffer.from(buffer.subarray(0, done)));
        });
      const step = (): void => {
        if (done >= length) return finish(null);
        readFd(fd, buffer, done, length - done, from + done, (readError, bytesRead) => {
          if (readError) return finish(readError);
          if (bytesRead === 0) return finish(null);
          done += bytesRead;
          step();
        });
      };
      step();
    });
  });
}
