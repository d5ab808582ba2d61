import { EventEmitter } from 'node:events';
import type { MailboxChange } from '@posthorn/contracts';
import type { Logger } from '@posthorn/core';

/**
 * In-process change notification, one event name per account and mailbox. Writers emit after
 * their commit; IMAP IDLE and concurrent sessions listen instead of polling the disk. A failing
 * listener is logged and never breaks the writer or the other listeners.
 */
export class ChangeHub {
  readonly #emitter = new EventEmitter();
  readonly #log: Logger;

  constructor(log: Logger) {
    this.#log = log;
    // One listener per open IMAP session on a mailbox; there is no sensible upper bound.
    this.#emitter.setMaxListeners(0);
  }

  static key(user: string, mailbox: string): string {
    // NUL cannot occur in an account or a mailbox name, so keys cannot collide (nor be 'error').
    return `${user}\0${mailbox}`;
  }

  subscribe(key: string, listener: (change: MailboxChange) => void): () => void {
    const guarded = (change: MailboxChange) => {
      try {
        listener(change);
      } catch (err) {
        this.#log.error({ err: (err as Error).message }, 'a mailbox change listener failed');
      }
    };
    this.#emitter.on(key, guarded);
    let subscribed = true;
    return () => {
      if (subscribed) this.#emitter.off(key, guarded);
      subscribed = false;
    };
  }

  emit(key: string, change: MailboxChange): void {
    this.#emitter.emit(key, change);
  }
}
