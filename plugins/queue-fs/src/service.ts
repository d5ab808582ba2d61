import type { Envelope, MessageQueue, QueueEntry } from '@posthorn/contracts';
import { PosthornError } from '@posthorn/core';
import { isValidId } from './format.ts';
import { QueueLock } from './lock.ts';
import type { StoredMessage } from './log-index.ts';
import { readStoredMessage } from './message-reader.ts';
import { readLog } from './recovery.ts';
import type { Runner } from './runner.ts';
import { ensureDirectories } from './segment-files.ts';
import { initialState, isFinal } from './state.ts';
import { QueueLog, type QueueLogOptions } from './store.ts';

function byArrival(a: QueueEntry, b: QueueEntry): number {
  return a.envelope.receivedAt < b.envelope.receivedAt ? -1 : a.envelope.receivedAt > b.envelope.receivedAt ? 1 : 0;
}

function noSuchMessage(id: string): PosthornError {
  return new PosthornError('PH_ADMIN_UNKNOWN', `no queued message ${id}`, { id });
}

async function readOrUnknown(id: string, read: () => Promise<Buffer>): Promise<Buffer> {
  if (!isValidId(id)) throw noSuchMessage(id);
  try {
    return await read();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw noSuchMessage(id);
    throw err;
  }
}

/** The queue of a running server: the runner's memory is the truth, the log is its journal. */
export function serverQueue(store: QueueLog, runner: Runner): MessageQueue {
  return {
    async enqueue(envelope: Envelope, message: Buffer): Promise<void> {
      // The runner learns of the message only once it is durable: a crash before that loses
      // nothing anybody was told about.
      await store.enqueue(envelope, message, () => runner.add(envelope, message.length, undefined, message));
    },
    list: async () => runner.entries().sort(byArrival),
    get: async (id) => runner.get(id),
    retry: async (id) => runner.retry(id),
    remove: (id) => (isValidId(id) ? runner.remove(id) : Promise.resolve(false)),
    read: (id) => readOrUnknown(id, () => store.read(id)),
  };
}

function entryOf(message: StoredMessage): QueueEntry {
  const { envelope, size } = message;
  const state = message.state ?? initialState(envelope, Date.parse(envelope.receivedAt) || Date.now());
  return { envelope, size, recipients: state.recipients };
}

/**
 * The queue seen from a CLI command while no server runs here. Reading (list, get, read) scans
 * the log without changing anything, so it also works next to a running server. Changes
 * (enqueue, retry, remove) take the directory lock for their duration, so they refuse with a
 * clear error while a live server owns the queue, and append their records to a new segment.
 */
export function adminQueue(options: QueueLogOptions): MessageQueue {
  const { dir, log } = options;
  const snapshot = async (): Promise<Map<string, StoredMessage>> => (await readLog(dir, log, { repair: false })).index.live;
  const edit = async <T>(fn: (store: QueueLog) => Promise<T>): Promise<T> => {
    await ensureDirectories(dir);
    const lock = await QueueLock.acquire(dir, log);
    const store = new QueueLog(options);
    try {
      await store.openForEdit();
      return await fn(store);
    } finally {
      await store.close();
      await lock.release();
    }
  };
  const waiting = (message: StoredMessage): boolean => entryOf(message).recipients.some((r) => !isFinal(r));

  return {
    enqueue: async (envelope, message) => {
      await edit((store) => store.enqueue(envelope, message));
    },
    list: async () => [...(await snapshot()).values()].map(entryOf).sort(byArrival),
    get: async (id) => {
      const message = isValidId(id) ? (await snapshot()).get(id) : undefined;
      return message ? entryOf(message) : null;
    },
    read: (id) =>
      readOrUnknown(id, async () => {
        const message = (await snapshot()).get(id);
        if (!message) throw noSuchMessage(id);
        return readStoredMessage(dir, message);
      }),
    retry: async (id) => {
      const wanted = (message: StoredMessage): boolean => (id === undefined || message.envelope.id === id) && waiting(message);
      if (id !== undefined && !isValidId(id)) return 0;
      if (![...(await snapshot()).values()].some(wanted)) return 0;
      return edit(async (store) => {
        const now = new Date().toISOString();
        const targets = store.messages().filter(wanted);
        // Appended together, synced together; the next start finds these recipients due.
        await Promise.all(
          targets.map((message) => {
            const state = entryOf(message);
            const recipients = state.recipients.map((r) => (isFinal(r) ? r : { ...r, nextAttemptAt: now }));
            return store.saveState(message.envelope.id, { recipients, ...(message.state?.bouncedAt ? { bouncedAt: message.state.bouncedAt } : {}) });
          }),
        );
        return targets.length;
      });
    },
    remove: async (id) => {
      if (!isValidId(id) || !(await snapshot()).has(id)) return false;
      return edit((store) => store.remove(id));
    },
  };
}
