/**
 * Queue ids of notices, derived from the original message's id so that making the same notice
 * again (queue-fs repeats a bounce whose tap threw, and may repeat one after a crash) hands the
 * queue the same id: queue-fs stores a message once per id, and local delivery keys its dedupe
 * on the id, so a repeat queues and stores nothing new.
 */
import { createHash } from 'node:crypto';

/** What queue-fs accepts (plugins/queue-fs/src/format.ts); core ids (core/src/ids.ts) fit it. */
const QUEUE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const MAX_ID = 200;

export type NoticeSuffix = 'dsn-failure' | `dsn-delay-${number}` | `dsn-success-${number}`;

export function noticeId(originalId: string, suffix: NoticeSuffix): string {
  const plain = `${originalId}.${suffix}`;
  if (QUEUE_ID.test(originalId) && plain.length <= MAX_ID) return plain;
  // An id from another queue that would not make a valid one: still one fixed id per notice.
  return `dsn-${createHash('sha256').update(originalId).digest('hex').slice(0, 40)}.${suffix}`;
}

/** A file name for an id (the delay-warning records), by the same rule. */
export function fileNameOf(originalId: string): string {
  if (QUEUE_ID.test(originalId) && originalId.length <= MAX_ID) return originalId;
  return `h-${createHash('sha256').update(originalId).digest('hex').slice(0, 40)}`;
}
