/**
 * Reply checks shared by the protocol tests. Every reply a test reads goes through
 * `checkReply`, so any 4xx/5xx the server sends without an enhanced status code, or with one
 * whose class differs from the basic code, fails the test that received it.
 */
import assert from 'node:assert/strict';
import type { Reply, SmtpClient } from '@posthorn/testkit';

const ENHANCED = /^([245])\.\d{1,3}\.\d{1,3}(?: |$)/;

/** Asserts the RFC 3463 rules on a reply: 4xx/5xx lines all carry a matching enhanced code. */
export function checkReply(reply: Reply): Reply {
  assert.ok(Number.isInteger(reply.code) && reply.code >= 200 && reply.code <= 599, `not a reply: ${JSON.stringify(reply.raw)}`);
  if (reply.code >= 400) {
    for (const line of reply.lines) {
      const match = ENHANCED.exec(line);
      assert.ok(match, `${reply.code} reply without an enhanced status code: ${JSON.stringify(reply.raw)}`);
      assert.equal(match[1], String(reply.code)[0], `enhanced code class does not match ${reply.code}: ${JSON.stringify(reply.raw)}`);
    }
  }
  return reply;
}

/** Checks a reply and asserts its basic and enhanced code. */
export function expectReply(reply: Reply, code: number, enhanced: string): Reply {
  checkReply(reply);
  assert.equal(reply.code, code, `expected ${code} ${enhanced}, got ${JSON.stringify(reply.raw)}`);
  assert.equal(reply.enhanced, enhanced, `expected ${code} ${enhanced}, got ${JSON.stringify(reply.raw)}`);
  return reply;
}

/** Sends a command and returns its checked reply; with code and enhanced, asserts them. */
export async function command(client: SmtpClient, line: string, code?: number, enhanced?: string): Promise<Reply> {
  const reply = await client.command(line);
  return code === undefined ? checkReply(reply) : expectReply(reply, code, enhanced ?? '');
}

/** Reads the next reply, checked; with code and enhanced, asserts them. */
export async function next(client: SmtpClient, code?: number, enhanced?: string): Promise<Reply> {
  const reply = await client.reply();
  return code === undefined ? checkReply(reply) : expectReply(reply, code, enhanced ?? '');
}

/** The same checks on the error nodemailer throws for a refused message. */
export function checkNodemailerError(err: unknown, code: number, enhanced: string): void {
  const { responseCode, response } = err as { responseCode?: number; response?: string };
  assert.equal(responseCode, code, `expected ${code}, got ${String(response ?? err)}`);
  const text = String(response ?? '');
  const lines = text.split(/\r?\n/).filter(Boolean);
  const reply: Reply = { code, enhanced: /^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})/.exec(lines.at(-1) ?? '')?.[1] ?? '', lines: lines.map((l) => l.slice(4)), raw: text };
  expectReply(reply, code, enhanced);
}

/** The queue id from a `250 2.0.0 Ok: queued as <id>` reply. */
export function queueIdOf(reply: Reply | string): string {
  const text = typeof reply === 'string' ? reply : reply.lines.join('\n');
  const match = /queued as (\S+)/.exec(text);
  assert.ok(match, `no queue id in ${text}`);
  return match[1]!;
}

/** Polls until `probe` returns a value, for state with no event to wait on. */
export async function eventually<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((wake) => setTimeout(wake, 20));
  }
}

/** A plain test message with CRLF line endings. */
export function message(subject: string, body = 'hello\r\n'): string {
  return `From: a@example.org\r\nTo: bob@localhost\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@test>\r\n\r\n${body}`;
}
