import type { Envelope } from './envelope.ts';
import type { ReplyData } from './reply.ts';
import { serviceToken } from './service.ts';

export type RecipientStatus = 'pending' | 'deferred' | 'delivered' | 'failed';

/** Delivery state of one recipient of a queued message. */
export interface RecipientState {
  readonly address: string;
  readonly status: RecipientStatus;
  readonly attempts: number;
  /** ISO time of the next attempt, for pending and deferred recipients. */
  readonly nextAttemptAt?: string;
  /** The last reply that explains a deferral or failure, and who gave it. */
  readonly lastReply?: ReplyData & { readonly at: string; readonly by?: string };
}

export interface QueueEntry {
  readonly envelope: Envelope;
  readonly size: number;
  readonly recipients: readonly RecipientState[];
}

/**
 * The durable queue, seen from the outside: enqueue (used by the core's queue step through the
 * queue plugin, and by plugins that create messages, such as bounces) and administration.
 *
 * Contract, whatever the backing store:
 * - `enqueue` resolves only once message and envelope survive a crash (fsync, or a committed
 *   transaction).
 * - Each recipient is delivered at most once per successful attempt and retried until it is
 *   delivered, failed permanently, or expired; a shared implementation hands out entries
 *   under a lease so that two nodes never attempt the same recipient at once.
 */
export interface MessageQueue {
  enqueue(envelope: Envelope, message: Buffer): Promise<void>;
  list(): Promise<QueueEntry[]>;
  get(id: string): Promise<QueueEntry | null>;
  /** Makes deferred recipients due now; all entries when no id is given. Returns how many entries. */
  retry(id?: string): Promise<number>;
  /** Removes an entry without delivering or bouncing it. */
  remove(id: string): Promise<boolean>;
  /** Reads the stored message bytes. */
  read(id: string): Promise<Buffer>;
}

export const Queue = serviceToken<MessageQueue>('posthorn.queue', 'Durable message queue');
