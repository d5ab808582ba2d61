import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeaderField, HeaderList, Message } from '@posthorn/core';

const bytes = (text: string) => Buffer.from(text, 'latin1');

const samples: [string, Buffer][] = [
  ['a plain message', bytes('From: a@example.org\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nbody line\r\n')],
  ['folded fields', bytes('Subject: a long\r\n subject that is\r\n\tfolded twice\r\nX-Empty:\r\nX-Spaces:   lots   \r\n\r\nbody\r\n')],
  ['8-bit bytes in header and body', Buffer.concat([bytes('Subject: '), Buffer.from('Grüße, 日本', 'utf8'), bytes('\r\nX-Latin1: caf\xe9\r\n\r\n'), Buffer.from([0x80, 0xff, 0x00, 0x0d, 0x0a])])],
  ['no body separator, header only', bytes('Subject: header only\r\nX-Other: yes\r\n')],
  ['no body separator, no final CRLF', bytes('Subject: unterminated')],
  ['starting with CRLF (no header at all)', bytes('\r\nbody without header\r\n')],
  ['only the separator', bytes('\r\n')],
  ['empty body', bytes('Subject: x\r\n\r\n')],
  ['a body containing blank lines', bytes('Subject: x\r\n\r\npara 1\r\n\r\npara 2\r\n\r\n')],
  ['a header line without a colon', bytes('Subject: x\r\nthis is not a field\r\nX: y\r\n\r\nbody\r\n')],
  ['an empty message', Buffer.alloc(0)],
];

describe('Message round trip', () => {
  for (const [label, raw] of samples) {
    it(`is byte-exact for ${label}, untouched and after parsing the header`, () => {
      const untouched = new Message(raw);
      assert.deepEqual(untouched.toBuffer(), raw);
      assert.equal(untouched.size, raw.length);

      const parsed = new Message(raw);
      void parsed.headers.size;
      assert.deepEqual(parsed.toBuffer(), raw);
      assert.equal(parsed.size, raw.length);
    });
  }

  it('finds the body after the first empty line', () => {
    const m = new Message(bytes('A: 1\r\nB: 2\r\n\r\nline\r\n\r\nmore\r\n'));
    assert.equal(m.hasBodySeparator, true);
    assert.equal(m.body().toString('latin1'), 'line\r\n\r\nmore\r\n');
    assert.deepEqual(
      m.headers.fields.map((f) => f.name),
      ['A', 'B'],
    );
  });

  it('knows when there is no body separator', () => {
    const m = new Message(bytes('A: 1\r\nB: 2\r\n'));
    assert.equal(m.hasBodySeparator, false);
    assert.equal(m.body().length, 0);
    assert.equal(m.headers.size, 2);
  });

  it('a message starting with CRLF has no header and the rest is body', () => {
    const m = new Message(bytes('\r\nA: not a header\r\n'));
    assert.equal(m.hasBodySeparator, true);
    assert.equal(m.headers.size, 0);
    assert.equal(m.body().toString('latin1'), 'A: not a header\r\n');
  });
});

describe('HeaderList parsing', () => {
  it('keeps the raw folding and unfolds the value', () => {
    const list = HeaderList.parse('Subject: a long\r\n subject\r\n\tfolded\r\nX: y');
    assert.equal(list.size, 2);
    assert.equal(list.fields[0]?.raw, 'Subject: a long\r\n subject\r\n\tfolded');
    assert.equal(list.get('subject'), 'a long subject\tfolded');
    assert.equal(list.get('X'), 'y');
  });

  it('decodes 8-bit values as UTF-8 for readers', () => {
    const block = Buffer.from('Subject: Grüße', 'utf8').toString('latin1');
    assert.equal(HeaderList.parse(block).get('Subject'), 'Grüße');
  });

  it('looks names up without regard to case and returns every value with getAll', () => {
    const list = HeaderList.parse('Received: one\r\nreceived: two\r\nRECEIVED: three');
    assert.deepEqual(list.getAll('Received'), ['one', 'two', 'three']);
    assert.equal(list.has('rEcEiVeD'), true);
    assert.equal(list.has('Subject'), false);
    assert.equal(list.get('Subject'), undefined);
  });

  it('keeps a line without a colon as a nameless field', () => {
    const list = HeaderList.parse('junk line\r\nX: y');
    assert.equal(list.fields[0]?.name, '');
    assert.equal(list.fields[0]?.raw, 'junk line');
  });
});

describe('HeaderField.create', () => {
  it('refuses names with colons, spaces or control characters', () => {
    for (const name of ['', 'Bad:Name', 'Bad Name', 'Bad\r\nName', 'Tab\t', 'Ünicode']) {
      assert.throws(() => HeaderField.create(name, 'v'), RangeError, `accepted ${JSON.stringify(name)}`);
    }
  });

  it('refuses a value with a bare line break, which would inject a field', () => {
    for (const value of ['a\r\nInjected: yes', 'a\nInjected: yes', 'a\rb', 'trailing\r\n']) {
      assert.throws(() => HeaderField.create('X', value), RangeError, `accepted ${JSON.stringify(value)}`);
    }
  });

  it('accepts a value that is already folded', () => {
    assert.equal(HeaderField.create('X', 'a\r\n\tb').raw, 'X: a\r\n\tb');
  });

  it('stores UTF-8 values as their bytes', () => {
    const field = HeaderField.create('Subject', 'Grüße');
    assert.deepEqual(Buffer.from(field.raw, 'latin1'), Buffer.from('Subject: Grüße', 'utf8'));
    assert.equal(field.value, 'Grüße');
  });
});

describe('Message edits', () => {
  const original = bytes('From: a@example.org\r\nSubject: old\r\nX-Spam: yes\r\nX-Spam: really\r\nTo: b@example.org\r\n\r\nbody\r\n');

  it('set replaces the first field in place and drops the others of that name', () => {
    const m = new Message(original);
    m.headers.set('x-spam', 'no');
    assert.equal(m.toBuffer().toString('latin1'), 'From: a@example.org\r\nSubject: old\r\nx-spam: no\r\nTo: b@example.org\r\n\r\nbody\r\n');
  });

  it('set adds the field at the bottom when it is absent', () => {
    const m = new Message(original);
    m.headers.set('X-New', 'v');
    assert.match(m.toBuffer().toString('latin1'), /To: b@example\.org\r\nX-New: v\r\n\r\nbody\r\n$/);
  });

  it('remove drops every field of that name and reports how many', () => {
    const m = new Message(original);
    assert.equal(m.headers.remove('X-SPAM'), 2);
    assert.equal(m.headers.remove('X-Spam'), 0);
    assert.equal(m.toBuffer().toString('latin1'), 'From: a@example.org\r\nSubject: old\r\nTo: b@example.org\r\n\r\nbody\r\n');
  });

  it('append adds at the bottom of the header, above the separator', () => {
    const m = new Message(original);
    m.headers.append('X-Tag', 'checked');
    assert.equal(m.toBuffer().toString('latin1'), 'From: a@example.org\r\nSubject: old\r\nX-Spam: yes\r\nX-Spam: really\r\nTo: b@example.org\r\nX-Tag: checked\r\n\r\nbody\r\n');
  });

  it('edits to a header-only message leave it header-only', () => {
    const m = new Message(bytes('Subject: x\r\n'));
    m.headers.append('X-Tag', 'y');
    assert.equal(m.toBuffer().toString('latin1'), 'Subject: x\r\nX-Tag: y\r\n');
  });

  it('edits to a message without a header keep the body apart', () => {
    const m = new Message(bytes('\r\nbody\r\n'));
    m.headers.append('Subject', 'added');
    assert.equal(m.toBuffer().toString('latin1'), 'Subject: added\r\n\r\nbody\r\n');
  });

  it('size follows the edits', () => {
    const m = new Message(original);
    m.headers.append('X-Tag', 'checked');
    assert.equal(m.size, m.toBuffer().length);
    assert.equal(m.size, original.length + 'X-Tag: checked\r\n'.length);
  });

  it('unchanged fields keep their bytes when another field is edited', () => {
    const folded = bytes('Subject: a\r\n  folded   one\r\nX: 1\r\n\r\nb\r\n');
    const m = new Message(folded);
    m.headers.set('X', '2');
    assert.equal(m.toBuffer().toString('latin1'), 'Subject: a\r\n  folded   one\r\nX: 2\r\n\r\nb\r\n');
  });
});

describe('Message.prependField', () => {
  const original = bytes('Subject: hi\r\n\r\nbody\r\n');

  it('before the header is parsed: goes on top, size counts it, the rest is untouched', () => {
    const m = new Message(original);
    m.prependField('Received', 'from a by b; date');
    m.prependField('X-Top', 'second prepend goes above the first');
    const expected = 'X-Top: second prepend goes above the first\r\nReceived: from a by b; date\r\nSubject: hi\r\n\r\nbody\r\n';
    assert.equal(m.size, Buffer.byteLength(expected));
    assert.equal(m.toBuffer().toString('latin1'), expected);
  });

  it('before parsing, the prepended fields then show up in the parsed header, in the same order', () => {
    const m = new Message(original);
    m.prependField('Received', 'first');
    m.prependField('X-Top', 'second');
    assert.deepEqual(
      m.headers.fields.map((f) => f.name),
      ['X-Top', 'Received', 'Subject'],
    );
    assert.equal(m.toBuffer().toString('latin1'), 'X-Top: second\r\nReceived: first\r\nSubject: hi\r\n\r\nbody\r\n');
  });

  it('after the header is parsed: the same bytes as before parsing', () => {
    const early = new Message(original);
    early.prependField('Received', 'from a\r\n\tby b; date');
    const late = new Message(original);
    void late.headers.size;
    late.prependField('Received', 'from a\r\n\tby b; date');
    assert.deepEqual(late.toBuffer(), early.toBuffer());
    assert.equal(late.size, early.size);
  });

  it('UTF-8 values give the same bytes before and after parsing', () => {
    const early = new Message(original);
    early.prependField('X-Note', 'Grüße');
    const expected = Buffer.concat([Buffer.from('X-Note: Grüße\r\n', 'utf8'), original]);
    assert.deepEqual(early.toBuffer(), expected);
    assert.equal(early.size, expected.length);
    const late = new Message(original);
    void late.headers.size;
    late.prependField('X-Note', 'Grüße');
    assert.deepEqual(late.toBuffer(), expected);
  });

  it('keeps 8-bit bytes of the original intact', () => {
    const raw = Buffer.concat([bytes('Subject: caf\xe9\r\n\r\n'), Buffer.from([0xff, 0xfe, 0x0d, 0x0a])]);
    const m = new Message(raw);
    m.prependField('Received', 'x');
    assert.deepEqual(m.toBuffer(), Buffer.concat([bytes('Received: x\r\n'), raw]));
    void m.headers.size;
    assert.deepEqual(m.toBuffer(), Buffer.concat([bytes('Received: x\r\n'), raw]));
  });

  it('refuses a value that would inject a field, before and after parsing alike', () => {
    const early = new Message(original);
    assert.throws(() => early.prependField('Received', 'x\r\nBcc: victim@example.org'), RangeError);
    assert.throws(() => early.prependField('Bad Name', 'x'), RangeError);
    assert.deepEqual(early.toBuffer(), original);
    const late = new Message(original);
    void late.headers.size;
    assert.throws(() => late.prependField('Received', 'x\r\nBcc: victim@example.org'), RangeError);
  });
});
