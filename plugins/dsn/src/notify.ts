/**
 * What the sender asked to be told about, from the DSN parameters of RFC 3461.
 */
import type { EnvelopeRecipient } from '@posthorn/contracts';

export type NoticeKind = 'SUCCESS' | 'FAILURE' | 'DELAY';

/**
 * Whether the recipient's NOTIFY parameter (RFC 3461 4.1) asks for this kind of notice.
 * Without NOTIFY, RFC 3461 lets the server choose between FAILURE and FAILURE,DELAY; we take
 * FAILURE,DELAY, as most MTAs do. NEVER (alone, as smtp-server enforces) means nothing at all.
 */
export function wantsNotice(recipient: EnvelopeRecipient, kind: NoticeKind): boolean {
  const raw = recipient.params.NOTIFY;
  if (raw === undefined || raw.trim() === '') return kind !== 'SUCCESS';
  const values = raw
    .toUpperCase()
    .split(',')
    .map((value) => value.trim());
  if (values.includes('NEVER')) return false;
  return values.includes(kind);
}

/** RET=FULL (RFC 3461 4.3): return the whole message in a failure notice. */
export function wantsFullReturn(mailFromParams: Readonly<Record<string, string>>): boolean {
  return mailFromParams.RET?.trim().toUpperCase() === 'FULL';
}
