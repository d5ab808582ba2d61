/** Reply checks and small SMTP steps shared by the greylist tests (from the testkit). */
import { type Reply, retryUntilReply } from '@posthorn/testkit';

export { authPlain as plain, expectCommand as command, expectReply, sendSmallMessage as sendData, tryRecipient } from '@posthorn/testkit';

/**
 * Retries `attempt` until it stops answering 451 4.7.1, as a sending server's queue would, and
 * returns the first other reply. Greylisting is a delay by design, so a retry loop with a
 * deadline is the only way to see it pass.
 */
export function retryUntilPassed(attempt: () => Promise<Reply>, timeoutMs = 10_000): Promise<Reply> {
  return retryUntilReply(attempt, (reply) => !(reply.code === 451 && reply.enhanced === '4.7.1'), 'still greylisted', timeoutMs);
}
