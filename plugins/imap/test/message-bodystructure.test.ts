import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bodyStructure } from '../src/message/bodystructure.ts';
import { parseStructure } from '../src/message/structure.ts';
import { ALTERNATIVE, BARE_LF, FORWARD, MALFORMED, MIXED, NO_SEPARATOR, RFC2231, SIMPLE, crlf, serialise } from './message-fixtures.ts';

const body = (raw: Buffer): string => serialise(bodyStructure(parseStructure(raw), false));
const bodystructure = (raw: Buffer): string => serialise(bodyStructure(parseStructure(raw), true));

test('a single text part: BODY has lines, BODYSTRUCTURE adds md5, disposition, language, location', () => {
  assert.equal(body(SIMPLE), '("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "8BIT" 59 5)');
  assert.equal(bodystructure(SIMPLE), '("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "8BIT" 59 5 NIL NIL NIL NIL)');
  assert.equal(bodystructure(BARE_LF), '("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "8BIT" 54 5 NIL NIL NIL NIL)');
  assert.equal(bodystructure(NO_SEPARATOR), '("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 0 0 NIL NIL NIL NIL)');
  assert.equal(bodystructure(MALFORMED), '("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 58 4 NIL NIL NIL NIL)');
});

test('multipart/alternative', () => {
  assert.equal(
    body(ALTERNATIVE),
    '(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 13 0)("TEXT" "HTML" ("CHARSET" "utf-8") NIL NIL "QUOTED-PRINTABLE" 44 1) "ALTERNATIVE")',
  );
  assert.equal(
    bodystructure(ALTERNATIVE),
    '(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 13 0 NIL NIL NIL NIL)' +
      '("TEXT" "HTML" ("CHARSET" "utf-8") NIL NIL "QUOTED-PRINTABLE" 44 1 NIL NIL NIL NIL)' +
      ' "ALTERNATIVE" ("BOUNDARY" "alt-boundary") NIL NIL NIL)',
  );
});

test('multipart/mixed with a base64 attachment and all extension fields', () => {
  assert.equal(
    body(MIXED),
    '(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 13 0)' +
      '("APPLICATION" "OCTET-STREAM" ("NAME" "report.bin") "<part2@example.com>" "Binary report" "BASE64" 10) "MIXED")',
  );
  assert.equal(
    bodystructure(MIXED),
    '(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 13 0 NIL NIL NIL NIL)' +
      '("APPLICATION" "OCTET-STREAM" ("NAME" "report.bin") "<part2@example.com>" "Binary report" "BASE64" 10' +
      ' "Q2hlY2sgSW50ZWdyaXR5IQ==" ("ATTACHMENT" ("FILENAME" "report.bin" "SIZE" "6")) ("en" "de") "http://example.com/report.bin")' +
      ' "MIXED" ("BOUNDARY" "----=_Part_1") NIL NIL NIL)',
  );
});

test('message/rfc822: envelope, nested body and lines', () => {
  const envelopeText =
    '("Mon, 1 Jan 2024 09:00:00 +0000" "Original" (("Judy" NIL "judy" "example.org")) (("Judy" NIL "judy" "example.org"))' +
    ' (("Judy" NIL "judy" "example.org")) (("Heidi" NIL "heidi" "example.com")) NIL NIL NIL "<orig@example.org>")';
  assert.equal(
    body(FORWARD),
    '(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 16 0)' +
      `("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 342 ${envelopeText} ` +
      '(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 14 0)("TEXT" "HTML" ("CHARSET" "us-ascii") NIL NIL "7BIT" 15 0) "ALTERNATIVE") 17)' +
      ' "MIXED")',
  );
  assert.equal(
    bodystructure(FORWARD),
    '(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 16 0 NIL NIL NIL NIL)' +
      `("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 342 ${envelopeText} ` +
      '(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 14 0 NIL NIL NIL NIL)("TEXT" "HTML" ("CHARSET" "us-ascii") NIL NIL "7BIT" 15 0 NIL NIL NIL NIL)' +
      ' "ALTERNATIVE" ("BOUNDARY" "inner") NIL NIL NIL) 17 NIL ("INLINE" NIL) NIL NIL)' +
      ' "MIXED" ("BOUNDARY" "outer") NIL NIL NIL)',
  );
});

test('RFC 2231 parameters are reported as NAME* with the charset kept', () => {
  assert.equal(
    bodystructure(RFC2231),
    `(("APPLICATION" "PDF" ("NAME*" "utf-8''%E2%82%AC%20rates%20report.pdf") NIL NIL "BASE64" 12 NIL` +
      ` ("ATTACHMENT" ("FILENAME*" "iso-8859-1'en'r%E9sum%E9.pdf")) NIL NIL) "MIXED" ("BOUNDARY" "b2231") NIL NIL NIL)`,
  );
});

test('single language is a string; multipart extension carries its own disposition and language', () => {
  const raw = crlf(
    'Content-Type: multipart/related; boundary=r; type="text/html"',
    'Content-Disposition: inline',
    'Content-Language: fr',
    'Content-Location: http://example.com/',
    '',
    '--r',
    'Content-Type: image/png',
    'Content-Transfer-Encoding: base64',
    '',
    'iVBORw0KGgo=',
    '--r--',
  );
  assert.equal(
    bodystructure(raw),
    '(("IMAGE" "PNG" NIL NIL NIL "BASE64" 12 NIL NIL NIL NIL) "RELATED" ("BOUNDARY" "r" "TYPE" "text/html") ("INLINE" NIL) "fr" "http://example.com/")',
  );
});

test('an unopenable message/rfc822 is a basic application/octet-stream body', () => {
  const raw = crlf('Content-Type: message/rfc822', 'Content-Transfer-Encoding: base64', '', 'U3ViamVjdDogeA0KDQp4');
  assert.equal(body(raw), '("APPLICATION" "OCTET-STREAM" NIL NIL NIL "BASE64" 20)');
});
