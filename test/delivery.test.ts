/**
 * Four real SMTP clients (swaks, nodemailer, curl, Python's smtplib) each send alice a message
 * through the real binary; each must land in alice's Maildir byte for byte: the server's
 * Received field on top of exactly the bytes the client sent. The message has lines starting
 * with a dot (dot-stuffing both ways), 8-bit UTF-8 text, a line of the longest length SMTP
 * allows, and a body of some size.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import nodemailer from 'nodemailer';
import { recordingLogger } from './helpers/nodemailer.ts';
import { readInbox, splitReceived, waitForToken } from './helpers/maildir.ts';
import { createInstallation, type Installation } from './helpers/posthorn.ts';
import { describeRun, onPath, runProgram } from './helpers/programs.ts';

/** A message as a client would hand it over: CRLF line endings, ends with CRLF. */
function testMessage(client: string, token: string): Buffer {
  const filler = Array.from({ length: 400 }, (_, i) => `line ${String(i).padStart(3, '0')} of a body that is long enough to take a few TCP segments.`);
  const lines = [
    'From: Sender <x@example.org>',
    'To: Alice <alice@localhost>',
    `Subject: ${client} ${token}`,
    'Date: Sat, 29 Nov 2025 10:00:00 +0000',
    `Message-ID: <${token}@example.org>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    `token ${token}`,
    '.a line that starts with a dot',
    '.',
    '..two dots',
    ' . a space first',
    'Grüße aus Köln: naïve café, 日本語のテキスト, Ελληνικά, emoji 📬',
    ...filler,
    // 998 characters plus CRLF: the longest line RFC 5321 4.5.3.1.6 allows.
    'y'.repeat(998),
    '.last line starts with a dot too',
  ];
  return Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8');
}

/** Checks one stored message: one Received field of ours, then exactly the bytes sent. */
function assertStoredExactly(stored: Buffer, sent: Buffer, expect: { queueId?: string; tls?: boolean }): void {
  const split = splitReceived(stored);
  assert.ok(split, `the stored message starts with a Received field:\n${stored.subarray(0, 300).toString('latin1')}`);
  const { received, rest } = split;
  assert.match(received, /^Received: from \S+ \(localhost \[127\.0\.0\.1\]\)\r\n\tby mx\.test \(Posthorn\) with ESMTPS? /);
  assert.match(received, /\r\n\tfor <alice@localhost>; [A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d \+0000\r\n$/);
  if (expect.queueId) assert.match(received, new RegExp(` id ${expect.queueId}\\r\\n`));
  if (expect.tls !== undefined) assert.equal(/ with ESMTPS /.test(received), expect.tls, received);
  // Compare as buffers: a difference in one byte of 8-bit content must fail.
  if (!rest.equals(sent)) {
    const at = [...rest].findIndex((byte, i) => byte !== sent[i]);
    assert.fail(`stored bytes differ from the bytes sent at offset ${at === -1 ? Math.min(rest.length, sent.length) : at} (stored ${rest.length} bytes, sent ${sent.length}):\nstored: ${JSON.stringify(rest.subarray(Math.max(0, at - 40), at + 40).toString('latin1'))}\nsent:   ${JSON.stringify(sent.subarray(Math.max(0, at - 40), at + 40).toString('latin1'))}`);
  }
}

describe('delivery end to end with real SMTP clients', () => {
  let install: Installation;
  let dir: string;

  before(async () => {
    install = await createInstallation();
    dir = install.dir;
  });
  after(() => install?.dispose());

  /** Waits for the message with `token`; there must be exactly one. */
  async function storedOnce(token: string): Promise<Buffer> {
    const found = await waitForToken(install.maildir('alice@localhost'), token);
    assert.equal(found.length, 1, `one copy of ${token}, found ${found.map((m) => m.file).join(', ')}`);
    return found[0]!.bytes;
  }

  it('swaks', { skip: onPath('swaks') ? false : 'swaks is not on PATH (CI installs it: apt-get install swaks)' }, async () => {
    const token = randomUUID();
    const sent = testMessage('swaks', token);
    // swaks ends the data itself: it adds CRLF "." CRLF after the last line, so the file it reads
    // holds the message without its final CRLF. Everything else (dot-stuffing included) is swaks's.
    const file = join(dir, 'swaks.eml');
    await writeFile(file, sent.subarray(0, sent.length - 2));
    const result = await runProgram('swaks', ['--server', `127.0.0.1:${install.port()}`, '--to', 'alice@localhost', '--from', 'x@example.org', '--data', `@${file}`, '--timeout', '30']);
    assert.equal(result.code, 0, describeRun(result));
    const queueId = /<- {2}250 2\.0\.0 Ok: queued as (\S+)/.exec(result.stdout)?.[1];
    assert.ok(queueId, `swaks saw the 250 for the data:\n${result.stdout}`);
    assertStoredExactly(await storedOnce(token), sent, { queueId, tls: false });
  });

  it('nodemailer, over STARTTLS with BODY=8BITMIME', async () => {
    const token = randomUUID();
    const sent = testMessage('nodemailer', token);
    const log = recordingLogger();
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: install.port(), name: 'nodemailer.example', requireTLS: true, tls: { rejectUnauthorized: false }, logger: log.logger, transactionLog: true });
    try {
      // `raw` sends these bytes as the message (nodemailer only dot-stuffs them); the envelope's
      // use8BitMime makes it declare BODY=8BITMIME, which the server advertises.
      const info = await transport.sendMail({ envelope: { from: 'x@example.org', to: ['alice@localhost'], use8BitMime: true } as { from: string; to: string[] }, raw: sent });
      assert.match(info.response, /^250 2\.0\.0 Ok: queued as \S+/);
      assert.ok(log.commands.includes('STARTTLS'), log.commands.join('\n'));
      assert.ok(log.commands.some((c) => /^MAIL FROM:<x@example\.org> BODY=8BITMIME\b/.test(c)), log.commands.join('\n'));
      const queueId = /queued as (\S+)/.exec(info.response)![1]!;
      assertStoredExactly(await storedOnce(token), sent, { queueId, tls: true });
    } finally {
      transport.close();
    }
  });

  it('curl', { skip: onPath('curl') ? false : 'curl is not on PATH' }, async () => {
    const token = randomUUID();
    const sent = testMessage('curl', token);
    const file = join(dir, 'curl.eml');
    await writeFile(file, sent);
    const result = await runProgram('curl', ['--silent', '--show-error', '--max-time', '30', `smtp://127.0.0.1:${install.port()}`, '--mail-from', 'x@example.org', '--mail-rcpt', 'alice@localhost', '--upload-file', file]);
    assert.equal(result.code, 0, describeRun(result));
    assertStoredExactly(await storedOnce(token), sent, { tls: false });
  });

  it("Python's smtplib, with BODY=8BITMIME", { skip: onPath('python3') ? false : 'python3 is not on PATH' }, async () => {
    const token = randomUUID();
    const sent = testMessage('smtplib', token);
    // Bytes (not str) keep smtplib from touching line endings; it dot-stuffs and ends the data.
    const script = [
      'import smtplib, sys',
      'port = int(sys.argv[1])',
      'data = sys.stdin.buffer.read()',
      "with smtplib.SMTP('127.0.0.1', port, local_hostname='python.example', timeout=30) as s:",
      '    s.ehlo()',
      "    assert s.has_extn('8bitmime'), 'server does not advertise 8BITMIME'",
      "    refused = s.sendmail('x@example.org', ['alice@localhost'], data, mail_options=['BODY=8BITMIME'])",
      '    assert not refused, refused',
      '    print(s.noop())',
    ].join('\n');
    const result = await runProgram('python3', ['-c', script, String(install.port())], { input: sent });
    assert.equal(result.code, 0, describeRun(result));
    assertStoredExactly(await storedOnce(token), sent, { tls: false });
  });

  it('the inbox holds exactly the messages sent, one file each', async () => {
    const inbox = await readInbox(install.maildir('alice@localhost'));
    const clients = inbox.map((m) => /^Subject: (\S+) /m.exec(m.bytes.toString('latin1'))?.[1]).sort();
    const expected = ['nodemailer', ...(onPath('curl') ? ['curl'] : []), ...(onPath('python3') ? ['smtplib'] : []), ...(onPath('swaks') ? ['swaks'] : [])].sort();
    assert.deepEqual(clients, expected);
  });
});
