import type { MailboxSelector, MailStore } from '@posthorn/contracts';
import { type MimePart, parseStructure } from './message/structure.ts';

export interface CachedMessage {
  readonly raw: Buffer;
  readonly structure: MimePart;
}

/**
 * Parsed messages shared by every session, least recently used out first, bounded in bytes
 * of raw message. Stored messages never change (flags live in the index), so an entry keyed by
 * the store's message id is valid for as long as it is kept; FETCH ENVELOPE over a mailbox and
 * SEARCH by header read each message file once, not once per command.
 */
export class MessageCache {
  readonly #maxBytes: number;
  readonly #entries = new Map<string, CachedMessage>();
  #bytes = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  async get(store: MailStore, box: MailboxSelector, uid: number, id: string): Promise<CachedMessage> {
    const key = `${box.user}\0${id}`;
    const hit = this.#entries.get(key);
    if (hit) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit;
    }
    const raw = await store.readMessage(box, uid);
    const entry = { raw, structure: parseStructure(raw) };
    if (raw.length <= this.#maxBytes / 4) {
      this.#entries.set(key, entry);
      this.#bytes += raw.length;
      for (const [oldKey, old] of this.#entries) {
        if (this.#bytes <= this.#maxBytes) break;
        this.#entries.delete(oldKey);
        this.#bytes -= old.raw.length;
      }
    }
    return entry;
  }
}
