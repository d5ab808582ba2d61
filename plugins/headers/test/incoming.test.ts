import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Notes } from '@posthorn/contracts';
import { rfc5322Date } from '@posthorn/core';
import { isWellFormedAddressField, parseRfc5322Date } from '@posthorn/plugin-headers';
import { dotStuff, fixture, SmtpClient, startTestServer, tempDir, type TestServer } from '@posthorn/testkit';
import { queued } from '@posthorn/testkit/fixtures/memory-queue.ts';

const HOUR = 3600_000;

describe('address field syntax (RFC 5322 3.4)', () => {
  const good: [string, Parameters<typeof isWellFormedAddressField>[1]][] = [
    ['alice@example.org', 'mailbox'],
    ['Alice Example <alice@example.org>', 'mailbox'],
    ['"Smith, John" <john.smith@example.org> (work)', 'mailbox'],
    ['=?UTF-8?B?SsO2cmc=?= <joerg@example.org>', 'mailbox'],
    ['Jörg <jörg@bücher.example>', 'mailbox'],
    ['"odd local"@[192.0.2.1]', 'mailbox'],
    ['a@example.org, B <b@example.org>', 'mailbox-list'],
    ['undisclosed-recipients:;', 'address-list'],
    ['Team: a@example.org, b@example.org;, c@example.org', 'address-list'],
    ['a@example.org,, b@example.org', 'address-list'],
    ['Mr. Smith <smith@example.org>', 'mailbox'],
  ];
  const bad: [string, Parameters<typeof isWellFormedAddressField>[1]][] = [
    ['', 'mailbox-list'],
    ['root', 'mailbox-list'],
    ['alice@', 'mailbox-list'],
    ['<alice@example.org', 'mailbox-list'],
    ['alice@example..org', 'mailbox-list'],
    ['"unterminated <a@example.org>', 'mailbox-list'],
    ['a@example.org b@example.org', 'address-list'],
    ['a@example.org, b@example.org', 'mailbox'],
    ['Team: a@example.org;', 'mailbox-list'],
    ['Alice Example alice@example.org', 'mailbox-list'],
    ['(comment only)', 'address-list'],
  ];
  for (const [value, kind] of good) it(`accepts ${JSON.stringify(value)} as ${kind}`, () => assert.equal(isWellFormedAddressField(value, kind), true));
  for (const [value, kind] of bad) it(`refuses ${JSON.stringify(value)} as ${kind}`, () => assert.equal(isWellFormedAddressField(value, kind), false));
});

describe('Date values (RFC 5322 3.3, 4.3)', () => {
  it('reads the current and the obsolete forms', () => {
    const at = Date.UTC(2025, 6, 1, 10, 0, 0);
    assert.equal(parseRfc5322Date('Tue, 01 Jul 2025 10:00:00 +0000'), at);
    assert.equal(parseRfc5322Date('1 Jul 2025 12:00 +0200'), at);
    assert.equal(parseRfc5322Date('Tue,  1 Jul 25 06:00:00 EDT (comment)'), at);
    assert.equal(parseRfc5322Date('01 jul 2025 10:00:00 GMT'), at);
  });

  it('refuses what is no date-time', () => {
    for (const value of ['yesterday', '2025-07-01T10:00:00Z', '31 Feb 2025 10:00:00 +0000', '01 Jul 2025 25:00:00 +0000', '01 Jul 2025 10:00:00', '01 Xyz 2025 10:00:00 +0000']) {
      assert.equal(parseRfc5322Date(value), undefined, value);
    }
  });
});

describe('headers: incoming mail is noted, never corrected', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: TestServer;

  before(async () => {
    dir = await tempDir();
    server = await startTestServer(
      {
        listeners: [
          // Lines over 998 octets reach the plugin only when the listener lets them through.
          { role: 'mx', reverseLookup: false, maxLineLength: 0 },
          { name: 'mx-off', role: 'mx', reverseLookup: false },
        ],
        plugins: [{ plugin: fixture('memory-queue'), options: { domains: ['example.test'] } }, { plugin: 'headers', options: { incoming: { pastDate: 30 * 86400 } } }],
      },
      { dir: dir.path },
    );
  });
  after(async () => {
    await server.stop();
    await dir.remove();
  });

  /** Sends a raw message on the mx listener; returns what was queued. */
  async function receive(raw: string | Buffer, options: { smtpUtf8?: boolean; port?: number } = {}) {
    const client = await SmtpClient.open(options.port ?? server.port('mx'));
    try {
      assert.equal((await client.command('EHLO client.test')).code, 250);
      assert.equal((await client.command(`MAIL FROM:<someone@elsewhere.test>${options.smtpUtf8 ? ' SMTPUTF8' : ''}`)).code, 250);
      assert.equal((await client.command('RCPT TO:<bob@example.test>')).code, 250);
      assert.equal((await client.command('DATA')).code, 354);
      client.write(Buffer.concat([dotStuff(typeof raw === 'string' ? Buffer.from(raw, 'latin1') : raw), Buffer.from('.\r\n')]));
      const reply = await client.reply();
      assert.equal(reply.code, 250, reply.raw);
    } finally {
      client.close();
    }
    const entry = queued.at(-1)!;
    const text = entry.message.toString('latin1');
    const header = text.slice(0, text.indexOf('\r\n\r\n') + 2);
    const notes = [...header.matchAll(/(?:^|\r\n)X-Posthorn-Notes:((?:[^\r]|\r\n[ \t])*)/gi)].map((m) => m[1]!.replace(/\r\n/g, '').trim());
    return { text, header, notes, problems: (entry.envelope.notes[Notes.header] as { problems: string[] } | undefined)?.problems };
  }

  const complete = (extra = '', date = rfc5322Date(new Date())) =>
    `From: Alice <alice@example.org>\r\nTo: bob@example.test\r\nSubject: hi\r\nDate: ${date}\r\nMessage-ID: <1@example.org>\r\n${extra}`;

  it('leaves a message without problems as it came and notes an empty list', async () => {
    const raw = `${complete()}\r\nbody\r\n`;
    const { text, notes, problems } = await receive(raw);
    assert.deepEqual(notes, []);
    assert.deepEqual(problems, []);
    assert.ok(text.endsWith(raw), 'byte for byte after the Received field');
  });

  it('notes missing Date, Message-ID and From, and adds nothing', async () => {
    const raw = 'To: bob@example.test\r\nSubject: bare\r\n\r\nbody\r\n';
    const { text, notes, problems } = await receive(raw);
    assert.deepEqual(problems, ['missing-from', 'missing-date', 'missing-message-id']);
    assert.deepEqual(notes, ['missing-from, missing-date, missing-message-id']);
    assert.ok(text.endsWith('To: bob@example.test\r\nSubject: bare\r\nX-Posthorn-Notes: missing-from, missing-date, missing-message-id\r\n\r\nbody\r\n'), text);
  });

  it('notes duplicated single-instance fields, each by name', async () => {
    const { problems } = await receive(`${complete('Subject: again\r\nTo: carol@example.test\r\nFrom: mallory@example.org\r\n')}\r\nbody\r\n`);
    assert.deepEqual(problems, ['duplicate-from', 'duplicate-to', 'duplicate-subject']);
  });

  it('notes malformed addresses in From, To, Cc, Reply-To and Sender', async () => {
    const raw =
      'From: root\r\nTo: bob@example.test bob2@example.test\r\nCc: <carol@example.test\r\nReply-To: "x" <>\r\nSender: a@example.org, b@example.org\r\n' +
      `Subject: x\r\nDate: ${rfc5322Date(new Date())}\r\nMessage-ID: <2@example.org>\r\n\r\nbody\r\n`;
    const { problems } = await receive(raw);
    assert.deepEqual(problems, ['malformed-from', 'malformed-to', 'malformed-cc', 'malformed-reply-to', 'malformed-sender']);
  });

  it('notes a Date more than a day ahead, not one a few hours ahead', async () => {
    const soon = await receive(`${complete('', rfc5322Date(new Date(Date.now() + 6 * HOUR)))}\r\nbody\r\n`);
    assert.deepEqual(soon.problems, []);
    const far = await receive(`${complete('', rfc5322Date(new Date(Date.now() + 26 * HOUR)))}\r\nbody\r\n`);
    assert.deepEqual(far.problems, ['future-date']);
  });

  it('notes a Date further back than pastDate, and a Date that is no date', async () => {
    const old = await receive(`${complete('', rfc5322Date(new Date(Date.now() - 31 * 24 * HOUR)))}\r\nbody\r\n`);
    assert.deepEqual(old.problems, ['past-date']);
    const recent = await receive(`${complete('', rfc5322Date(new Date(Date.now() - 29 * 24 * HOUR)))}\r\nbody\r\n`);
    assert.deepEqual(recent.problems, []);
    const garbage = await receive(`${complete('', 'last Tuesday')}\r\nbody\r\n`);
    assert.deepEqual(garbage.problems, ['malformed-date']);
  });

  it('notes a header line over 998 octets, and leaves it unfolded', async () => {
    const long = `X-Long: ${'a'.repeat(995)}`;
    const { text, problems } = await receive(`${complete(`${long}\r\n`)}\r\nbody\r\n`);
    assert.deepEqual(problems, ['overlong-line']);
    assert.ok(text.includes(`\r\n${long}\r\n`));
  });

  it('notes 8-bit header bytes without SMTPUTF8, and accepts them with it', async () => {
    const raw = Buffer.from(`${complete('X-Greeting: Grüße\r\nMIME-Version: 1.0\r\n')}\r\nbody\r\n`, 'utf8');
    assert.deepEqual((await receive(raw)).problems, ['8bit-header']);
    assert.deepEqual((await receive(raw, { smtpUtf8: true })).problems, []);
  });

  it('replaces an X-Posthorn-Notes field the message arrives with', async () => {
    const forged = await receive(`${complete('X-Posthorn-Notes: none\r\nX-POSTHORN-NOTES: nothing to see\r\n')}\r\nbody\r\n`);
    assert.deepEqual(forged.notes, []);
    assert.doesNotMatch(forged.header, /nothing to see|X-Posthorn-Notes: none/i);
    const withProblems = await receive('X-Posthorn-Notes: none\r\nTo: bob@example.test\r\n\r\nbody\r\n');
    assert.deepEqual(withProblems.notes, ['missing-from, missing-date, missing-message-id']);
  });

  it('folds a long list of notes', async () => {
    const raw = 'From: root\r\nTo: x\r\nCc: y\r\nReply-To: z\r\nSender: w\r\nSubject: a\r\nSubject: b\r\nDate: soon\r\n\r\nbody\r\n';
    const { header, notes } = await receive(raw);
    const field = /\r\n(X-Posthorn-Notes:(?:[^\r]|\r\n[ \t])*)\r\n/.exec(header)![1]!;
    for (const line of field.split('\r\n')) assert.ok(line.length <= 78, line);
    assert.ok(field.includes('\r\n '));
    assert.equal(notes[0], 'duplicate-subject, missing-message-id, malformed-from, malformed-to, malformed-cc, malformed-reply-to, malformed-sender, malformed-date');
  });
});

describe('headers: incoming mode switched off', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: TestServer;

  before(async () => {
    dir = await tempDir();
    server = await startTestServer(
      { listeners: [{ role: 'mx', reverseLookup: false }], plugins: [{ plugin: fixture('memory-queue'), options: { domains: ['example.test'] } }, { plugin: 'headers', options: { incoming: { enabled: false } } }] },
      { dir: dir.path },
    );
  });
  after(async () => {
    await server.stop();
    await dir.remove();
  });

  it('neither notes nor changes anything', async () => {
    const raw = 'X-Posthorn-Notes: kept\r\nTo: bob@example.test\r\n\r\nbody\r\n';
    const client = await SmtpClient.open(server.port());
    try {
      const reply = await client.send(raw, { from: 'someone@elsewhere.test', to: ['bob@example.test'] });
      assert.equal(reply.code, 250, reply.raw);
    } finally {
      client.close();
    }
    const { message, envelope } = queued.at(-1)!;
    assert.ok(message.toString('latin1').endsWith(raw));
    assert.equal(envelope.notes[Notes.header], undefined);
  });
});
