import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeaderList, Message } from '@posthorn/core';
import { isOutgoing } from '@posthorn/core';
import { analyzeHeader, encodeDisplayName, foldOverlongLines, formatMailbox, MAX_LINE } from '@posthorn/plugin-headers';
import { countMailboxes } from '../src/address-list.ts';
import { breakLine, foldGenerated } from '../src/fold.ts';

const unfold = (raw: string) => raw.replace(/\r\n(?=[ \t])/g, '');

describe('folding', () => {
  it('keeps a field whose lines are all within 998 octets exactly as it is', () => {
    const raw = `Subject: ${'x'.repeat(900)} y\r\n\t${'z'.repeat(990)}`;
    assert.equal(foldOverlongLines(raw), raw);
  });

  it('folds only the over-long line, at 78 where white space allows, and unfolds to the same text', () => {
    const long = Array.from({ length: 300 }, (_, i) => `w${i}`).join(' ');
    assert.ok(long.length > MAX_LINE);
    const raw = `X-List: short first line\r\n ${long}\r\n last`;
    const folded = foldOverlongLines(raw)!;
    const lines = folded.split('\r\n');
    assert.equal(lines[0], 'X-List: short first line');
    assert.equal(lines.at(-1), ' last');
    for (const line of lines) assert.ok(line.length <= 78, line);
    assert.equal(unfold(folded), unfold(raw));
  });

  it('folds at a TAB as well as at a space', () => {
    const raw = `X-Tabs: ${Array.from({ length: 120 }, () => 'abcdefgh').join('\t')}`;
    const folded = foldOverlongLines(raw)!;
    assert.ok(folded.includes('\r\n\t'));
    assert.equal(unfold(folded), raw);
  });

  it('uses a break after 78 when there is none before, staying within 998', () => {
    const raw = `X-Big: ${'a'.repeat(500)} ${'b'.repeat(700)}`;
    const folded = foldOverlongLines(raw)!;
    assert.deepEqual(folded.split('\r\n'), [`X-Big: ${'a'.repeat(500)}`, ` ${'b'.repeat(700)}`]);
  });

  it('gives up when a piece longer than 998 has no white space', () => {
    assert.equal(foldOverlongLines(`X-Token: ${'a'.repeat(MAX_LINE + 10)}`), undefined);
    assert.equal(foldOverlongLines(`X-Token: ab ${'a'.repeat(MAX_LINE + 10)}`), undefined);
  });

  it('never breaks off the field name alone, nor leaves a line of only white space', () => {
    assert.equal(breakLine(`X-A:     ${'a'.repeat(1100)}`, 4), undefined);
    const pieces = breakLine(`X-A: ${'a'.repeat(100)}      `, 4)!;
    assert.equal(pieces.length, 1);
  });

  it('folds a generated value between words', () => {
    const value = foldGenerated('From', `${'=?UTF-8?B?' + 'QUFB'.repeat(15) + '?='} ${'=?UTF-8?B?' + 'QkJC'.repeat(15) + '?='} <a@example.test>`);
    const lines = `From: ${value}`.split('\r\n');
    assert.ok(lines.length >= 2);
    for (const line of lines) assert.ok(line.length <= 78, line);
  });
});

describe('display names', () => {
  it('writes plain words as they are', () => {
    assert.equal(encodeDisplayName('Alice Example'), 'Alice Example');
    assert.equal(formatMailbox('a@example.test', 'Alice'), 'Alice <a@example.test>');
    assert.equal(formatMailbox('a@example.test', undefined), 'a@example.test');
  });

  it('quotes specials and escapes quotes and backslashes', () => {
    assert.equal(encodeDisplayName('Smith, John'), '"Smith, John"');
    assert.equal(encodeDisplayName('Say "hi" \\ bye'), '"Say \\"hi\\" \\\\ bye"');
  });

  it('encodes non-ASCII as UTF-8 B words of at most 75 characters, split between characters', () => {
    const name = '日本語のとても長い表示名です。これは折り返しの試験です';
    const encoded = encodeDisplayName(name);
    const words = encoded.split(' ');
    assert.ok(words.length > 1);
    let bytes = Buffer.alloc(0);
    for (const word of words) {
      assert.match(word, /^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=$/);
      assert.ok(word.length <= 75);
      const chunk = Buffer.from(word.slice(10, -2), 'base64');
      // Each word decodes on its own: no character is cut in two.
      assert.equal(Buffer.from(chunk.toString('utf8'), 'utf8').length, chunk.length);
      bytes = Buffer.concat([bytes, chunk]);
    }
    assert.equal(bytes.toString('utf8'), name);
  });

  it('replaces control characters in a name', () => {
    assert.equal(encodeDisplayName('Eve\r\nBcc: x'), '"Eve Bcc: x"');
  });
});

describe('address lists', () => {
  it('counts mailboxes at top-level commas only', () => {
    assert.equal(countMailboxes('a@example.test'), 1);
    assert.equal(countMailboxes('"Doe, Jane" <jane@example.test>'), 1);
    assert.equal(countMailboxes('Jane (Doe, J.) <jane@example.test>'), 1);
    assert.equal(countMailboxes('"a\\", b" <x@y>'), 1);
    assert.equal(countMailboxes('a@example.test, b@example.test'), 2);
    assert.equal(countMailboxes('a@example.test, , b@example.test,'), 2);
    assert.equal(countMailboxes('<a@[1.2.3.4]>, Bee <b@example.test>'), 2);
  });
});

describe('which mail is outgoing', () => {
  const user = { id: 'a@example.test', login: 'a', method: 'PLAIN' };
  const cases = [
    { role: 'submission', user: undefined, authenticated: false, listeners: true, both: true },
    { role: 'submissions', user, authenticated: true, listeners: true, both: true },
    { role: 'mx', user, authenticated: true, listeners: false, both: true },
    { role: 'mx', user: undefined, authenticated: false, listeners: false, both: false },
  ] as const;
  for (const c of cases) {
    it(`${c.role} ${c.user ? 'with' : 'without'} a user`, () => {
      const session = { user: c.user, listener: { name: c.role, role: c.role } };
      assert.equal(isOutgoing(session, 'authenticated'), c.authenticated);
      assert.equal(isOutgoing(session, 'submission-listeners'), c.listeners);
      assert.equal(isOutgoing(session, 'both'), c.both);
    });
  }
});

describe('analysis', () => {
  const codes = (raw: string) => {
    const message = new Message(Buffer.from(raw, 'latin1'));
    message.prependField('Received', 'by mx.test; Tue, 01 Jul 2025 10:00:00 +0000');
    const first = message.headers.fields[0];
    return analyzeHeader(message, first).map((p) => p.code);
  };

  it('finds nothing wrong with a complete message', () => {
    assert.deepEqual(codes('From: a@x\r\nDate: Tue, 01 Jul 2025 10:00:00 +0000\r\nMessage-ID: <1@x>\r\n\r\nbody\r\n'), []);
  });

  it('ignores the core Received field but not a Received field the client sent twice', () => {
    const found = codes('Received: from a\r\nReceived: from b\r\nFrom: a@x\r\nDate: Tue, 01 Jul 2025 10:00:00 +0000\r\nMessage-ID: <1@x>\r\n\r\nbody\r\n');
    assert.deepEqual(found, [], 'Received may occur any number of times');
  });

  it('lists every problem it finds, in a stable order', () => {
    const found = codes('Subject: a\r\nSubject: b\r\nBcc: x@y\r\n\r\n\xc3\xa9\r\n');
    assert.deepEqual(found, ['duplicate-field', 'missing-from', 'missing-date', 'missing-message-id', 'bcc', 'missing-mime-version']);
  });
});

describe('HeaderList.replaceField (core, added for folding in place)', () => {
  it('replaces one field in its place and leaves every other byte alone', () => {
    const list = HeaderList.parse('Received: one\r\nX-A:tight\r\nX-A: second\r\nSubject: s');
    const target = list.fields[2]!;
    assert.equal(list.replaceField(target, 'folded\r\n value'), true);
    assert.equal(list.toBuffer().toString('latin1'), 'Received: one\r\nX-A:tight\r\nX-A: folded\r\n value\r\nSubject: s\r\n');
    assert.equal(list.replaceField(target, 'again'), false, 'the old field is gone');
  });

  it('refuses a value with a bare line break', () => {
    const list = HeaderList.parse('X-A: a');
    assert.throws(() => list.replaceField(list.fields[0]!, 'b\r\nBcc: x'), /bare line break/);
  });
});
