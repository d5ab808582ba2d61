import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_DEPTH, paramValue, parseStructure } from '../src/message/structure.ts';
import { ALTERNATIVE, BARE_LF, FORWARD, MALFORMED, MIXED, NO_SEPARATOR, RFC2231, SIMPLE, crlf } from './message-fixtures.ts';

const slice = (raw: Buffer, start: number, end: number): string => raw.toString('utf8', start, end);

test('a simple message: header fields with offsets, folding kept in raw, unfolded value', () => {
  const root = parseStructure(SIMPLE);
  assert.equal(root.headerStart, 0);
  assert.equal(root.headers.length, 10);
  const subject = root.headers[5]!;
  assert.equal(subject.name, 'Subject');
  assert.equal(subject.raw, ' Lunch\r\n  tomorrow?');
  assert.equal(subject.value, 'Lunch  tomorrow?');
  assert.equal(slice(SIMPLE, subject.start, subject.end), 'Subject: Lunch\r\n  tomorrow?\r\n');
  assert.equal(slice(SIMPLE, root.headerEnd, root.bodyStart), '\r\n');
  assert.equal(slice(SIMPLE, root.bodyStart, root.bodyEnd), 'Hi Bob,\r\n\r\nLunch tomorrow at noon? \u20ac5 each.\r\n-- \r\nAlice\r\n');
  assert.equal(root.bodyEnd, SIMPLE.length);
  assert.deepEqual([root.type, root.subtype, root.encoding], ['text', 'plain', '8bit']);
  assert.equal(paramValue(root.params, 'CHARSET'), 'utf-8');
  assert.equal(root.size, 59);
  assert.equal(root.lines, 5);
  assert.deepEqual(root.children, []);
  assert.equal(root.message, null);
});

test('RFC 2045 defaults without Content-Type and Content-Transfer-Encoding', () => {
  const root = parseStructure(crlf('Subject: x', '', 'hello', ''));
  assert.deepEqual([root.type, root.subtype, root.encoding], ['text', 'plain', '7bit']);
  assert.deepEqual(root.params, [{ name: 'charset', value: 'us-ascii' }]);
  assert.equal(root.id, null);
  assert.equal(root.disposition, null);
  assert.equal(root.language, null);
});

test('an unusable Content-Type falls back to text/plain; charset=us-ascii', () => {
  const root = parseStructure(crlf('Content-Type: garbage; charset=utf-8', '', 'x'));
  assert.deepEqual([root.type, root.subtype], ['text', 'plain']);
  assert.deepEqual(root.params, [{ name: 'charset', value: 'us-ascii' }]);
});

test('multipart/alternative: children bounded by boundary lines, preamble and epilogue dropped', () => {
  const root = parseStructure(ALTERNATIVE);
  assert.deepEqual([root.type, root.subtype], ['multipart', 'alternative']);
  assert.equal(paramValue(root.params, 'boundary'), 'alt-boundary');
  assert.equal(root.children.length, 2);
  const [plain, html] = root.children;
  assert.equal(slice(ALTERNATIVE, plain!.headerStart, plain!.bodyStart), 'Content-Type: text/plain; charset="us-ascii"\r\nContent-Transfer-Encoding: 7bit\r\n\r\n');
  assert.equal(slice(ALTERNATIVE, plain!.bodyStart, plain!.bodyEnd), 'Sale: 10 off.');
  assert.equal(slice(ALTERNATIVE, html!.bodyStart, html!.bodyEnd), '<p>Sale: =E2=82=AC10 off, =\r\ntoday only.</p>');
  assert.deepEqual([html!.type, html!.subtype, html!.encoding], ['text', 'html', 'quoted-printable']);
  assert.equal(html!.lines, 1);
});

test('multipart/mixed attachment: disposition, id, description, language, location, md5', () => {
  const attachment = parseStructure(MIXED).children[1]!;
  assert.deepEqual([attachment.type, attachment.subtype, attachment.encoding], ['application', 'octet-stream', 'base64']);
  assert.deepEqual(attachment.disposition, {
    type: 'attachment',
    params: [
      { name: 'filename', value: 'report.bin' },
      { name: 'size', value: '6' },
    ],
  });
  assert.equal(attachment.id, '<part2@example.com>');
  assert.equal(attachment.description, 'Binary report');
  assert.deepEqual(attachment.language, ['en', 'de']);
  assert.equal(attachment.location, 'http://example.com/report.bin');
  assert.equal(attachment.md5, 'Q2hlY2sgSW50ZWdyaXR5IQ==');
  assert.equal(slice(MIXED, attachment.bodyStart, attachment.bodyEnd), 'AAEC\r\nAwBm');
  assert.equal(attachment.lines, 0, 'lines are only counted for text and message parts');
});

test('message/rfc822 is opened: the encapsulated message has its own header and parts', () => {
  const forwarded = parseStructure(FORWARD).children[1]!;
  assert.deepEqual([forwarded.type, forwarded.subtype], ['message', 'rfc822']);
  const inner = forwarded.message!;
  assert.equal(inner.headerStart, forwarded.bodyStart);
  assert.equal(inner.bodyEnd, forwarded.bodyEnd);
  assert.equal(inner.headers[2]!.value, 'Original');
  assert.deepEqual(inner.children.map((c) => c.subtype), ['plain', 'html']);
  assert.equal(slice(FORWARD, inner.children[1]!.bodyStart, inner.children[1]!.bodyEnd), '<b>Original</b>');
  assert.equal(forwarded.lines, 17);
  assert.ok(slice(FORWARD, forwarded.bodyStart, forwarded.bodyEnd).endsWith('--inner--\r\n'));
});

test('RFC 2231: continuations merged, charset decoded, encoded form kept', () => {
  const pdf = parseStructure(RFC2231).children[0]!;
  assert.deepEqual(pdf.params, [
    {
      name: 'name',
      value: '\u20ac rates report.pdf',
      extended: { charset: 'utf-8', language: '', encoded: "utf-8''%E2%82%AC%20rates%20report.pdf" },
    },
  ]);
  assert.deepEqual(pdf.disposition!.params, [
    { name: 'filename', value: 'r\u00e9sum\u00e9.pdf', extended: { charset: 'iso-8859-1', language: 'en', encoded: "iso-8859-1'en'r%E9sum%E9.pdf" } },
  ]);
});

test('parameters: quoted strings with escapes and semicolons, comments, plain continuations', () => {
  const root = parseStructure(
    crlf(
      'Content-Type: Text/Plain (comment; here) ; Charset = "utf\\"8;x" ; format=flowed (ignored);',
      ' title*0="Hello "; title*1="World"; name=my file.txt',
      '',
      '',
    ),
  );
  assert.deepEqual([root.type, root.subtype], ['text', 'plain']);
  assert.deepEqual(root.params, [
    { name: 'charset', value: 'utf"8;x' },
    { name: 'format', value: 'flowed' },
    { name: 'title', value: 'Hello World' },
    { name: 'name', value: 'my file.txt' },
  ]);
});

test('multipart/digest children default to message/rfc822', () => {
  const raw = crlf(
    'Content-Type: multipart/digest; boundary=d',
    '',
    '--d',
    '',
    'Subject: first',
    '',
    'one',
    '--d',
    'Content-Type: text/plain',
    '',
    'two',
    '--d--',
  );
  const root = parseStructure(raw);
  assert.deepEqual(root.children.map((c) => `${c.type}/${c.subtype}`), ['message/rfc822', 'text/plain']);
  assert.equal(root.children[0]!.message!.headers[0]!.value, 'first');
});

test('a boundary that only starts with the parent boundary does not split the parent', () => {
  const raw = crlf(
    'Content-Type: multipart/mixed; boundary=b',
    '',
    '--b',
    'Content-Type: multipart/alternative; boundary=bb',
    '',
    '--bb',
    '',
    'inner one',
    '--bb--',
    '--b',
    '',
    'outer two',
    '--b--',
  );
  const root = parseStructure(raw);
  assert.equal(root.children.length, 2);
  assert.equal(root.children[0]!.children.length, 1);
  assert.equal(slice(raw, root.children[1]!.bodyStart, root.children[1]!.bodyEnd), 'outer two');
});

test('a multipart without close delimiter runs its last part to the end; without boundary it is text', () => {
  const unclosed = parseStructure(crlf('Content-Type: multipart/mixed; boundary=x', '', '--x', '', 'a', '--x', '', 'b', 'c'));
  assert.equal(unclosed.children.length, 2);
  assert.equal(unclosed.children[1]!.size, 4);

  const noBoundary = parseStructure(crlf('Content-Type: multipart/mixed', '', 'text'));
  assert.deepEqual([noBoundary.type, noBoundary.subtype, noBoundary.children.length], ['text', 'plain', 0]);
  const noDelimiter = parseStructure(crlf('Content-Type: multipart/mixed; boundary=zz', '', 'text'));
  assert.deepEqual([noDelimiter.type, noDelimiter.subtype], ['text', 'plain']);
});

test('an encoded message/rfc822 is not opened and reports as application/octet-stream', () => {
  const root = parseStructure(crlf('Content-Type: message/rfc822', 'Content-Transfer-Encoding: base64', '', 'U3ViamVjdDogeA0KDQp4'));
  assert.equal(root.message, null);
  assert.deepEqual([root.type, root.subtype], ['application', 'octet-stream']);
});

test('nesting deeper than MAX_DEPTH is not opened', () => {
  let raw = 'Subject: leaf\r\n\r\nbottom\r\n';
  for (let i = 0; i < MAX_DEPTH + 5; i++) raw = `Content-Type: message/rfc822\r\n\r\n${raw}`;
  let part = parseStructure(Buffer.from(raw));
  let depth = 0;
  while (part.message) {
    part = part.message;
    depth++;
  }
  assert.equal(depth, MAX_DEPTH);
  assert.deepEqual([part.type, part.subtype], ['application', 'octet-stream']);
});

test('many parts are bounded', () => {
  const parts = Array.from({ length: 7000 }, (_, i) => `--p\r\n\r\n${i}\r\n`).join('');
  const root = parseStructure(Buffer.from(`Content-Type: multipart/mixed; boundary=p\r\n\r\n${parts}--p--\r\n`));
  assert.ok(root.children.length < 7000);
  assert.ok(root.children.length > 1000);
});

test('bare LF line ends work like CRLF', () => {
  const root = parseStructure(BARE_LF);
  assert.equal(root.headers.length, 10);
  assert.equal(root.headers[5]!.value, 'Lunch  tomorrow?');
  assert.equal(slice(BARE_LF, root.bodyStart, root.bodyEnd), 'Hi Bob,\n\nLunch tomorrow at noon? \u20ac5 each.\n-- \nAlice\n');
  assert.equal(root.lines, 5);

  const raw = Buffer.from('Content-Type: multipart/mixed; boundary=q\n\n--q\n\none\n--q\n\ntwo\n--q--\n');
  const multipart = parseStructure(raw);
  assert.deepEqual(multipart.children.map((c) => slice(raw, c.bodyStart, c.bodyEnd)), ['one', 'two']);
});

test('no body separator: the header runs to the end and the body is empty', () => {
  const root = parseStructure(NO_SEPARATOR);
  assert.deepEqual(root.headers.map((h) => h.name), ['From', 'Subject']);
  assert.equal(root.headerEnd, NO_SEPARATOR.length);
  assert.equal(root.bodyStart, NO_SEPARATOR.length);
  assert.equal(root.size, 0);

  const unterminated = parseStructure(Buffer.from('Subject: no newline at all'));
  assert.equal(unterminated.headers[0]!.value, 'no newline at all');
  assert.equal(unterminated.size, 0);
});

test('a line that is not a header field starts the body (as Postfix treats broken mail)', () => {
  const root = parseStructure(MALFORMED);
  assert.deepEqual(root.headers.map((h) => h.name), ['From', 'To', 'Cc', 'Subject']);
  assert.equal(root.headerEnd, root.bodyStart);
  assert.ok(slice(MALFORMED, root.bodyStart, root.bodyEnd).startsWith('this line has no colon\r\nX-After:'));
});

test('headers: blanks before the colon, empty values, continuation without a field', () => {
  const root = parseStructure(crlf('Subject : spaced', 'X-Empty:', '', 'b'));
  assert.deepEqual(root.headers.map((h) => [h.name, h.value]), [['Subject', 'spaced'], ['X-Empty', '']]);
  const leading = parseStructure(crlf(' starts folded', 'Subject: x', '', 'b'));
  assert.equal(leading.headers.length, 0);
  assert.equal(leading.bodyStart, 0);
});

test('an empty message', () => {
  const root = parseStructure(Buffer.alloc(0));
  assert.deepEqual([root.headerStart, root.headerEnd, root.bodyStart, root.bodyEnd, root.size], [0, 0, 0, 0, 0]);
});

test('leading values: blanks around the slash, a missing semicolon, a comment', () => {
  const spaced = parseStructure(crlf('Content-Type: Text / HTML ; charset=utf-8', '', 'x'));
  assert.deepEqual([spaced.type, spaced.subtype, paramValue(spaced.params, 'charset')], ['text', 'html', 'utf-8']);
  const missing = parseStructure(crlf('Content-Type: text/html charset=utf-8', 'Content-Transfer-Encoding: base64 (why not)', '', 'x'));
  assert.deepEqual([missing.type, missing.subtype, missing.encoding], ['text', 'html', 'base64']);
});
