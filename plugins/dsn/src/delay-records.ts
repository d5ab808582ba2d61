/**
 * Which recipients have had their delay warning, kept on disk so that "once per recipient"
 * survives a restart. The delayed event does not say when the previous attempt was, so a
 * stateless rule ("the first deferral past `after`") cannot tell the first such deferral from
 * the later ones.
 *
 * One empty file per warned recipient, `<dir>/<queue id>.<recipient index>`, written (and
 * synced) once the warning is queued. A crash in between makes the next deferral queue the
 * warning again, under the same notice id (a no-op while the first is still queued). The file
 * is removed when the recipient reaches a final state (delivered or bounced); records of
 * messages that left the queue otherwise (an administrator removed them) are swept at load
 * once older than RECORD_LIFETIME_MS.
 */
import { mkdir, open, readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@posthorn/core';
import { fileNameOf } from './ids.ts';

/** Far beyond any sensible queue lifetime (queue-fs defaults to 5 days). */
const RECORD_LIFETIME_MS = 60 * 24 * 3600 * 1000;

export class DelayRecords {
  readonly #dir: string;
  readonly #log: Logger;
  /** Names of the records on disk; loaded once, then kept in step, so lookups cost no I/O. */
  #known: Promise<Set<string>> | undefined;

  constructor(dir: string, log: Logger) {
    this.#dir = dir;
    this.#log = log;
  }

  async has(id: string, index: number): Promise<boolean> {
    return (await this.#load()).has(nameOf(id, index));
  }

  /** Records durably that the recipient was warned. */
  async add(id: string, index: number): Promise<void> {
    const known = await this.#load();
    const name = nameOf(id, index);
    const handle = await open(join(this.#dir, name), 'w', 0o640);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await syncDirectory(this.#dir);
    known.add(name);
  }

  /** Forgets the records of these recipients (final now); missing ones are fine. */
  async remove(id: string, indexes: readonly number[]): Promise<void> {
    const known = await this.#load();
    for (const index of indexes) {
      const name = nameOf(id, index);
      if (!known.has(name)) continue;
      known.delete(name);
      await unlink(join(this.#dir, name)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
  }

  #load(): Promise<Set<string>> {
    this.#known ??= this.#read().catch((err: unknown) => {
      this.#known = undefined;
      throw err;
    });
    return this.#known;
  }

  async #read(): Promise<Set<string>> {
    await mkdir(this.#dir, { recursive: true });
    const known = new Set<string>();
    const now = Date.now();
    for (const name of await readdir(this.#dir)) {
      const path = join(this.#dir, name);
      try {
        if (now - (await stat(path)).mtimeMs > RECORD_LIFETIME_MS) {
          await unlink(path);
          continue;
        }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      known.add(name);
    }
    this.#log.debug({ dir: this.#dir, records: known.size }, 'delay warning records loaded');
    return known;
  }
}

function nameOf(id: string, index: number): string {
  return `${fileNameOf(id)}.${index}`;
}

async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
