/**
 * What the mx listener of the embedded setup refuses, seen from real clients: relaying,
 * unknown local users, messages over the size limit (announced with SIZE= and not), each with
 * the right enhanced status code; and that nothing refused is delivered.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import nodemailer from 'nodemailer';
import { type Reply, SmtpClient } from '@posthorn/testkit';
import { readInbox, waitForToken } from './helpers/maildir.ts';
import { createInstallation, explain, type Installation } from './helpers/posthorn.ts';
import { assertEnhancedClass, command, expectReply, queueIdOf } from './helpers/replies.ts';

const MAX_SIZE = 20_000;

function message(token: string, bodyBytes = 0): string {
  const filler = bodyBytes ? `${'z'.repeat(70)}\r\n`.repeat(Math.ceil(bodyBytes / 72)) : '';
  return `From: x@example.org\r\nTo: alice@localhost\r\nSubject: ${token}\r\n\r\n${token}\r\n${filler}`;
}

interface NodemailerError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  rejectedErrors?: NodemailerError[];
}

describe('policy on the mx listener', () => {
  let install: Installation;
  const inbox = () => install.maildir('alice@localhost');
  const transport = () => nodemailer.createTransport({ host: '127.0.0.1', port: install.port(), ignoreTLS: true, logger: false });

  before(async () => {
    install = await createInstallation({ listeners: [{ role: 'mx', maxMessageSize: MAX_SIZE }] });
  });
  after(() => install?.dispose());

  /** A session up to a successful MAIL FROM, every reply checked. */
  async function openTransaction(mailParams = ''): Promise<SmtpClient> {
    const client = await SmtpClient.open(install.port());
    const ehlo = await client.command('EHLO client.example');
    assert.equal(ehlo.code, 250, ehlo.raw);
    assert.match(ehlo.raw, /^250[ -]ENHANCEDSTATUSCODES\r$/m);
    await command(client, `MAIL FROM:<x@example.org>${mailParams}`, 250, '2.1.0');
    return client;
  }

  it('refuses to relay to another domain: 550 5.7.1 to a raw client; the message goes to the local recipient only', async () => {
    const client = await openTransaction();
    try {
      await command(client, 'RCPT TO:<bob@example.org>', 550, '5.7.1');
      await command(client, 'RCPT TO:<alice@localhost.example.org>', 550, '5.7.1');
      // The transaction goes on for the local recipient only.
      await command(client, 'RCPT TO:<alice@localhost>', 250, '2.1.5');
      await command(client, 'DATA', 354, '');
      const token = randomUUID();
      client.write(`${message(token)}.\r\n`);
      expectReply(await client.reply(), 250, '2.0.0');
      await command(client, 'QUIT', 221, '2.0.0');
      const [stored] = await waitForToken(inbox(), token);
      // One recipient: the Received field names it, so the refused ones did not slip in.
      assert.match(stored!.bytes.toString('latin1'), /\r\n\tfor <alice@localhost>; /);
    } finally {
      client.close();
    }
  });

  it('refuses to relay to another domain: nodemailer gets 550 5.7.1', async () => {
    const mailer = transport();
    try {
      await assert.rejects(
        mailer.sendMail({ from: 'x@example.org', to: 'bob@example.org', subject: 'relay', text: 'relay?' }),
        (err: NodemailerError) => {
          assert.equal(err.code, 'EENVELOPE', err.message);
          assert.equal(err.responseCode, 550, err.message);
          assert.match(err.response ?? '', /^550 5\.7\.1 /);
          return true;
        },
      );
      // With a local recipient next to the foreign one, only the foreign one is refused.
      const token = randomUUID();
      const info = await mailer.sendMail({ envelope: { from: 'x@example.org', to: ['bob@example.org', 'alice@localhost'] }, raw: message(token) });
      assert.deepEqual(info.accepted, ['alice@localhost']);
      assert.deepEqual(info.rejected, ['bob@example.org']);
      const rejected = (info as { rejectedErrors?: NodemailerError[] }).rejectedErrors ?? [];
      assert.equal(rejected.length, 1);
      assert.match(rejected[0]!.response ?? '', /^550 5\.7\.1 /);
      assert.match(info.response, /^250 2\.0\.0 /);
      const stored = await waitForToken(inbox(), token);
      assert.equal(stored.length, 1);
      assert.match(stored[0]!.bytes.toString('latin1'), /\r\n\tfor <alice@localhost>; /);
    } finally {
      mailer.close();
    }
  });

  it('refuses unknown users of every local domain with 550 5.1.1', async () => {
    const client = await openTransaction();
    try {
      await command(client, 'RCPT TO:<nobody@localhost>', 550, '5.1.1');
      await command(client, 'RCPT TO:<nobody@example.test>', 550, '5.1.1');
      await command(client, 'RCPT TO:<alice@example.test>', 550, '5.1.1');
      await command(client, 'DATA', 503, '5.5.1');
      await command(client, 'QUIT', 221, '2.0.0');
    } finally {
      client.close();
    }
  });

  it('refuses SIZE= over the limit at MAIL FROM with 552 5.3.4, and takes SIZE= at the limit', async () => {
    const client = await SmtpClient.open(install.port());
    try {
      const ehlo = await client.command('EHLO client.example');
      assert.match(ehlo.raw, new RegExp(`^250 SIZE ${MAX_SIZE}\\r$`, 'm'));
      await command(client, `MAIL FROM:<x@example.org> SIZE=${MAX_SIZE + 1}`, 552, '5.3.4');
      await command(client, 'MAIL FROM:<x@example.org> SIZE=99999999999', 552, '5.3.4');
      await command(client, `MAIL FROM:<x@example.org> SIZE=${MAX_SIZE}`, 250, '2.1.0');
      await command(client, 'RSET', 250, '2.0.0');
    } finally {
      client.close();
    }
  });

  it('refuses a message over the limit with 552 5.3.4 after DATA, delivers nothing of it, and the session goes on', async () => {
    const client = await openTransaction();
    const big = randomUUID();
    const small = randomUUID();
    try {
      await command(client, 'RCPT TO:<alice@localhost>', 250, '2.1.5');
      await command(client, 'DATA', 354, '');
      const body = message(big, MAX_SIZE + 5_000);
      assert.ok(body.length > MAX_SIZE);
      client.write(`${body}.\r\n`);
      expectReply(await client.reply(), 552, '5.3.4');
      // A clean message on the same connection still goes through; once it is in the
      // Maildir, the big one (sent before it) would have been too if it had been queued.
      await command(client, 'MAIL FROM:<x@example.org>', 250, '2.1.0');
      await command(client, 'RCPT TO:<alice@localhost>', 250, '2.1.5');
      await command(client, 'DATA', 354, '');
      client.write(`${message(small)}.\r\n`);
      queueIdOf(expectReply(await client.reply(), 250, '2.0.0').raw);
      await command(client, 'QUIT', 221, '2.0.0');
    } finally {
      client.close();
    }
    await waitForToken(inbox(), small);
    assert.deepEqual((await readInbox(inbox())).filter((m) => m.bytes.includes(big)), []);
  });

  it('nodemailer gets 552 5.3.4 for a message over the limit, and nothing is delivered or left queued', async () => {
    const mailer = transport();
    const big = randomUUID();
    try {
      await assert.rejects(mailer.sendMail({ envelope: { from: 'x@example.org', to: ['alice@localhost'] }, raw: message(big, MAX_SIZE * 2) }), (err: NodemailerError) => {
        assert.equal(err.responseCode, 552, err.message);
        assert.match(err.response ?? '', /^552 5\.3\.4 /);
        return true;
      });
      const small = randomUUID();
      await mailer.sendMail({ envelope: { from: 'x@example.org', to: ['alice@localhost'] }, raw: message(small) });
      await waitForToken(inbox(), small);
    } finally {
      mailer.close();
    }
    assert.deepEqual((await readInbox(inbox())).filter((m) => m.bytes.includes(big)), []);
    const queue = await install.cli(['queue', 'list', '--json']);
    assert.equal(queue.code, 0, explain(queue));
    assert.deepEqual(JSON.parse(queue.stdout), []);
  });

  it('gives every 2xx, 4xx and 5xx reply an enhanced code of its class', async () => {
    const client = await SmtpClient.open(install.port());
    const replies: [string, Reply][] = [];
    const send = async (line: string) => {
      const reply = await client.command(line);
      replies.push([line, reply]);
      return reply;
    };
    try {
      // The greeting and the EHLO/HELO answer are exempt (RFC 2034 3); everything else is not.
      await send('NOOP');
      await send('MAIL FROM:<x@example.org>');
      await send('RCPT TO:<alice@localhost>');
      await send('DATA');
      assert.equal((await client.command('EHLO client.example')).code, 250);
      await send('FOO bar');
      await send('MAIL FROM:bogus');
      await send('DATA');
      await send('RCPT TO:<alice@localhost>');
      await send('MAIL FROM:<x@example.org> BODY=BINARYMIME');
      await send(`MAIL FROM:<x@example.org> SIZE=${MAX_SIZE + 1}`);
      await send('MAIL FROM:<x@example.org> BODY=8BITMIME');
      await send('MAIL FROM:<x@example.org>');
      await send('RCPT TO:bad');
      await send('RCPT TO:<nobody@localhost>');
      await send('RCPT TO:<bob@example.org>');
      await send('RCPT TO:<alice@localhost>');
      await send('VRFY alice');
      await send('HELP');
      await send('RSET');
      await send('STARTTLS now');
      await send('QUIT');
    } finally {
      client.close();
    }
    for (const [line, reply] of replies) {
      try {
        assertEnhancedClass(reply);
      } catch (err) {
        throw new Error(`${line}: ${(err as Error).message}`);
      }
    }
    // The sweep met both classes it can provoke here (4xx: see faults.test.ts).
    assert.deepEqual([...new Set(replies.map(([, r]) => String(r.code)[0]))].sort(), ['2', '5']);
  });
});
