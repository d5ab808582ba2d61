import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBase64, decodeQuotedPrintable, decodeTransferEncoding } from '../src/message/binary.ts';

test('identity encodings return the body unchanged, unknown ones say so', () => {
  const body = Buffer.from('a\r\nb\x00');
  for (const cte of ['7bit', '8BIT', 'Binary', '', ' 7bit ']) assert.equal(decodeTransferEncoding(body, cte), body);
  assert.equal(decodeTransferEncoding(body, 'x-uuencode'), 'unknown-cte');
});

test('base64: line breaks and junk ignored, missing padding and concatenated chunks tolerated', () => {
  assert.deepEqual(decodeTransferEncoding(Buffer.from('AAEC\r\nAwBm\r\n'), 'BASE64'), Buffer.from([0, 1, 2, 3, 0, 0x66]));
  assert.equal(decodeBase64(Buffer.from(' SGVs\tbG8s IHdv\ncmxk!! ')).toString(), 'Hello, world');
  assert.equal(decodeBase64(Buffer.from('SGVsbG8')).toString(), 'Hello');
  assert.equal(decodeBase64(Buffer.from('SGk=SGk=')).toString(), 'HiHi');
  assert.equal(decodeBase64(Buffer.from('SGk==')).toString(), 'Hi');
  assert.equal(decodeBase64(Buffer.from('S')).toString(), '');
  assert.equal(decodeBase64(Buffer.alloc(0)).length, 0);
  const random = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7919) % 256));
  const wrapped = random.toString('base64').replace(/.{76}/g, '$&\r\n');
  assert.deepEqual(decodeBase64(Buffer.from(wrapped)), random);
});

test('quoted-printable: escapes, soft breaks, trailing blanks, broken escapes kept', () => {
  const decode = (text: string): string => decodeQuotedPrintable(Buffer.from(text)).toString('utf8');
  assert.equal(decode('<p>Sale: =E2=82=AC10 off, =\r\ntoday only.</p>'), '<p>Sale: \u20ac10 off, today only.</p>');
  assert.equal(decode('soft =  \r\nbreak'), 'soft break');
  assert.equal(decode('bare LF soft=\nbreak\nnext'), 'bare LF softbreak\nnext');
  assert.equal(decode('trailing   \r\nline\t \r\n'), 'trailing\r\nline\r\n');
  assert.equal(decode('kept =\t= at end'), 'kept =\t= at end');
  assert.equal(decode('a=3d=3Db =ZZ =4'), 'a==b =ZZ =4');
  assert.equal(decode('ends with ='), 'ends with ');
  assert.equal(decode('last line blanks  '), 'last line blanks');
  assert.deepEqual(decodeQuotedPrintable(Buffer.from('=00=FF')), Buffer.from([0, 255]));
});
