import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeMailboxName, encodeMailboxName } from '../src/mailbox/utf7.ts';

test('the RFC 3501 5.1.3 example round-trips', () => {
  const wire = '~peter/mail/&U,BTFw-/&ZeVnLIqe-';
  const name = '~peter/mail/\u53f0\u5317/\u65e5\u672c\u8a9e';
  assert.equal(encodeMailboxName(name), wire);
  assert.equal(decodeMailboxName(wire), name);
});

test('known encodings', () => {
  const cases: [string, string][] = [
    ['', ''],
    ['INBOX', 'INBOX'],
    ['&', '&-'],
    ['a&b', 'a&-b'],
    ['&&', '&-&-'],
    ['\u263a!', '&Jjo-!'],
    ['Hi Mom -\u263a-!', 'Hi Mom -&Jjo--!'],
    ['\u{1f600}', '&2D3eAA-'],
    ['\t', '&AAk-'],
    ['Entw\u00fcrfe', 'Entw&APw-rfe'],
    ['~', '~'],
    [' ', ' '],
  ];
  for (const [name, wire] of cases) {
    assert.equal(encodeMailboxName(name), wire, `encode ${JSON.stringify(name)}`);
    assert.equal(decodeMailboxName(wire), name, `decode ${wire}`);
  }
});

test('non-ASCII runs are encoded as one shifted sequence each', () => {
  assert.equal(encodeMailboxName('\u53f0\u5317\u65e5'), '&U,BTF2Xl-');
  assert.equal(encodeMailboxName('\u53f0a\u5317'), '&U,A-a&Uxc-');
});

test('invalid or non-canonical encodings are refused', () => {
  const invalid = [
    '&', // not closed
    'a&', // not closed
    '&U,BTFw', // not closed
    '&U/BTFw-', // `/` is not in the modified alphabet
    '&U+BTFw=-', // padding is not used
    '&&-', // `&` inside a shifted run
    '&U,BTFx-', // non-zero leftover bits
    '&U,BTFwA-', // a whole character too many
    '&A-', // too short for one code unit
    '&AGE-', // printable ASCII ("a") must represent itself
    '&AC8-', // "/" encoded
    '&ACY-', // "&" must be written "&-"
    '&U,BTFw-&ZeVnLIqe-', // adjacent shifted runs must be one
    '&2D0-', // lone high surrogate
    '&3gA-', // lone low surrogate
    '&3gDYPQ-', // surrogates in the wrong order
    'caf\u00e9', // 8-bit character
    'a\tb', // raw control character
    'a\x7fb', // DEL
    '\u53f0', // raw non-ASCII
  ];
  for (const wire of invalid) assert.equal(decodeMailboxName(wire), undefined, JSON.stringify(wire));
});

test('random well-formed strings round-trip and decode only their own encoding', () => {
  let seed = 0x2545f491;
  const random = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  const pools = [
    () => String.fromCharCode(0x20 + Math.floor(random() * 95)),
    () => '&',
    () => String.fromCharCode(0xa0 + Math.floor(random() * 0x2000)),
    () => String.fromCodePoint(0x10000 + Math.floor(random() * 0xfffff)),
    () => String.fromCharCode(Math.floor(random() * 0x20)),
  ];
  for (let n = 0; n < 2000; n++) {
    let text = '';
    const length = Math.floor(random() * 12);
    for (let i = 0; i < length; i++) text += pools[Math.floor(random() * pools.length)]!();
    const wire = encodeMailboxName(text);
    assert.match(wire, /^[\x20-\x7e]*$/);
    assert.equal(decodeMailboxName(wire), text, JSON.stringify(text));
  }
});
