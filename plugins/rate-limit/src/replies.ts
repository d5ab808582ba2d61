import { reply } from '@posthorn/core';

/**
 * Every limit answers with a temporary failure, so a well-behaved client (a sending server's
 * queue, a user's mail program) tries again later instead of bouncing the mail. 4.7.0 (RFC 3463:
 * other security or policy status) names a policy refusal without claiming more. A refused
 * connection gets 421, the one reply that may open or end a session (RFC 5321 3.8), and is
 * closed.
 */
export const RateLimitReplies = Object.freeze({
  connections: reply(421, '4.7.0', 'Too many connections from your network, try again later'),
  clientMessages: reply(451, '4.7.0', 'Too many messages from your network, try again later'),
  userMessages: reply(451, '4.7.0', 'Too many messages sent by this account, try again later'),
  userRecipients: reply(451, '4.7.0', 'Too many recipients for this account, try again later'),
  senderDomainMessages: reply(451, '4.7.0', 'Too many messages from this sender domain, try again later'),
});
