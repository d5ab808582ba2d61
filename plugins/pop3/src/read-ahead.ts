import type { MailStore } from '@posthorn/contracts';
import type { Maildrop } from './maildrop.ts';

/** Messages read ahead at most, and their total size at most. */
const WINDOW_MESSAGES = 4;
const WINDOW_BYTES = 1024 * 1024;

/**
 * Mail programs fetch RETR 1, 2, 3... one after the other. After each RETR the next few
 * messages are read from the store while the client takes the current one, so the store's
 * latency (an index lookup and a few file system calls through the thread pool) overlaps the
 * round trips instead of adding to each. The window follows the last RETR: at most
 * WINDOW_MESSAGES messages and WINDOW_BYTES bytes are held, and a client that jumps around
 * costs at most that many wasted reads.
 */
export class ReadAhead {
  readonly #store: MailStore;
  readonly #maildrop: Maildrop;
  /** UID -> its content being read, in message order. */
  #window = new Map<number, Promise<Buffer>>();

  constructor(store: MailStore, maildrop: Maildrop) {
    this.#store = store;
    this.#maildrop = maildrop;
  }

  /** The content of this message if it is being read ahead (taken out of the window). */
  take(uid: number): Promise<Buffer> | undefined {
    const data = this.#window.get(uid);
    this.#window.delete(uid);
    return data;
  }

  /** Moves the window to the messages after `number`. */
  after(number: number): void {
    const next = new Map<number, Promise<Buffer>>();
    let bytes = 0;
    for (let n = number + 1; next.size < WINDOW_MESSAGES; n++) {
      if (n > number + WINDOW_MESSAGES * 4) break;
      const message = this.#maildrop.message(n);
      if (!message) {
        if (this.#maildrop.isDeleted(n)) continue;
        break;
      }
      if (bytes + message.size > WINDOW_BYTES) break;
      bytes += message.size;
      let data = this.#window.get(message.uid);
      if (!data) {
        data = this.#store.readMessage(this.#maildrop.box, message.uid, { start: 0, end: message.size });
        // A failed read is forgotten here; RETR reads again and reports what it finds.
        data.catch(() => undefined);
      }
      next.set(message.uid, data);
    }
    this.#window = next;
  }
}
