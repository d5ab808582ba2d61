import type { Envelope } from '@posthorn/contracts';
import type { Logger } from 'pino';
import { CorruptFileError, isValidId } from './format.ts';
import { LOCK_TEMP_PREFIX } from './lock.ts';
import type { MessageState } from './state.ts';
import { CORRUPT_DIR, LOCK_FILE, MSG_SUFFIX, type QueueStore, STATE_SUFFIX, TEMP_SUFFIX } from './store.ts';

export interface RecoveredMessage {
  readonly envelope: Envelope;
  readonly size: number;
  readonly state: MessageState | undefined;
}

/** Files verified at once during recovery: enough to keep the disk busy, not a file-descriptor storm. */
const PARALLEL_READS = 16;

/**
 * Scans the queue directory at start. Every `.msg` is read in full and verified; one that cannot
 * be used (torn write, damage) and every leftover temp file is moved to `corrupt/` with a
 * warning, never stopping the server. A damaged `.state` means "no state yet" for its message;
 * a `.state` without its message is a leftover of a removal and is deleted.
 *
 * `skip` names ids this process is writing or already tracks (a message queued while the scan
 * runs), which the scan must leave alone.
 */
export async function recover(store: QueueStore, log: Logger, skip: (id: string) => boolean): Promise<RecoveredMessage[]> {
  const names = await store.names();
  const messages: string[] = [];
  const states = new Set<string>();
  for (const name of names) {
    if (name === CORRUPT_DIR || name === LOCK_FILE || name.startsWith(LOCK_TEMP_PREFIX)) continue;
    if (name.endsWith(TEMP_SUFFIX)) {
      // Only state files are written through a temp file, and none is being written before the
      // runner starts: this one is a leftover of a crash.
      await store.setAside(name, 'leftover temporary file');
    } else if (name.endsWith(MSG_SUFFIX)) {
      const id = name.slice(0, -MSG_SUFFIX.length);
      if (isValidId(id)) messages.push(id);
      else await store.setAside(name, 'file name is not a queue id');
    } else if (name.endsWith(STATE_SUFFIX)) {
      states.add(name.slice(0, -STATE_SUFFIX.length));
    } else {
      log.warn({ file: name }, 'unknown file in the queue directory left alone');
    }
  }

  const recovered: RecoveredMessage[] = [];
  const setAsideIds = new Set<string>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < messages.length) {
      const id = messages[next++]!;
      if (skip(id)) continue;
      const message = await recoverOne(store, log, id, skip, states.has(id));
      if (message === 'corrupt') setAsideIds.add(id);
      else if (message) recovered.push(message);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_READS, messages.length) }, worker));

  const known = new Set(messages);
  for (const id of states) {
    if (setAsideIds.has(id)) {
      await store.setAside(id + STATE_SUFFIX, 'its message file was corrupt');
    } else if (!known.has(id) && !skip(id)) {
      log.info({ file: id + STATE_SUFFIX }, 'removing the state of a message that is no longer queued');
      await store.removeFile(id + STATE_SUFFIX);
    }
  }
  // Oldest first, so a backlog drains in arrival order.
  return recovered.sort((a, b) => (a.envelope.receivedAt < b.envelope.receivedAt ? -1 : a.envelope.receivedAt > b.envelope.receivedAt ? 1 : 0));
}

async function recoverOne(store: QueueStore, log: Logger, id: string, skip: (id: string) => boolean, hasState: boolean): Promise<RecoveredMessage | 'corrupt' | undefined> {
  let envelope: Envelope;
  let size: number;
  try {
    ({
      header: { envelope, size },
    } = await store.readMessage(id));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (!(err instanceof CorruptFileError)) throw err;
    // A message queued while this file was read is complete by now and no stray.
    if (skip(id)) return undefined;
    await store.setAside(id + MSG_SUFFIX, err.reason);
    return 'corrupt';
  }
  let state: MessageState | undefined;
  if (hasState) {
    try {
      state = await store.readState(envelope);
    } catch (err) {
      if (!(err instanceof CorruptFileError)) throw err;
      log.warn({ file: id + STATE_SUFFIX, reason: err.reason }, 'corrupt queue state ignored; delivery state starts afresh');
      await store.setAside(id + STATE_SUFFIX, err.reason);
    }
  }
  return { envelope, size, state };
}
