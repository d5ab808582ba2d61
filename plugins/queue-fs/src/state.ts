/**
 * Delivery state of one message: one entry per envelope recipient, in envelope order, and when
 * the bounce went out. Stored whole in `state` records (and inside a copied-forward `message`
 * record); absent until the first attempt round that leaves the message in the queue.
 */
import type { Envelope, RecipientState } from '@posthorn/contracts';
import { CorruptRecordError } from './record.ts';

/** `failed` with `expired` set: retried until the maximum age without success. */
export interface StoredRecipient extends RecipientState {
  readonly expired?: boolean;
}

export interface MessageState {
  readonly recipients: readonly StoredRecipient[];
  /** Set once the bounce hook ran for this message, so a restart never bounces it twice. */
  readonly bouncedAt?: string;
}

/** Every recipient pending and due at `now`. */
export function initialState(envelope: Envelope, now: number): MessageState {
  const at = new Date(now).toISOString();
  return { recipients: envelope.recipients.map((r) => ({ address: r.address, status: 'pending', attempts: 0, nextAttemptAt: at })) };
}

export function isFinal(recipient: RecipientState): boolean {
  return recipient.status === 'delivered' || recipient.status === 'failed';
}

const STATUSES = new Set(['pending', 'deferred', 'delivered', 'failed']);

/** Checks a stored state (`{recipients, bouncedAt?}`, extra keys ignored) against its envelope. */
export function checkState(raw: unknown, envelope: Envelope): MessageState {
  const value = raw as { recipients?: unknown; bouncedAt?: unknown } | null;
  if (typeof value !== 'object' || value === null) throw new CorruptRecordError('state is not an object');
  if (!Array.isArray(value.recipients) || value.recipients.length !== envelope.recipients.length) {
    throw new CorruptRecordError('recipients do not match the envelope');
  }
  const recipients = value.recipients.map((item: unknown, index): StoredRecipient => {
    const r = item as Partial<StoredRecipient> | null;
    if (typeof r !== 'object' || r === null || r.address !== envelope.recipients[index]!.address) {
      throw new CorruptRecordError(`recipient ${index} does not match the envelope`);
    }
    if (!STATUSES.has(r.status as string) || !Number.isSafeInteger(r.attempts) || (r.attempts as number) < 0) {
      throw new CorruptRecordError(`recipient ${index} has a bad status`);
    }
    if (r.nextAttemptAt !== undefined && Number.isNaN(Date.parse(r.nextAttemptAt))) throw new CorruptRecordError(`recipient ${index} has a bad time`);
    return r as StoredRecipient;
  });
  if (value.bouncedAt !== undefined && typeof value.bouncedAt !== 'string') throw new CorruptRecordError('bad bouncedAt');
  return { recipients, ...(typeof value.bouncedAt === 'string' ? { bouncedAt: value.bouncedAt } : {}) };
}
