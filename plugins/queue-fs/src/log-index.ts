/**
 * What the log holds, in memory: each queued message with the place of its current `message`
 * record and its last written state, and per segment how many messages (and bytes) still live
 * there, which is what decides when a segment may go.
 *
 * A message keeps its segment "pinned" from the moment its record is durable until the record
 * that ends it (`done`, `removed`, or a copy in a newer segment) is durable too. Only message
 * records pin. A `state` record matters only while the message record it follows exists; that
 * record is in the same segment or an older one, and segments are deleted oldest first
 * (compaction.ts), so the segment holding the state goes with or after it, never before.
 */
import type { Envelope } from '@posthorn/contracts';
import { decodeEnd, decodeMessage, decodeState } from './format.ts';
import type { ScannedRecord } from './segment-reader.ts';
import type { Placement } from './segment-writer.ts';
import { checkState, type MessageState } from './state.ts';

export interface StoredMessage {
  readonly envelope: Envelope;
  /** Bytes of the message itself. */
  readonly size: number;
  /** The durable `message` record: segment and byte range of the whole record. */
  seq: number;
  offset: number;
  length: number;
  /** The last state written for it (in a `state` record or inside its copied record); undefined: never attempted. */
  state: MessageState | undefined;
}

interface Pins {
  count: number;
  bytes: number;
}

export class LogIndex {
  /** Queued messages by id. A message leaves this map when its end record is appended. */
  readonly live = new Map<string, StoredMessage>();
  readonly #pins = new Map<number, Pins>();
  #pinned = 0;

  /** Messages whose record still pins a segment (queued ones, and finished ones whose end is not yet durable). */
  get pinnedMessages(): number {
    return this.#pinned;
  }

  /** A message's record is durable: it is queued and pins its segment. */
  add(envelope: Envelope, size: number, placement: Placement, state: MessageState | undefined): StoredMessage {
    const message: StoredMessage = { envelope, size, seq: placement.seq, offset: placement.offset, length: placement.length, state };
    this.live.set(envelope.id, message);
    this.#pin(message);
    return message;
  }

  /** The record that ends a message (`done`, `removed`) is durable: its segment may go. */
  release(message: StoredMessage): void {
    this.#unpin(message);
  }

  /** A copy of the message's record in a newer segment is durable: it pins that one instead. */
  move(message: StoredMessage, placement: Placement): void {
    this.#unpin(message);
    message.seq = placement.seq;
    message.offset = placement.offset;
    message.length = placement.length;
    this.#pin(message);
  }

  /** The oldest segment some message still needs, or undefined when none does. */
  oldestPinned(): number | undefined {
    let oldest: number | undefined;
    for (const seq of this.#pins.keys()) if (oldest === undefined || seq < oldest) oldest = seq;
    return oldest;
  }

  /** Bytes of message records that still live in a segment. */
  liveBytesIn(seq: number): number {
    return this.#pins.get(seq)?.bytes ?? 0;
  }

  /** Queued messages whose record is in segment `seq`. */
  messagesIn(seq: number): StoredMessage[] {
    return [...this.live.values()].filter((message) => message.seq === seq);
  }

  /**
   * Applies one record read back from the log (recovery, admin scans). Throws
   * CorruptRecordError for a payload that verifies but makes no sense; the caller logs it.
   */
  apply(record: ScannedRecord, seq: number): void {
    const placement = { seq, offset: record.offset, length: record.length };
    switch (record.type) {
      case 'message': {
        const decoded = decodeMessage(record.payload);
        // A later record of the same id is a copy made by compaction, or a new message after
        // the end of the old one was lost with a failed write: either way the later one counts.
        const earlier = this.live.get(decoded.envelope.id);
        if (earlier) this.#unpin(earlier);
        this.add(decoded.envelope, decoded.size, placement, decoded.state);
        return;
      }
      case 'state': {
        const { id, value } = decodeState(record.payload);
        const message = this.live.get(id);
        // The state of a message whose record is gone (finished, its segment deleted).
        if (!message) return;
        message.state = checkState(value, message.envelope);
        return;
      }
      case 'done':
      case 'removed': {
        const message = this.live.get(decodeEnd(record.payload));
        if (!message) return;
        this.live.delete(message.envelope.id);
        this.#unpin(message);
        return;
      }
    }
  }

  #pin(message: StoredMessage): void {
    const pins = this.#pins.get(message.seq);
    if (pins) {
      pins.count++;
      pins.bytes += message.length;
    } else {
      this.#pins.set(message.seq, { count: 1, bytes: message.length });
    }
    this.#pinned++;
  }

  #unpin(message: StoredMessage): void {
    const pins = this.#pins.get(message.seq);
    if (!pins) return;
    this.#pinned--;
    if (--pins.count === 0) this.#pins.delete(message.seq);
    else pins.bytes -= message.length;
  }
}
