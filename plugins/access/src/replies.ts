import { reply, type SmtpReply } from '@posthorn/core';
import { CONNECT, type StageIndex } from './stages.ts';

/**
 * Replies an entry may choose, by action and stage. At connect only 554 (no service here) and
 * 421 (service not available, closing) are greeting replies (RFC 5321 3.1, 4.2.3); the session
 * is closed after either. Later, a refusal is 550 (not taken), 553 (mailbox name not allowed)
 * or 554 (transaction failed), a temporary one 450 or 451 (RFC 5321 4.2.2, 4.2.3).
 */
export const ALLOWED_CODES: Readonly<Record<'reject' | 'tempfail', { readonly connect: readonly number[]; readonly later: readonly number[] }>> = Object.freeze({
  reject: { connect: [554], later: [550, 553, 554] },
  tempfail: { connect: [421], later: [450, 451] },
});

/**
 * Default replies. 5.7.1 / 4.7.1 (RFC 3463: delivery not authorized): refused by policy. The
 * text is generic on purpose; which entry matched goes to the log.
 */
export function defaultReply(action: 'reject' | 'tempfail', stage: StageIndex): SmtpReply {
  if (action === 'reject') return stage === CONNECT ? DEFAULTS.rejectConnect : DEFAULTS.reject;
  return stage === CONNECT ? DEFAULTS.tempfailConnect : DEFAULTS.tempfail;
}

const DEFAULTS = Object.freeze({
  rejectConnect: reply(554, '5.7.1', 'Access denied'),
  reject: reply(550, '5.7.1', 'Access denied'),
  tempfailConnect: reply(421, '4.7.1', 'Access temporarily denied, try again later'),
  tempfail: reply(451, '4.7.1', 'Access temporarily denied, try again later'),
});
