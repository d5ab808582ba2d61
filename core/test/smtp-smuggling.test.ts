import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fixture, type Reply, SmtpClient, startTestServer, tempDir, type TestServer } from '@posthorn/testkit';
import { queued } from '@posthorn/testkit/fixtures/memory-queue.ts';
import { checkReply, command, expectReply, message, next, queueIdOf } from './helpers/replies.ts';

/**
 * SMTP smuggling (CVE-2023-51766 and kin): a message whose data contains an end-of-data
 * sequence that some receiver honours but another does not, so a second, forged transaction
 * hides inside the first. Posthorn refuses data with bare CR or LF, so none of these arrive.
 */
const PAYLOADS: [string, string][] = [
  ['LF . LF', '\n.\n'],
  ['LF . CRLF', '\n.\r\n'],
  ['CR . CRLF', '\r.\r\n'],
  ['CRLF . LF', '\r\n.\n'],
  ['CRLF . CR', '\r\n.\r'],
];

const SMUGGLED = 'MAIL FROM:<evil@x>\r\nRCPT TO:<victim@localhost>\r\nDATA\r\nsmuggled\r\n';

describe('SMTP smuggling and line endings', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: TestServer;

  before(async () => {
    dir = await tempDir();
    server = await startTestServer({ listeners: [{ role: 'mx', maxLineLength: 200 }], plugins: [fixture('memory-queue')] }, { dir: dir.path });
  });
  after(async () => {
    await server.stop();
    await dir.remove();
  });

  /** Starts a transaction up to the 354, on a fresh connection. */
  async function openData(from = 'sender@example.org'): Promise<SmtpClient> {
    const client = await SmtpClient.open(server.port());
    await command(client, 'EHLO client.test', 250, '');
    await command(client, `MAIL FROM:<${from}>`, 250, '2.1.0');
    await command(client, 'RCPT TO:<bob@localhost>', 250, '2.1.5');
    await command(client, 'DATA', 354, '');
    return client;
  }

  /**
   * Reads every reply up to the one for a RSET sent after the data: if the server had ended
   * the data early, the smuggled commands would have been answered in between.
   */
  async function repliesUntilRset(client: SmtpClient): Promise<Reply[]> {
    client.write('RSET\r\n');
    const replies: Reply[] = [];
    for (;;) {
      const reply = checkReply(await client.reply());
      if (/Flushed/.test(reply.lines.join(' '))) return replies;
      replies.push(reply);
      assert.ok(replies.length < 10, `too many replies: ${JSON.stringify(replies.map((r) => r.raw))}`);
    }
  }

  /** A clean message on the same connection still goes through. */
  async function stillWorks(client: SmtpClient, subject: string): Promise<void> {
    await command(client, 'MAIL FROM:<sender@example.org>', 250, '2.1.0');
    await command(client, 'RCPT TO:<bob@localhost>', 250, '2.1.5');
    await command(client, 'DATA', 354, '');
    client.write(`${message(subject)}.\r\n`);
    const ok = await next(client, 250, '2.0.0');
    const stored = queued.find((q) => q.envelope.id === queueIdOf(ok));
    assert.ok(stored, 'the clean message was queued');
    assert.match(stored.message.toString('latin1'), new RegExp(`Subject: ${subject}\\r\\n`));
  }

  for (const [label, payload] of PAYLOADS) {
    it(`${label}: refused with 550 5.5.2, nothing smuggled, the connection still works`, async () => {
      const before = queued.length;
      const client = await openData();
      client.write(`Subject: smuggling ${label}\r\n\r\nhello${payload}${SMUGGLED}\r\n.\r\n`);
      const replies = await repliesUntilRset(client);
      assert.equal(replies.length, 1, `one reply for one DATA, got ${JSON.stringify(replies.map((r) => r.raw))}`);
      expectReply(replies[0]!, 550, '5.5.2');
      assert.equal(queued.length, before, 'nothing queued');
      for (const entry of queued) {
        assert.notEqual(entry.envelope.mailFrom, 'evil@x');
        assert.ok(!entry.envelope.recipients.some((r) => r.address === 'victim@localhost'));
        assert.doesNotMatch(entry.message.toString('latin1'), /^smuggled\r?\n?$/m);
      }
      await stillWorks(client, `after-${label.replace(/\W/g, '')}`);
      client.close();
    });
  }

  it('the smuggling payloads, sent pipelined in one write with the commands, are refused the same way', async () => {
    const before = queued.length;
    const client = await SmtpClient.open(server.port());
    await command(client, 'EHLO client.test', 250, '');
    client.write(`MAIL FROM:<sender@example.org>\r\nRCPT TO:<bob@localhost>\r\nDATA\r\nSubject: pipelined\r\n\r\nhello\n.\r\n${SMUGGLED}\r\n.\r\nRSET\r\n`);
    await next(client, 250, '2.1.0');
    await next(client, 250, '2.1.5');
    await next(client, 354, '');
    await next(client, 550, '5.5.2');
    const rset = await next(client, 250, '2.0.0');
    assert.match(rset.lines.join(' '), /Flushed/);
    assert.equal(queued.length, before);
    await stillWorks(client, 'after-pipelined');
    client.close();
  });

  it('refuses a plain message with one bare LF with 550 5.5.2', async () => {
    const before = queued.length;
    const client = await openData();
    client.write('Subject: bare lf\r\n\r\nline one\nline two\r\n.\r\n');
    await next(client, 550, '5.5.2');
    assert.equal(queued.length, before);
    await stillWorks(client, 'after-bare-lf');
    client.close();
  });

  it('refuses a plain message with one bare CR with 550 5.5.2', async () => {
    const before = queued.length;
    const client = await openData();
    client.write('Subject: bare cr\r\n\r\nline one\rline two\r\n.\r\n');
    await next(client, 550, '5.5.2');
    assert.equal(queued.length, before);
    client.close();
  });

  it('refuses a line over maxLineLength with 550 5.5.2 and accepts one of exactly the limit', async () => {
    const before = queued.length;
    const client = await openData();
    client.write(`Subject: long line\r\n\r\n${'x'.repeat(199)}\r\n.\r\n`);
    await next(client, 550, '5.5.2');
    assert.equal(queued.length, before);
    await command(client, 'MAIL FROM:<sender@example.org>', 250, '2.1.0');
    await command(client, 'RCPT TO:<bob@localhost>', 250, '2.1.5');
    await command(client, 'DATA', 354, '');
    client.write(`Subject: exact line\r\n\r\n${'x'.repeat(198)}\r\n.\r\n`);
    await next(client, 250, '2.0.0');
    assert.equal(queued.length, before + 1);
    client.close();
  });

  it('a line that arrives in many small writes is measured as one line', async () => {
    const before = queued.length;
    const client = await openData();
    client.write('Subject: trickled long line\r\n\r\n');
    for (let i = 0; i < 25; i++) client.write('x'.repeat(10));
    client.write('\r\n.\r\n');
    await next(client, 550, '5.5.2');
    assert.equal(queued.length, before);
    client.close();
  });

  it('a dot-stuffed line is unstuffed, and a lone dot inside a line is data', async () => {
    const client = await openData();
    client.write('Subject: dots\r\n\r\n..leading dot\r\nmiddle . dot\r\n.\r\n');
    const ok = await next(client, 250, '2.0.0');
    const stored = queued.find((q) => q.envelope.id === queueIdOf(ok));
    assert.match(stored!.message.toString('latin1'), /\r\n\r\n\.leading dot\r\nmiddle \. dot\r\n$/);
    client.close();
  });
});
