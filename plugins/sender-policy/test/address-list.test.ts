import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAddressList } from '../src/address-list.ts';

function addresses(value: string): string[] | string {
  const result = parseAddressList(value);
  return result.ok ? result.mailboxes.map((m) => `${m.local}@${m.domain}`) : `error: ${result.error}`;
}

describe('parseAddressList', () => {
  it('reads plain, named, quoted and commented mailboxes', () => {
    assert.deepEqual(addresses('alice@example.test'), ['alice@example.test']);
    assert.deepEqual(addresses('Alice Example <alice@example.test>'), ['alice@example.test']);
    assert.deepEqual(addresses('"Example, Alice" <alice@example.test>'), ['alice@example.test']);
    assert.deepEqual(addresses('John Q. Public <jqp@example.test>'), ['jqp@example.test']);
    assert.deepEqual(addresses('alice@example.test (Alice <bob@example.test>)'), ['alice@example.test'], 'comments are not addresses');
    assert.deepEqual(addresses('(nested (comment)) <alice@example.test>'), ['alice@example.test']);
    assert.deepEqual(addresses('"a b\\"c"@example.test'), ['a b"c@example.test']);
    assert.deepEqual(addresses('=?utf-8?q?Al=C3=AFce?= <alice@example.test>'), ['alice@example.test']);
    assert.deepEqual(addresses('Jörg <jörg@bücher.example>'), ['jörg@bücher.example']);
    assert.deepEqual(addresses('<@relay.example:alice@example.test>'), ['alice@example.test'], 'obsolete route dropped');
    assert.deepEqual(addresses('a@[192.0.2.1]'), ['a@[192.0.2.1]']);
  });

  it('reads lists and groups', () => {
    assert.deepEqual(addresses('alice@example.test, Bob <bob@example.test>'), ['alice@example.test', 'bob@example.test']);
    assert.deepEqual(addresses('Team: alice@example.test, bob@example.test;, carol@example.test'), ['alice@example.test', 'bob@example.test', 'carol@example.test']);
    assert.deepEqual(addresses('undisclosed-recipients:;'), []);
    assert.deepEqual(addresses(''), []);
    assert.deepEqual(addresses('alice@example.test,,'), ['alice@example.test']);
  });

  it('refuses what it cannot read with certainty', () => {
    for (const value of [
      'alice@example.test <bob@example.test>',
      'Alice <alice@example.test> bob@example.test',
      'Alice <alice@example.test',
      '<<alice@example.test>>',
      '"unterminated <alice@example.test>',
      '(unterminated alice@example.test',
      'alice',
      'alice@',
      '@example.test',
      'alice@@example.test',
      'alice@bob@example.test',
      'alice@example.test;',
      'Group: alice@example.test',
      'a: b: c@d;;',
      'alice@exa mple.test',
      'alice@example..test',
      'Public, John <jqp@example.test>',
      'ali\u0000ce@example.test',
    ]) {
      assert.match(String(addresses(value)), /^error: /, value);
    }
  });
});
