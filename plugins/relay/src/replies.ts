import { Replies, reply } from '@posthorn/core';

export const RelayReplies = Object.freeze({
  /** The core's own words for a recipient nobody takes. */
  denied: Replies.relayDenied,
  badSyntax: reply(501, '5.1.3', 'Bad recipient address syntax'),
  /** RFC 6531 3.5: a non-ASCII mailbox from a client that did not say SMTPUTF8. */
  needsSmtpUtf8: reply(553, '5.6.7', 'Non-ASCII recipient address requires SMTPUTF8'),
});
