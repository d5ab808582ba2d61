/**
 * The `.state` file: per-recipient delivery state of one message, as compact JSON. It is
 * rewritten (atomically: temp file, fsync, rename, directory fsync) only when something changed,
 * and absent until the first attempt round that leaves the message in the queue.
 *
 *   {"version":1,"id":"...","recipients":[{"address":"a@b","status":"deferred","attempts":1,
 *    "nextAttemptAt":"...","lastReply":{"code":451,...,"at":"...","by":"..."}}],"bouncedAt":"..."}
 */
import type { Envelope, RecipientState } from '@posthorn/contracts';
import { CorruptFileError } from './format.ts';

/** `failed` with `expired` set: retried until the maximum age without success. */
export interface StoredRecipient extends RecipientState {
  readonly expired?: boolean;
}

export interface MessageState {
  readonly recipients: readonly StoredRecipient[];
  /** Set once the bounce hook ran for this message, so a restart never bounces it twice. */
  readonly bouncedAt?: string;
}

export const STATE_VERSION = 1;

/** Every recipient pending and due at `now`. */
export function initialState(envelope: Envelope, now: number): MessageState {
  const at = new Date(now).toISOString();
  return { recipients: envelope.recipients.map((r) => ({ address: r.address, status: 'pending', attempts: 0, nextAttemptAt: at })) };
}

export function isFinal(recipient: RecipientState): boolean {
  return recipient.status === 'delivered' || recipient.status === 'failed';
}

export function encodeState(id: string, state: MessageState): Buffer {
  return Buffer.from(JSON.stringify({ version: STATE_VERSION, id, ...state }), 'utf8');
}

const STATUSES = new Set(['pending', 'deferred', 'delivered', 'failed']);

/** Parses a state file and checks that it belongs to this envelope. */
export function decodeState(text: string, envelope: Envelope): MessageState {
  let value: { version?: unknown; id?: unknown; recipients?: unknown; bouncedAt?: unknown };
  try {
    value = JSON.parse(text) as typeof value;
  } catch {
    throw new CorruptFileError('bad JSON');
  }
  if (typeof value !== 'object' || value === null || value.version !== STATE_VERSION) throw new CorruptFileError('unknown state version');
  if (value.id !== envelope.id) throw new CorruptFileError('id does not match');
  if (!Array.isArray(value.recipients) || value.recipients.length !== envelope.recipients.length) {
    throw new CorruptFileError('recipients do not match the envelope');
  }
  const recipients = value.recipients.map((raw: unknown, index): StoredRecipient => {
    const r = raw as Partial<StoredRecipient> | null;
    if (typeof r !== 'object' || r === null || r.address !== envelope.recipients[index]!.address) {
      throw new CorruptFileError(`recipient ${index} does not match the envelope`);
    }
    if (!STATUSES.has(r.status as string) || !Number.isSafeInteger(r.attempts) || (r.attempts as number) < 0) {
      throw new CorruptFileError(`recipient ${index} has a bad status`);
    }
    if (r.nextAttemptAt !== undefined && Number.isNaN(Date.parse(r.nextAttemptAt))) throw new CorruptFileError(`recipient ${index} has a bad time`);
    return r as StoredRecipient;
  });
  if (value.bouncedAt !== undefined && typeof value.bouncedAt !== 'string') throw new CorruptFileError('bad bouncedAt');
  return { recipients, ...(typeof value.bouncedAt === 'string' ? { bouncedAt: value.bouncedAt } : {}) };
}
