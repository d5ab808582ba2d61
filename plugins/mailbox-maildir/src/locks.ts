import { MailStoreError } from './errors.ts';

/**
 * Exclusive mailbox locks for sessions that must not share a maildrop (POP3, RFC 1939 8).
 * In-process only: one server process owns a mail root.
 */
export class MailboxLocks {
  readonly #held = new Map<string, { owner: string; token: symbol }>();

  acquire(key: string, owner: string): () => void {
    const holder = this.#held.get(key);
    if (holder) throw new MailStoreError('INUSE', 'mailbox is locked by another session', { owner: holder.owner });
    const token = Symbol(owner);
    this.#held.set(key, { owner, token });
    // Releasing twice, or after someone else took the lock, must not free their lock.
    return () => {
      if (this.#held.get(key)?.token === token) this.#held.delete(key);
    };
  }
}
