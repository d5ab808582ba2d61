import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStructure } from '../src/message/structure.ts';
import { partText } from '../src/message/text.ts';
import { ALTERNATIVE, MIXED, SIMPLE, crlf } from './message-fixtures.ts';

test('partText decodes transfer encoding and charset of text parts only', () => {
  assert.equal(partText(SIMPLE, parseStructure(SIMPLE)), 'Hi Bob,\r\n\r\nLunch tomorrow at noon? \u20ac5 each.\r\n-- \r\nAlice\r\n');
  const alternative = parseStructure(ALTERNATIVE);
  assert.equal(partText(ALTERNATIVE, alternative.children[1]!), '<p>Sale: \u20ac10 off, today only.</p>');
  assert.equal(partText(ALTERNATIVE, alternative), undefined);
  assert.equal(partText(MIXED, parseStructure(MIXED).children[1]!), undefined);
  const latin1 = Buffer.concat([crlf('Content-Type: text/plain; charset=iso-8859-1', 'Content-Transfer-Encoding: base64', '', ''), Buffer.from(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x80]).toString('base64'))]);
  assert.equal(partText(latin1, parseStructure(latin1)), 'caf\u00e9\u20ac');
  const unknown = crlf('Content-Type: text/plain; charset=x-klingon', 'Content-Transfer-Encoding: x-weird', '', 'as is');
  assert.equal(partText(unknown, parseStructure(unknown)), 'as is');
});
