/** Reply checks shared by the end-to-end tests. */
import assert from 'node:assert/strict';
import type { Reply, SmtpClient } from '@posthorn/testkit';

/**
 * RFC 3463 / RFC 2034: a 2xx, 4xx or 5xx reply (other than the greeting and the EHLO/HELO
 * answer, which the caller leaves out) starts with an enhanced status code of the same class.
 */
export function assertEnhancedClass(reply: Reply): void {
  if (reply.code >= 300 && reply.code < 400) return;
  assert.ok(reply.enhanced, `reply without an enhanced status code: ${JSON.stringify(reply.raw)}`);
  assert.equal(reply.enhanced[0], String(reply.code)[0], `enhanced code of the wrong class: ${JSON.stringify(reply.raw)}`);
  // Every line of a multi-line reply carries it, not only the last.
  for (const line of reply.lines) assert.ok(line.startsWith(`${reply.enhanced} `) || line === reply.enhanced, `line without the enhanced code: ${JSON.stringify(reply.raw)}`);
}

/** Checks code and enhanced code; `enhanced: ''` for the replies that have none (EHLO, 354). */
export function expectReply(reply: Reply, code: number, enhanced: string): Reply {
  assert.equal(reply.code, code, `expected ${code} ${enhanced}, got ${JSON.stringify(reply.raw)}`);
  if (enhanced) {
    assert.equal(reply.enhanced, enhanced, `expected ${code} ${enhanced}, got ${JSON.stringify(reply.raw)}`);
    assertEnhancedClass(reply);
  }
  return reply;
}

/** Sends a command and checks its reply. */
export async function command(client: SmtpClient, line: string, code: number, enhanced: string): Promise<Reply> {
  return expectReply(await client.command(line), code, enhanced);
}

/** The queue id in a `250 2.0.0 Ok: queued as <id>` reply. */
export function queueIdOf(text: string): string {
  const id = /queued as (\S+)/.exec(text)?.[1];
  assert.ok(id, `no queue id in ${JSON.stringify(text)}`);
  return id;
}
