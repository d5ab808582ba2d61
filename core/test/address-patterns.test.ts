import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileAddressPatterns } from '../src/rules/address-patterns.ts';

describe('address patterns', () => {
  const { patterns, invalid } = compileAddressPatterns(['alice@Example.org', '@friends.example', '.partner.example', 'Abuse@', '@bücher.example']);

  it('matches whole addresses, domains, subdomains and local parts, ignoring case', () => {
    assert.deepEqual(invalid, []);
    for (const address of ['alice@example.org', 'ALICE@EXAMPLE.ORG', 'bob@friends.example', 'x@mx.partner.example', 'x@a.b.partner.example', 'abuse@anywhere.example', 'x@xn--bcher-kva.example', 'x@BÜCHER.example']) {
      assert.equal(patterns.matches(address), true, address);
    }
    for (const address of ['bob@example.org', 'bob@notfriends.example', 'bob@sub.friends.example', 'x@partner.example', 'x@otherpartner.example', 'abuser@example.org', '', 'no-at-sign']) {
      assert.equal(patterns.matches(address), false, address);
    }
  });

  it('reports what is not a pattern, by index', () => {
    const { invalid: problems } = compileAddressPatterns(['example.org', '@', '@bad domain', '.', 'a b@example.org', 'ok@example.org']);
    assert.deepEqual(
      problems.map((p) => p.index),
      [0, 1, 2, 3, 4],
    );
    assert.match(problems[0]!.message, /@example\.org for the domain/);
  });
});
