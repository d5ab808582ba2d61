/** Reply checks and small SMTP steps shared by the rate-limit tests (from the testkit). */
import { expectCommand, type Reply, retryUntilReply, type SmtpClient } from '@posthorn/testkit';

export { authPlain as plain, expectCommand as command, expectReply, sendSmallMessage as sendData } from '@posthorn/testkit';

/** RSET and MAIL FROM; returns the MAIL reply. */
export async function tryMail(client: SmtpClient, from: string): Promise<Reply> {
  await expectCommand(client, 'RSET', 250, '2.0.0');
  return client.command(`MAIL FROM:<${from}>`);
}

/**
 * Repeats `attempt` until it answers `code`, and returns that reply. A fixed window ends at a
 * time, not on an event, so waiting for a counter to reset means trying again until it has.
 */
export function retryUntil(code: number, attempt: () => Promise<Reply>, timeoutMs = 10_000): Promise<Reply> {
  return retryUntilReply(attempt, (reply) => reply.code === code, `no ${code}`, timeoutMs);
}
