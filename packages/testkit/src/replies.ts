import assert from 'node:assert/strict';
import type { Reply, SmtpClient } from './smtp-client.ts';

/** Asserts basic and enhanced code, and that every line of a 4xx/5xx carries the enhanced code. */
export function expectReply(reply: Reply, code: number, enhanced: string): Reply {
  assert.equal(reply.code, code, `expected ${code} ${enhanced}, got ${JSON.stringify(reply.raw)}`);
  assert.equal(reply.enhanced, enhanced, `expected ${code} ${enhanced}, got ${JSON.stringify(reply.raw)}`);
  if (code >= 400) for (const line of reply.lines) assert.ok(line.startsWith(`${enhanced} `), `line without its enhanced code: ${JSON.stringify(reply.raw)}`);
  return reply;
}

/** Sends a command and asserts its reply's codes. */
export async function expectCommand(client: SmtpClient, line: string, code: number, enhanced: string): Promise<Reply> {
  return expectReply(await client.command(line), code, enhanced);
}

/** RSET, MAIL FROM and one RCPT TO; returns the RCPT reply. */
export async function tryRecipient(client: SmtpClient, from: string, to: string): Promise<Reply> {
  await expectCommand(client, 'RSET', 250, '2.0.0');
  await expectCommand(client, `MAIL FROM:<${from}>`, 250, '2.1.0');
  return client.command(`RCPT TO:<${to}>`);
}

/** Sends DATA with a small message after accepted recipients; returns the final reply. */
export async function sendSmallMessage(client: SmtpClient, subject = 'test'): Promise<Reply> {
  await expectCommand(client, 'DATA', 354, '');
  return client.command(`From: a@example.org\r\nSubject: ${subject}\r\n\r\nhello\r\n.`);
}

/** `AUTH PLAIN` initial response for a login and password (RFC 4616). */
export function authPlain(login: string, password: string): string {
  return Buffer.from(`\0${login}\0${password}`, 'utf8').toString('base64');
}

/**
 * Repeats `attempt` until `done` says so, and returns that reply: for limits that end at a
 * time (a greylisting delay, a rate window), where trying again is the only event there is.
 */
export async function retryUntilReply(attempt: () => Promise<Reply>, done: (reply: Reply) => boolean, what: string, timeoutMs = 10_000): Promise<Reply> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reply = await attempt();
    if (done(reply)) return reply;
    assert.ok(Date.now() < deadline, `${what} before the deadline; last reply ${JSON.stringify(reply.raw)}`);
    await new Promise((wake) => setTimeout(wake, 50));
  }
}
