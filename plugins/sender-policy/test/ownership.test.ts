import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressKey, envelopeKey, ownership } from '../src/ownership.ts';

const owns = (check: ReturnType<typeof ownership>, address: string) => {
  const key = envelopeKey(address);
  return key ? check.owns(key) : false;
};

describe('ownership', () => {
  const alice = ownership(['alice@example.test', 'sales@example.test', 'jörg@xn--bcher-kva.example'], ['boss@partner.example', '@shared.example'], '+');

  it('owns the account addresses, in any case, and their sub-addresses', () => {
    for (const address of ['alice@example.test', 'ALICE@Example.TEST', 'sales@example.test', 'alice+news@example.test', 'sales+x+y@example.test', '"alice"@example.test']) {
      assert.equal(owns(alice, address), true, address);
    }
  });

  it('compares IDN domains in one form', () => {
    assert.equal(owns(alice, 'jörg@bücher.example'), true);
    assert.equal(owns(alice, 'JÖRG@BÜCHER.example'), true);
    assert.equal(owns(alice, 'jörg@xn--bcher-kva.example'), true);
  });

  it('owns what the operator allows: single addresses and whole domains', () => {
    assert.equal(owns(alice, 'boss@partner.example'), true);
    assert.equal(owns(alice, 'boss+x@partner.example'), true);
    assert.equal(owns(alice, 'anyone@shared.example'), true);
    assert.equal(owns(alice, 'other@partner.example'), false);
  });

  it('owns nothing else', () => {
    for (const address of [
      'bob@example.test',
      'alice@example.test.',
      'alice@evil.example',
      'alicex@example.test',
      '+alice@example.test',
      'alice@sub.example.test',
      '"alice@example.test"@evil.example',
      'alice@[192.0.2.1]',
      'nodomain',
    ]) {
      assert.equal(owns(alice, address), false, address);
    }
  });

  it('honours another separator, or none', () => {
    assert.equal(owns(ownership(['alice@example.test'], [], '-'), 'alice-news@example.test'), true);
    assert.equal(owns(ownership(['alice@example.test'], [], '-'), 'alice+news@example.test'), false);
    assert.equal(owns(ownership(['alice@example.test'], [], ''), 'alice+news@example.test'), false);
  });

  it('builds keys the same way for header and envelope addresses', () => {
    assert.deepEqual(envelopeKey('"A b"@Bücher.example'), addressKey('a B', 'xn--bcher-kva.example'));
    assert.deepEqual(addressKey('x', 'example.test.'), { local: 'x', domain: 'example.test.' });
  });
});
