import type { Envelope, MessageQueue, QueueEntry } from '@posthorn/contracts';
import { PosthornError } from '@posthorn/core';
import type { Logger } from 'pino';
import { CorruptFileError, isValidId } from './format.ts';
import { QueueLock } from './lock.ts';
import type { Runner } from './runner.ts';
import { initialState, isFinal, type MessageState } from './state.ts';
import { MSG_SUFFIX, type QueueStore } from './store.ts';

function byArrival(a: QueueEntry, b: QueueEntry): number {
  return a.envelope.receivedAt < b.envelope.receivedAt ? -1 : a.envelope.receivedAt > b.envelope.receivedAt ? 1 : 0;
}

function noSuchMessage(id: string): PosthornError {
  return new PosthornError('PH_ADMIN_UNKNOWN', `no queued message ${id}`, { id });
}

async function readBody(store: QueueStore, id: string): Promise<Buffer> {
  if (!isValidId(id)) throw noSuchMessage(id);
  try {
    return (await store.readMessage(id)).message;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw noSuchMessage(id);
    throw err;
  }
}

/** The queue of a running server: the runner's memory is the truth, files are its journal. */
export function serverQueue(store: QueueStore, runner: Runner): MessageQueue {
  return {
    async enqueue(envelope: Envelope, message: Buffer): Promise<void> {
      // The runner learns of the message only once it is durable: a crash before that loses
      // nothing anybody was told about.
      await store.writeMessage(envelope, message, () => runner.add(envelope, message.length, undefined, message));
    },
    list: async () => runner.entries().sort(byArrival),
    get: async (id) => runner.get(id),
    retry: async (id) => runner.retry(id),
    remove: (id) => (isValidId(id) ? runner.remove(id) : Promise.resolve(false)),
    read: (id) => readBody(store, id),
  };
}

/**
 * The queue seen from a CLI command while no server runs here: reads the files directly.
 * Changes (enqueue, retry, remove) take the directory lock for their duration, so they refuse
 * with a clear error while a live server owns the queue.
 */
export function adminQueue(store: QueueStore, log: Logger): MessageQueue {
  const load = async (id: string): Promise<QueueEntry | null> => {
    try {
      const { envelope, size } = await store.readHeader(id);
      let state: MessageState | undefined;
      try {
        state = await store.readState(envelope);
      } catch (err) {
        if (!(err instanceof CorruptFileError)) throw err;
      }
      state ??= initialState(envelope, Date.parse(envelope.receivedAt) || Date.now());
      return { envelope, size, recipients: state.recipients };
    } catch (err) {
      // Gone meanwhile, or unreadable: the server's recovery deals with those, not a listing.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || err instanceof CorruptFileError) return null;
      throw err;
    }
  };
  const ids = async (): Promise<string[]> =>
    (await store.names()).filter((name) => name.endsWith(MSG_SUFFIX)).map((name) => name.slice(0, -MSG_SUFFIX.length)).filter(isValidId);
  const locked = async <T>(fn: () => Promise<T>): Promise<T> => {
    const lock = await QueueLock.acquire(store.dir, log);
    try {
      return await fn();
    } finally {
      await lock.release();
    }
  };

  return {
    enqueue: async (envelope, message) => {
      await store.ensureDirectories();
      await locked(() => store.writeMessage(envelope, message, () => undefined));
    },
    list: async () => (await Promise.all((await ids()).map(load))).filter((e): e is QueueEntry => e !== null).sort(byArrival),
    get: (id) => (isValidId(id) ? load(id) : Promise.resolve(null)),
    read: (id) => readBody(store, id),
    retry: async (id) => {
      const targets = id === undefined ? await ids() : isValidId(id) ? [id] : [];
      if (!targets.length || !(await store.names()).length) return 0;
      return locked(async () => {
        let count = 0;
        const now = new Date().toISOString();
        for (const target of targets) {
          const entry = await load(target);
          if (!entry || !entry.recipients.some((r) => !isFinal(r))) continue;
          const recipients = entry.recipients.map((r) => (isFinal(r) ? r : { ...r, nextAttemptAt: now }));
          const previous = await store.readState(entry.envelope).catch(() => undefined);
          await store.writeState(target, { recipients, ...(previous?.bouncedAt ? { bouncedAt: previous.bouncedAt } : {}) });
          count++;
        }
        return count;
      });
    },
    remove: async (id) => {
      if (!isValidId(id) || !(await store.names()).includes(id + MSG_SUFFIX)) return false;
      return locked(() => store.remove(id));
    },
  };
}
