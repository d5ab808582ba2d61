import { type FileHandle, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Envelope } from '@posthorn/contracts';
import type { Logger } from 'pino';
import { CorruptFileError, decodeHeader, decodeMessageFile, encodeHeader, envelopeProblem, MAX_HEADER_BYTES, type MessageHeader } from './format.ts';
import { DirectorySync } from './group-commit.ts';
import { decodeState, encodeState, type MessageState } from './state.ts';

export const MSG_SUFFIX = '.msg';
export const STATE_SUFFIX = '.state';
export const TEMP_SUFFIX = '.tmp';
export const CORRUPT_DIR = 'corrupt';
export const LOCK_FILE = 'lock';

const FILE_MODE = 0o640;

/**
 * The queue's files: one `<id>.msg` per message (written once), one `<id>.state` beside it once
 * delivery state exists. Every write that the queue reports as done is on disk, directory
 * entry included.
 */
export class QueueStore {
  readonly dir: string;
  readonly #log: Logger;
  readonly #dirSync: DirectorySync;
  /** Ids whose `.msg` is being written by this process (recovery leaves those files alone). */
  readonly #writing = new Map<string, Promise<unknown>>();

  constructor(dir: string, log: Logger) {
    this.dir = dir;
    this.#log = log;
    this.#dirSync = new DirectorySync(dir);
  }

  get directorySync(): DirectorySync {
    return this.#dirSync;
  }

  messagePath(id: string): string {
    return join(this.dir, id + MSG_SUFFIX);
  }

  statePath(id: string): string {
    return join(this.dir, id + STATE_SUFFIX);
  }

  /** Creates the queue directory and `corrupt/`; a directory just created is made durable too. */
  async ensureDirectories(): Promise<void> {
    const created = await mkdir(join(this.dir, CORRUPT_DIR), { recursive: true });
    if (created !== undefined) {
      // Every directory from `created` down was new: fsync each parent so the chain survives.
      for (let child = join(this.dir, CORRUPT_DIR); child !== dirname(created); child = dirname(child)) await fsyncDirectory(dirname(child));
    }
  }

  isWriting(id: string): boolean {
    return this.#writing.has(id);
  }

  /**
   * Writes a message durably. `onDurable` runs once the files are safe and before the id stops
   * counting as "being written", so a concurrent recovery scan sees the message either as in
   * progress or as known, never as a stray file. Resolves to `exists` when a valid message with
   * this id was already stored (idempotent enqueue).
   */
  async writeMessage(envelope: Envelope, message: Buffer, onDurable: () => void): Promise<'stored' | 'exists'> {
    const problem = envelopeProblem(envelope);
    if (problem) throw new TypeError(`cannot queue a message with a bad envelope: ${problem}`);
    const id = envelope.id;
    const earlier = this.#writing.get(id);
    if (earlier) {
      // The same id is being written right now: its outcome is ours, unless it failed.
      const outcome = await earlier.then(
        () => 'exists' as const,
        () => undefined,
      );
      return outcome ?? this.writeMessage(envelope, message, onDurable);
    }
    const writing = this.#write(envelope, message);
    this.#writing.set(id, writing);
    try {
      const outcome = await writing;
      if (outcome === 'stored') onDurable();
      return outcome;
    } finally {
      this.#writing.delete(id);
    }
  }

  async #write(envelope: Envelope, message: Buffer, secondTry = false): Promise<'stored' | 'exists'> {
    const path = this.messagePath(envelope.id);
    const header = encodeHeader(envelope, message);
    let handle: FileHandle;
    try {
      handle = await open(path, 'wx', FILE_MODE);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || secondTry) throw err;
      if (await this.#existingIsValid(envelope.id)) return 'exists';
      return this.#write(envelope, message, true);
    }
    // The directory entry exists from here on, so the shared directory fsync can run while the
    // data is being written: both must finish before the caller hears "stored".
    const entrySynced = this.#dirSync.request();
    try {
      await writeAll(handle, [header, message]);
      await handle.datasync();
    } catch (err) {
      entrySynced.catch(() => undefined);
      await handle.close().catch(() => undefined);
      await unlink(path).catch(() => undefined);
      throw err;
    }
    const [closed, synced] = await Promise.allSettled([handle.close(), entrySynced]);
    if (synced.status === 'rejected') {
      // Not known to be durable, so not accepted: take the file back rather than leave a
      // message behind that the client will send again.
      await unlink(path).catch(() => undefined);
      throw synced.reason;
    }
    if (closed.status === 'rejected') this.#log.warn({ err: closed.reason, id: envelope.id }, 'closing a queued message file failed after it was synced');
    return 'stored';
  }

  /**
   * A `.msg` with this id is already there. A valid one makes the enqueue a no-op, once it is
   * known to be on disk (it may come from a process that died before its fsync); an invalid
   * one (a torn write of an earlier attempt) is set aside so the new copy can take its place.
   */
  async #existingIsValid(id: string): Promise<boolean> {
    const path = this.messagePath(id);
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      // Removed between our EEXIST and this open (the runner finished it): write it anew.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    try {
      decodeMessageFile(await handle.readFile(), id);
      await handle.datasync();
    } catch (err) {
      if (!(err instanceof CorruptFileError)) throw err;
      await handle.close();
      await this.setAside(id + MSG_SUFFIX, err.reason);
      return false;
    }
    await handle.close();
    await this.#dirSync.request();
    return true;
  }

  /** The whole message file, verified; the message is a view into the file's buffer. */
  async readMessage(id: string): Promise<{ header: MessageHeader; message: Buffer }> {
    return decodeMessageFile(await readFile(this.messagePath(id)), id);
  }

  /** Only the header (for listings): does not read or verify the message bytes. */
  async readHeader(id: string): Promise<MessageHeader> {
    const handle = await open(this.messagePath(id), 'r');
    try {
      let size = 64 * 1024;
      for (;;) {
        const buffer = Buffer.alloc(size);
        const { bytesRead } = await handle.read(buffer, 0, size, 0);
        const decoded = decodeHeader(buffer.subarray(0, bytesRead), id);
        if (decoded) return decoded.header;
        if (bytesRead < size || size > MAX_HEADER_BYTES) throw new CorruptFileError('truncated header');
        size *= 4;
      }
    } finally {
      await handle.close();
    }
  }

  /** The delivery state, or undefined when there is none yet. Throws CorruptFileError for a bad file. */
  async readState(envelope: Envelope): Promise<MessageState | undefined> {
    let text: string;
    try {
      text = await readFile(this.statePath(envelope.id), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    return decodeState(text, envelope);
  }

  /** Replaces the state file atomically and durably. */
  async writeState(id: string, state: MessageState): Promise<void> {
    const temp = this.statePath(id) + TEMP_SUFFIX;
    const handle = await open(temp, 'w', FILE_MODE);
    try {
      await writeAll(handle, [encodeState(id, state)]);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(temp, this.statePath(id));
    await this.#dirSync.request();
  }

  /**
   * Removes a message: the `.msg` first, so a crash in between leaves an orphan `.state` (which
   * recovery deletes) rather than a message without its state (which would be delivered again).
   * Resolves to whether the message was there. `withState: false` says no state file was ever
   * written, which spares an unlink on the common path.
   */
  async remove(id: string, withState = true): Promise<boolean> {
    const existed = await unlinkIfPresent(this.messagePath(id));
    const hadState = withState && (await unlinkIfPresent(this.statePath(id)));
    if (existed || hadState) await this.#dirSync.request();
    return existed;
  }

  /** Deletes a file of the queue directory by name (orphans), durably. */
  async removeFile(name: string): Promise<void> {
    if (await unlinkIfPresent(join(this.dir, name))) await this.#dirSync.request();
  }

  /** Moves a file that cannot be used into `corrupt/`, never overwriting an earlier one. */
  async setAside(name: string, reason: string): Promise<void> {
    const target = await freeName(join(this.dir, CORRUPT_DIR), name);
    await rename(join(this.dir, name), target);
    this.#log.warn({ file: name, reason, movedTo: target }, 'queue file set aside as corrupt');
    await Promise.all([fsyncDirectory(join(this.dir, CORRUPT_DIR)), this.#dirSync.request()]);
  }

  /** File names in the queue directory; an absent directory is an empty queue. */
  async names(): Promise<string[]> {
    try {
      return await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#writing.values()]);
    await this.#dirSync.close();
  }
}

async function writeAll(handle: FileHandle, buffers: Buffer[]): Promise<void> {
  let total = 0;
  for (const buffer of buffers) total += buffer.length;
  let written = (await handle.writev(buffers)).bytesWritten;
  // Short writes are rare on local files but legal; finish from where the kernel stopped.
  while (written < total) {
    let skip = written;
    const rest: Buffer[] = [];
    for (const buffer of buffers) {
      if (skip >= buffer.length) {
        skip -= buffer.length;
        continue;
      }
      rest.push(skip ? buffer.subarray(skip) : buffer);
      skip = 0;
    }
    written += (await handle.writev(rest)).bytesWritten;
  }
}

async function unlinkIfPresent(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

async function freeName(dir: string, name: string): Promise<string> {
  for (let n = 0; ; n++) {
    const candidate = join(dir, n === 0 ? name : `${name}.${n}`);
    try {
      await stat(candidate);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return candidate;
      throw err;
    }
  }
}

export async function fsyncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
