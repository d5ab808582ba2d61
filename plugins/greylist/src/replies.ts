import { reply } from '@posthorn/core';

/**
 * 451: a temporary failure the client must retry later (RFC 5321 4.2.5, 4.5.4.1); 4.7.1:
 * delivery not authorized (RFC 3463), here only for now. The text tells the client what to do
 * and nothing about how long the delay is.
 */
export const GreylistReplies = Object.freeze({
  greylisted: reply(451, '4.7.1', 'Greylisted, please try again later'),
});
