import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixture, startTestServer, tempDir, type TestServer } from '@posthorn/testkit';
import { queued } from '@posthorn/testkit/fixtures/memory-queue.ts';
import nodemailer from 'nodemailer';

const FIXED_AUTH = fixture('fixed-auth');
const PASSWORD = 'secret-for-tests';
const LONG_NAME = 'Jörg Müller-Lüdenscheidt von und zu Hohenzollern-Sigmaringen';

const ACCOUNTS = `
domains: [example.test]
users:
  alice@example.test: { name: Alice Example }
  carol@example.test: {}
  smith@example.test: { name: "Smith, John" }
  joerg@example.test: { name: "${LONG_NAME}" }
`;

const RFC5322_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$/;

/** Splits a stored message into the core's Received field, the rest of the header, and the body. */
function split(stored: Buffer): { received: string; header: string; body: string } {
  const text = stored.toString('latin1');
  assert.match(text, /^Received: /);
  let end = text.indexOf('\r\n') + 2;
  while (text[end] === ' ' || text[end] === '\t') end = text.indexOf('\r\n', end) + 2;
  const separator = text.indexOf('\r\n\r\n', end - 2);
  return { received: text.slice(0, end), header: text.slice(end, separator + 2), body: text.slice(separator + 4) };
}

/** The message as queued without the Received field on top. */
function afterReceived(stored: Buffer): string {
  const { received } = split(stored);
  return stored.toString('latin1').slice(received.length);
}

/** Unfolded value of a header field in a header block (latin1), or undefined. */
function field(header: string, name: string): string | undefined {
  const match = new RegExp(`(?:^|\\r\\n)${name}:[ \\t]*((?:[^\\r]|\\r\\n[ \\t])*)`, 'i').exec(header);
  return match?.[1]?.replace(/\r\n(?=[ \t])/g, '');
}

/** Decodes adjacent RFC 2047 B-encoded UTF-8 words (the white space between them is not text). */
function decodeEncodedWords(value: string): string {
  const bytes = [...value.matchAll(/=\?UTF-8\?B\?([A-Za-z0-9+/=]+)\?=/g)].map((match) => Buffer.from(match[1]!, 'base64'));
  return Buffer.concat(bytes).toString('utf8');
}

describe('headers: submitted mail', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: TestServer;

  before(async () => {
    dir = await tempDir();
    await writeFile(join(dir.path, 'accounts.yaml'), ACCOUNTS);
    server = await startTestServer(
      {
        // Lines over 998 octets reach the plugin only when the listener lets them through.
        listeners: [
          { role: 'submission', allowInsecureAuth: true, maxLineLength: 0 },
          { role: 'mx', reverseLookup: false },
        ],
        plugins: [
          { plugin: 'accounts-file', options: { file: 'accounts.yaml' } },
          {
            plugin: FIXED_AUTH,
            options: { users: { 'alice@example.test': PASSWORD, 'carol@example.test': PASSWORD, 'smith@example.test': PASSWORD, 'joerg@example.test': PASSWORD } },
          },
          { plugin: fixture('memory-queue'), options: { domains: ['remote.test', 'example.test'] } },
          'headers',
        ],
      },
      { dir: dir.path },
    );
  });
  after(async () => {
    await server.stop();
    await dir.remove();
  });

  /** Submits raw bytes with nodemailer (AUTH PLAIN after STARTTLS) and returns what was queued. */
  async function submit(raw: string | Buffer, user = 'alice@example.test'): Promise<Buffer> {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: server.port('submission'), auth: { user, pass: PASSWORD }, tls: { rejectUnauthorized: false } });
    try {
      const before = queued.length;
      const info = await transport.sendMail({ envelope: { from: user, to: ['bob@remote.test'] }, raw: typeof raw === 'string' ? Buffer.from(raw, 'latin1') : raw });
      assert.match(info.response, /^250 /);
      assert.equal(queued.length, before + 1);
      return queued.at(-1)!.message;
    } finally {
      transport.close();
    }
  }

  /** Submits and expects a refusal; returns the server's reply line. */
  async function refused(raw: string | Buffer): Promise<string> {
    const before = queued.length;
    const error = await submit(raw).then(
      () => assert.fail('the message was accepted'),
      (err: Error & { response?: string }) => err,
    );
    assert.equal(queued.length, before, 'nothing was queued');
    return String(error.response);
  }

  const COMPLETE =
    'Date: Tue, 01 Jul 2025 10:00:00 +0200\r\n' +
    'From: Alice <alice@example.test>\r\n' +
    'To: Bob <bob@remote.test>\r\n' +
    'Subject: a subject that is\r\n\tfolded by the client\r\n' +
    'Message-ID: <complete-1@example.test>\r\n' +
    'X-No-Space:value\r\n' +
    'MIME-Version: 1.0\r\n' +
    'Content-Type: text/plain; charset=utf-8\r\n' +
    'Content-Transfer-Encoding: 8bit\r\n' +
    '\r\n' +
    'Grüße, Bob.\r\n';

  it('leaves a complete message byte for byte as it came', async () => {
    const stored = await submit(Buffer.from(COMPLETE, 'utf8'));
    assert.equal(afterReceived(stored), Buffer.from(COMPLETE, 'utf8').toString('latin1'));
  });

  it('adds Date when missing, at the bottom, and keeps the other fields byte-exact', async () => {
    const header = 'From: alice@example.test\r\nTo: bob@remote.test\r\nSubject: no date\r\nMessage-ID: <nodate@example.test>\r\n';
    const stored = await submit(`${header}\r\nbody\r\n`);
    const { header: out, body } = split(stored);
    assert.ok(out.startsWith(header), out);
    const added = out.slice(header.length);
    assert.match(added, /^Date: [^\r\n]+\r\n$/);
    assert.match(field(out, 'Date')!, RFC5322_DATE);
    assert.ok(!Number.isNaN(Date.parse(field(out, 'Date')!)));
    assert.equal(body, 'body\r\n');
  });

  it('adds a unique Message-ID with the server host name when missing', async () => {
    const raw = 'From: alice@example.test\r\nTo: bob@remote.test\r\nDate: Tue, 01 Jul 2025 10:00:00 +0000\r\nSubject: no id\r\n\r\nbody\r\n';
    const first = field(split(await submit(raw)).header, 'Message-ID');
    const second = field(split(await submit(raw)).header, 'Message-ID');
    assert.match(first!, /^<[A-Za-z0-9.]+@mx\.test>$/);
    assert.match(second!, /^<[A-Za-z0-9.]+@mx\.test>$/);
    assert.notEqual(first, second);
  });

  it('adds From with the display name of the account', async () => {
    const stored = await submit('To: bob@remote.test\r\nSubject: no from\r\nDate: Tue, 01 Jul 2025 10:00:00 +0000\r\nMessage-ID: <a@b>\r\n\r\nbody\r\n');
    assert.match(split(stored).header, /\r\nFrom: Alice Example <alice@example\.test>\r\n$/);
  });

  it('adds From with the bare address when the account has no display name', async () => {
    const stored = await submit('To: bob@remote.test\r\nSubject: no from\r\n\r\nbody\r\n', 'carol@example.test');
    assert.equal(field(split(stored).header, 'From'), 'carol@example.test');
  });

  it('quotes a display name with special characters', async () => {
    const stored = await submit('To: bob@remote.test\r\nSubject: no from\r\n\r\nbody\r\n', 'smith@example.test');
    assert.equal(field(split(stored).header, 'From'), '"Smith, John" <smith@example.test>');
  });

  it('encodes a non-ASCII display name as RFC 2047 words and folds the field at 78', async () => {
    const stored = await submit('To: bob@remote.test\r\nSubject: no from\r\n\r\nbody\r\n', 'joerg@example.test');
    const { header } = split(stored);
    const raw = /\r\n(From:(?:[^\r]|\r\n[ \t])*)\r\n/.exec(`\r\n${header}`)![1]!;
    assert.ok(/^[\x20-\x7e\r\n\t]*$/.test(raw), 'the field is ASCII');
    for (const line of raw.split('\r\n')) assert.ok(line.length <= 78, `line of ${line.length}: ${line}`);
    assert.ok(raw.includes('\r\n '), 'long enough to be folded');
    const value = field(header, 'From')!;
    assert.match(value, /^(=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?= )+<joerg@example\.test>$/);
    for (const word of value.match(/=\?[^ ]+\?=/g)!) assert.ok(word.length <= 75);
    assert.equal(decodeEncodedWords(value.replace(/ <joerg@example\.test>$/, '')), LONG_NAME);
  });

  it('removes every Bcc and Resent-Bcc field and nothing else', async () => {
    const top = 'From: alice@example.test\r\nTo: bob@remote.test\r\n';
    const bottom = 'Subject: secret copies\r\nDate: Tue, 01 Jul 2025 10:00:00 +0000\r\nMessage-ID: <bcc@example.test>\r\n';
    const raw = `Bcc: hidden@remote.test\r\n${top}bcc: second@remote.test,\r\n third@remote.test\r\nResent-Bcc: fourth@remote.test\r\n${bottom}\r\nbody\r\n`;
    const stored = await submit(raw);
    assert.equal(afterReceived(stored), `${top}${bottom}\r\nbody\r\n`);
  });

  it('folds a header line longer than 998 octets at white space and keeps its place', async () => {
    const words = Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ');
    assert.ok(words.length > 998);
    const top = 'From: alice@example.test\r\nTo: bob@remote.test\r\n';
    const bottom = 'Date: Tue, 01 Jul 2025 10:00:00 +0000\r\nMessage-ID: <long@example.test>\r\n';
    const stored = await submit(`${top}Subject: ${words}\r\n${bottom}\r\nbody\r\n`);
    const { header } = split(stored);
    assert.ok(header.startsWith(top) && header.endsWith(bottom), header);
    const subject = header.slice(top.length, header.length - bottom.length - 2);
    for (const line of subject.split('\r\n')) assert.ok(line.length <= 78, `line of ${line.length}`);
    assert.ok(subject.split('\r\n').length > 10);
    assert.equal(field(header, 'Subject'), words);
  });

  it('adds MIME-Version, Content-Type (UTF-8) and 8bit transfer encoding to an 8-bit body without MIME fields', async () => {
    const header = 'From: alice@example.test\r\nTo: bob@remote.test\r\nSubject: eight bit\r\nDate: Tue, 01 Jul 2025 10:00:00 +0000\r\nMessage-ID: <8bit@example.test>\r\n';
    const stored = await submit(Buffer.from(`${header}\r\nGrüße\r\n`, 'utf8'));
    assert.equal(
      afterReceived(stored),
      `${header}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${Buffer.from('Grüße\r\n', 'utf8').toString('latin1')}`,
    );
  });

  it('declares charset=unknown-8bit when the 8-bit body is not UTF-8', async () => {
    const header = 'From: alice@example.test\r\nTo: bob@remote.test\r\nSubject: latin1\r\nDate: Tue, 01 Jul 2025 10:00:00 +0000\r\nMessage-ID: <l1@example.test>\r\n';
    const stored = await submit(Buffer.from(`${header}\r\nGr\xfc\xdfe\r\n`, 'latin1'));
    assert.equal(split(stored).header, `${header}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=unknown-8bit\r\nContent-Transfer-Encoding: 8bit\r\n`);
  });

  it('adds only MIME-Version when the message has a Content-Type', async () => {
    const header = 'From: alice@example.test\r\nTo: bob@remote.test\r\nSubject: typed\r\nDate: Tue, 01 Jul 2025 10:00:00 +0000\r\nMessage-ID: <ct@example.test>\r\nContent-Type: text/plain; charset=utf-8\r\n';
    const stored = await submit(Buffer.from(`${header}\r\nGrüße\r\n`, 'utf8'));
    assert.equal(split(stored).header, `${header}MIME-Version: 1.0\r\n`);
  });

  it('accepts a UTF-8 header field and adds MIME-Version for it', async () => {
    const header = Buffer.from('From: alice@example.test\r\nTo: bob@remote.test\r\nSubject: Grüße\r\nDate: Tue, 01 Jul 2025 10:00:00 +0000\r\nMessage-ID: <u8@example.test>\r\n', 'utf8').toString('latin1');
    const stored = await submit(Buffer.from(`${header}\r\nhello\r\n`, 'latin1'));
    assert.equal(split(stored).header, `${header}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n`);
  });

  it('adds no MIME-Version to a 7-bit message', async () => {
    const raw = 'From: alice@example.test\r\nTo: bob@remote.test\r\nSubject: ascii\r\nDate: Tue, 01 Jul 2025 10:00:00 +0000\r\nMessage-ID: <a7@example.test>\r\n\r\nhello\r\n';
    assert.equal(afterReceived(await submit(raw)), raw);
  });

  describe('refusals', () => {
    const base = 'From: alice@example.test\r\nTo: bob@remote.test\r\nDate: Tue, 01 Jul 2025 10:00:00 +0000\r\nMessage-ID: <r@example.test>\r\n';

    it('refuses a message without an empty line between header and body', async () => {
      assert.equal(await refused(`${base}Subject: glued\r\nthis body was glued to the header\r\n`), '554 5.6.0 Message has no empty line between header and body');
    });

    it('refuses a line in the header that is not a field', async () => {
      assert.equal(await refused(`${base}Subject: x\r\nnot a header field\r\n\r\nbody\r\n`), '554 5.6.0 Malformed line in message header');
    });

    it('refuses a NUL byte in the header', async () => {
      assert.equal(await refused(`${base}Subject: a\x00b\r\n\r\nbody\r\n`), '554 5.6.0 Control characters in message header');
    });

    it('refuses another control character (ESC) in the header', async () => {
      assert.equal(await refused(`${base}Subject: \x1b[31mred\r\n\r\nbody\r\n`), '554 5.6.0 Control characters in message header');
    });

    it('refuses 8-bit header bytes that are not UTF-8', async () => {
      assert.equal(await refused(Buffer.from(`${base}Subject: \xe9t\xe9\r\n\r\nbody\r\n`, 'latin1')), '554 5.6.0 Message header contains 8-bit data that is not UTF-8');
    });

    it('refuses several From mailboxes without a Sender', async () => {
      const raw = `To: bob@remote.test\r\nFrom: "Doe, Jane" <jane@example.test>, alice@example.test\r\nSubject: two authors\r\n\r\nbody\r\n`;
      assert.equal(await refused(raw), '554 5.6.0 Several From addresses require a Sender field');
    });

    it('accepts several From mailboxes with a Sender', async () => {
      const raw = `To: bob@remote.test\r\nFrom: "Doe, Jane" <jane@example.test>, alice@example.test\r\nSender: alice@example.test\r\nSubject: two authors\r\nDate: Tue, 01 Jul 2025 10:00:00 +0000\r\nMessage-ID: <s@example.test>\r\n\r\nbody\r\n`;
      assert.equal(afterReceived(await submit(raw)), raw);
    });

    it('refuses a header line over 998 octets that has no white space to fold at', async () => {
      assert.equal(await refused(`${base}Subject: x\r\nX-Token: ${'a'.repeat(1200)}\r\n\r\nbody\r\n`), '554 5.6.0 Header line longer than 998 characters that cannot be folded');
    });

    it('refuses a second Subject (RFC 5322 3.6 allows one)', async () => {
      assert.equal(await refused(`${base}Subject: one\r\nSubject: two\r\n\r\nbody\r\n`), '554 5.6.0 Message header has more than one Subject field');
    });

    it('refuses a second From', async () => {
      assert.equal(await refused(`${base}Subject: x\r\nFrom: mallory@example.test\r\n\r\nbody\r\n`), '554 5.6.0 Message header has more than one From field');
    });
  });

  // Issue 4: incoming mail is never corrected; its problems are only noted (incoming.test.ts).
  it('corrects nothing in incoming mail (mx listener, no AUTH); it only gets X-Posthorn-Notes', async () => {
    const raw = Buffer.from(`To: bob@example.test\r\nBcc: hidden@example.test\r\nSubject: one\r\nSubject: two\r\n\r\nGrüße\r\n`, 'utf8');
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: server.port('mx'), tls: { rejectUnauthorized: false } });
    try {
      const info = await transport.sendMail({ envelope: { from: 'someone@elsewhere.test', to: ['bob@example.test'] }, raw });
      assert.match(info.response, /^250 /);
    } finally {
      transport.close();
    }
    const notes = 'X-Posthorn-Notes: duplicate-subject, missing-from, missing-date,\r\n missing-message-id, missing-mime-version\r\n';
    assert.equal(afterReceived(queued.at(-1)!.message), raw.toString('latin1').replace('\r\n\r\n', `\r\n${notes}\r\n`));
  });
});

describe('headers: corrections switched off', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: TestServer;

  before(async () => {
    dir = await tempDir();
    await writeFile(join(dir.path, 'accounts.yaml'), ACCOUNTS);
    server = await startTestServer(
      {
        listeners: [{ role: 'submission', allowInsecureAuth: true }],
        plugins: [
          { plugin: 'accounts-file', options: { file: 'accounts.yaml' } },
          { plugin: FIXED_AUTH, options: { users: { 'alice@example.test': PASSWORD } } },
          { plugin: fixture('memory-queue'), options: { domains: ['remote.test'] } },
          { plugin: 'headers', options: { corrections: { date: false, removeBcc: false } } },
        ],
      },
      { dir: dir.path },
    );
  });
  after(async () => {
    await server.stop();
    await dir.remove();
  });

  it('keeps Bcc and adds no Date, but still adds the Message-ID', async () => {
    const header = 'From: alice@example.test\r\nTo: bob@remote.test\r\nBcc: hidden@remote.test\r\nSubject: switches\r\n';
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: server.port('submission'), auth: { user: 'alice@example.test', pass: PASSWORD }, tls: { rejectUnauthorized: false } });
    try {
      await transport.sendMail({ envelope: { from: 'alice@example.test', to: ['bob@remote.test'] }, raw: `${header}\r\nbody\r\n` });
    } finally {
      transport.close();
    }
    const { header: out } = split(queued.at(-1)!.message);
    assert.ok(out.startsWith(header));
    assert.match(out.slice(header.length), /^Message-ID: <[^>]+@mx\.test>\r\n$/);
  });
});
