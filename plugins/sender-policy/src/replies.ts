import { reply } from '@posthorn/core';

export const SenderReplies = Object.freeze({
  /** MAIL FROM with an address the user does not own (553: mailbox name not allowed, RFC 5321 4.2.2). */
  envelope: reply(553, '5.7.1', 'Sender address not allowed for this login'),
  nullSender: reply(553, '5.7.1', 'Null sender not allowed for this login'),
  /** After DATA, for the header: the message is refused (550), the policy reason is 5.7.1. */
  header: reply(550, '5.7.1', 'From: or Sender: header address not allowed for this login'),
});
