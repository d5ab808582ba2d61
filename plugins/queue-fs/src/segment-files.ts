/** Names and plain file operations of the queue directory. */
import { mkdir, open, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export const LOCK_FILE = 'lock';
export const CORRUPT_DIR = 'corrupt';
export const FILE_MODE = 0o640;

const SEGMENT_PATTERN = /^(\d{1,15})\.log$/;

/** `000000000042.log`: fixed width so a plain `ls` lists segments in log order. */
export function segmentName(seq: number): string {
  return `${String(seq).padStart(12, '0')}.log`;
}

export function segmentPath(dir: string, seq: number): string {
  return join(dir, segmentName(seq));
}

export function segmentSeq(name: string): number | undefined {
  const match = SEGMENT_PATTERN.exec(name);
  return match ? Number(match[1]) : undefined;
}

/** Names in the queue directory; a missing directory is an empty queue. */
export async function listDirectory(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Sequence numbers of the segments in `names`, in log order. */
export function segmentsIn(names: readonly string[]): number[] {
  return names
    .map(segmentSeq)
    .filter((seq): seq is number => seq !== undefined)
    .sort((a, b) => a - b);
}

export async function fsyncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Creates the queue directory and `corrupt/`; directories just created are made durable too. */
export async function ensureDirectories(dir: string): Promise<void> {
  const created = await mkdir(join(dir, CORRUPT_DIR), { recursive: true });
  if (created !== undefined) {
    // Every directory from `created` down was new: fsync each parent so the chain survives.
    for (let child = join(dir, CORRUPT_DIR); child !== dirname(created); child = dirname(child)) await fsyncDirectory(dirname(child));
  }
}
