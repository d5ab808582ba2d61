import { randomBytes } from 'node:crypto';
import { chown, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** The file's text, or `initial` when it does not exist (yet). */
export async function readOrInitial(file: string, initial: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return initial;
    throw err;
  }
}

/** Creates the file with `content` (mode 0600: it holds password hashes) unless it exists. */
export async function createIfMissing(file: string, content: string): Promise<boolean> {
  await mkdir(dirname(file), { recursive: true });
  let handle;
  try {
    handle = await open(file, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await syncDirectory(dirname(file));
  return true;
}

/**
 * Replaces the file's content atomically: a temporary file in the same directory is written,
 * synced and renamed over it, so a reader (the watcher, another process) sees the old or the new
 * content, never a mix. Mode and, when allowed, owner of the old file are kept, so that an edit
 * made as root does not lock the server's user out of its own file.
 */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const previous = await stat(file).catch(() => undefined);
  // The first edit of a file that a CLI command never created.
  if (!previous) await mkdir(dirname(file), { recursive: true });
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', previous ? previous.mode & 0o777 : 0o600);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } catch (err) {
    await handle.close();
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await handle.close();
  if (previous) await chown(temp, previous.uid, previous.gid).catch(() => undefined);
  try {
    await rename(temp, file);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await syncDirectory(dirname(file));
}

/** Makes a rename or a new entry in the directory durable. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
