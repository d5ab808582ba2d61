import type { Session } from './context.ts';

/**
 * Which sessions hand over mail of our own users, for plugins that treat submitted mail apart
 * from mail arriving from other servers (header fixing, signing): an authenticated session, a
 * session on a submission listener (RFC 6409 port 587, RFC 8314 port 465), or either.
 */
export type OutgoingSelection = 'authenticated' | 'submission-listeners' | 'both';

/** JSON Schema of an `outgoing` option, for plugins' option schemas. */
export const outgoingSelectionSchema = Object.freeze({ enum: ['authenticated', 'submission-listeners', 'both'], default: 'both' });

export function isOutgoing(session: Pick<Session, 'user' | 'listener'>, selection: OutgoingSelection): boolean {
  const authenticated = session.user !== undefined;
  const submission = session.listener.role === 'submission' || session.listener.role === 'submissions';
  if (selection === 'authenticated') return authenticated;
  if (selection === 'submission-listeners') return submission;
  return authenticated || submission;
}
