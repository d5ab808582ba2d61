/**
 * SMTP smuggling against the real binary (CVE-2023-51766 and kin): DATA carries an end-of-data
 * look-alike made of bare CR or LF, then a complete second transaction, then the real end of
 * data. Whatever the server answers, the hidden transaction must never become a message of its
 * own: at most the outer message is stored (with the look-alike inside it), never one with
 * `Subject: smuggled` as its own header, and the connection keeps working.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type Reply, SmtpClient } from '@posthorn/testkit';
import { readInbox, splitReceived, type StoredMessage, waitForToken } from './helpers/maildir.ts';
import { createInstallation, explain, type Installation } from './helpers/posthorn.ts';
import { assertEnhancedClass, command, expectReply } from './helpers/replies.ts';
import { waitFor } from './helpers/wait.ts';

const PAYLOADS: [string, string][] = [
  ['LF . LF', '\n.\n'],
  ['LF . CRLF', '\n.\r\n'],
  ['CR . CRLF', '\r.\r\n'],
  ['CRLF . LF', '\r\n.\n'],
  ['CRLF . CR', '\r\n.\r'],
];

const SMUGGLED = 'MAIL FROM:<evil@x>\r\nRCPT TO:<alice@localhost>\r\nDATA\r\nSubject: smuggled\r\n\r\nsmuggled\r\n';

/** The header section of a stored message (its own fields, below our Received field). */
function headerOf(message: StoredMessage): string {
  const text = (splitReceived(message.bytes)?.rest ?? message.bytes).toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  return end === -1 ? text : text.slice(0, end + 2);
}

describe('SMTP smuggling through the real binary', () => {
  let install: Installation;
  const inbox = () => install.maildir('alice@localhost');

  before(async () => {
    install = await createInstallation();
  });
  after(() => install?.dispose());

  /**
   * Every reply up to the one for a RSET sent after the data. Had the server ended the data at
   * the look-alike, the smuggled MAIL, RCPT, DATA and its end would have been answered too.
   */
  async function repliesUntilRset(client: SmtpClient): Promise<Reply[]> {
    client.write('RSET\r\n');
    const replies: Reply[] = [];
    for (;;) {
      const reply = await client.reply(30_000);
      if (reply.code === 250 && /Flushed/.test(reply.raw)) return replies;
      replies.push(reply);
      assert.ok(replies.length < 10, `too many replies: ${JSON.stringify(replies.map((r) => r.raw))}`);
    }
  }

  /** Waits until the queue is empty: everything accepted so far has been delivered. */
  async function queueDrained(): Promise<void> {
    await waitFor(async () => {
      const listed = await install.cli(['queue', 'list', '--json']);
      assert.equal(listed.code, 0, explain(listed));
      return (JSON.parse(listed.stdout) as unknown[]).length === 0 ? true : undefined;
    }, 'an empty queue', 30_000, 200);
  }

  for (const [label, payload] of PAYLOADS) {
    it(`${label}: one reply for one DATA, nothing smuggled, a clean follow-up is delivered`, async () => {
      const token = randomUUID();
      const followUp = randomUUID();
      const client = await SmtpClient.open(install.port());
      try {
        await command(client, 'EHLO client.example', 250, '');
        await command(client, 'MAIL FROM:<sender@example.org>', 250, '2.1.0');
        await command(client, 'RCPT TO:<alice@localhost>', 250, '2.1.5');
        await command(client, 'DATA', 354, '');
        client.write(`Subject: outer ${token}\r\n\r\nhello${payload}${SMUGGLED}\r\n.\r\n`);
        const replies = await repliesUntilRset(client);
        assert.equal(replies.length, 1, `one reply for one DATA, got ${JSON.stringify(replies.map((r) => r.raw))}`);
        const verdict = replies[0]!;
        assertEnhancedClass(verdict);
        assert.ok(verdict.code === 250 || verdict.code >= 500, `a final answer for the data: ${verdict.raw}`);

        // The same connection carries a clean message afterwards.
        await command(client, 'MAIL FROM:<sender@example.org>', 250, '2.1.0');
        await command(client, 'RCPT TO:<alice@localhost>', 250, '2.1.5');
        await command(client, 'DATA', 354, '');
        client.write(`Subject: follow-up ${followUp}\r\n\r\nclean\r\n.\r\n`);
        expectReply(await client.reply(30_000), 250, '2.0.0');
        await command(client, 'QUIT', 221, '2.0.0');
      } finally {
        client.close();
      }

      await waitForToken(inbox(), followUp);
      // Whatever else was queued has been delivered once the queue is empty.
      await queueDrained();
      const messages = await readInbox(inbox());
      const outer = messages.filter((m) => m.bytes.includes(token));
      assert.ok(outer.length <= 1, `at most one message from the transaction, found ${outer.length}`);
      for (const message of messages) {
        assert.doesNotMatch(headerOf(message), /^Subject: smuggled\r$/m, `a smuggled message was stored: ${message.file}`);
      }
      assert.equal(messages.filter((m) => m.bytes.includes(followUp)).length, 1);
    });
  }

  it('stored nothing that came from the smuggled sender, across all payloads', async () => {
    const messages = await readInbox(inbox());
    assert.ok(messages.length >= PAYLOADS.length, 'the follow-ups are there');
    for (const message of messages) {
      const header = headerOf(message);
      assert.match(header, /^Subject: (outer|follow-up) /m, `an unexpected message: ${message.file}\n${header}`);
    }
  });
});
