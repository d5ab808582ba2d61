import type { Session } from '@posthorn/core';

/**
 * Which sessions hand over mail of our own users: an authenticated session, a session on a
 * submission listener (RFC 6409 port 587, RFC 8314 port 465), or either. (The headers plugin
 * has the same option; plugins do not import each other, so each keeps its few lines.)
 */
export type OutgoingSelection = 'authenticated' | 'submission-listeners' | 'both';

export function isOutgoing(session: Pick<Session, 'user' | 'listener'>, selection: OutgoingSelection): boolean {
  const authenticated = session.user !== undefined;
  const submission = session.listener.role === 'submission' || session.listener.role === 'submissions';
  if (selection === 'authenticated') return authenticated;
  if (selection === 'submission-listeners') return submission;
  return authenticated || submission;
}
