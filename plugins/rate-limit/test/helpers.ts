/** Reply checks and small SMTP steps shared by the rate-limit tests. */
import assert from 'node:assert/strict';
import type { Reply, SmtpClient } from '@posthorn/testkit';

/** Asserts basic and enhanced code, and that every line of a 4xx/5xx carries the enhanced code. */
export function expectReply(reply: Reply, code: number, enhanced: string): Reply {
  assert.equal(reply.code, code, `expected ${code} ${enhanced}, got ${JSON.stringify(reply.raw)}`);
  assert.equal(reply.enhanced, enhanced, `expected ${code} ${enhanced}, got ${JSON.stringify(reply.raw)}`);
  if (code >= 400) for (const line of reply.lines) assert.ok(line.startsWith(`${enhanced} `), `line without its enhanced code: ${JSON.stringify(reply.raw)}`);
  return reply;
}

export async function command(client: SmtpClient, line: string, code: number, enhanced: string): Promise<Reply> {
  return expectReply(await client.command(line), code, enhanced);
}

/** RSET and MAIL FROM; returns the MAIL reply. */
export async function tryMail(client: SmtpClient, from: string): Promise<Reply> {
  await command(client, 'RSET', 250, '2.0.0');
  return client.command(`MAIL FROM:<${from}>`);
}

/** Sends DATA with a small message after accepted recipients; returns the final reply. */
export async function sendData(client: SmtpClient, subject = 'test'): Promise<Reply> {
  await command(client, 'DATA', 354, '');
  return client.command(`From: a@example.org\r\nSubject: ${subject}\r\n\r\nhello\r\n.`);
}

/**
 * Repeats `attempt` until it answers `code`, and returns that reply. A fixed window ends at a
 * time, not on an event, so waiting for a counter to reset means trying again until it has.
 */
export async function retryUntil(code: number, attempt: () => Promise<Reply>, timeoutMs = 10_000): Promise<Reply> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reply = await attempt();
    if (reply.code === code) return reply;
    assert.ok(Date.now() < deadline, `no ${code} before the deadline; last reply ${JSON.stringify(reply.raw)}`);
    await new Promise((wake) => setTimeout(wake, 50));
  }
}

/** AUTH PLAIN initial response (RFC 4616). */
export function plain(login: string, password: string): string {
  return Buffer.from(`\0${login}\0${password}`).toString('base64');
}
