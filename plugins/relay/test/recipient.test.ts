import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAsciiLocalPart, recipientTarget } from '../src/recipient.ts';

describe('recipientTarget', () => {
  it('finds the domain in A-label and U-label form, lower case', () => {
    assert.deepEqual(recipientTarget('User@Example.COM'), { kind: 'domain', local: 'User', ascii: 'example.com', unicode: 'example.com' });
    assert.deepEqual(recipientTarget('u@BÜCHER.example'), { kind: 'domain', local: 'u', ascii: 'xn--bcher-kva.example', unicode: 'bücher.example' });
    assert.deepEqual(recipientTarget('u@xn--bcher-kva.example'), { kind: 'domain', local: 'u', ascii: 'xn--bcher-kva.example', unicode: 'bücher.example' });
    assert.equal((recipientTarget('ü@straße.de') as { ascii: string }).ascii, 'xn--strae-oqa.de');
  });

  it('leaves % and ! in the local part to the domain named after the @', () => {
    assert.deepEqual(recipientTarget('user%other@remote.example'), { kind: 'domain', local: 'user%other', ascii: 'remote.example', unicode: 'remote.example' });
    assert.equal((recipientTarget('host!user@remote.example') as { ascii: string }).ascii, 'remote.example');
    assert.equal((recipientTarget('"a:b"@remote.example') as { ascii: string }).ascii, 'remote.example');
  });

  it('refuses every routing trick and malformed domain as invalid', () => {
    const cases: Record<string, string> = {
      '"user@other"@local.test': 'more than one @',
      'user@other@local.test': 'more than one @',
      '@other.example:user@local.test': 'more than one @',
      '@other.example,@x.example:user@local.test': 'more than one @',
      'other.example:user@local.test': 'source route',
      'user@example.com.': 'trailing dot in domain',
      'user@': 'empty domain',
      '@local.test': 'empty local part',
      'user@-bad.example': 'bad label in domain',
      'user@bad-.example': 'bad label in domain',
      'user@a..b': 'bad label in domain',
      'user@a_b.example': 'bad label in domain',
      'user@127.0.0.1': 'numeric top-level label',
      'user@0x7f.1': 'domain not in canonical form',
      'user@１２７.0.0.1': 'domain not in canonical form',
      'user@ｅｘａｍｐｌｅ.com': 'domain not in canonical form',
      'user@example。com': 'domain not in canonical form',
      'user@xn--zz.example': 'not a valid domain name',
      'user@exa mple.com': 'not a valid domain name',
      [`user@${'a'.repeat(64)}.example`]: 'bad label in domain',
      [`user@${'abcdefghi.'.repeat(26)}com`]: 'domain too long',
      'no domain here': 'no domain',
    };
    for (const [address, reason] of Object.entries(cases)) assert.deepEqual(recipientTarget(address), { kind: 'invalid', reason }, address);
  });

  it('sets address literals and the bare postmaster apart', () => {
    assert.deepEqual(recipientTarget('user@[192.0.2.1]'), { kind: 'literal' });
    assert.deepEqual(recipientTarget('user@[IPv6:2001:db8::1]'), { kind: 'literal' });
    assert.deepEqual(recipientTarget('postmaster'), { kind: 'no-domain' });
  });

  it('tells ASCII local parts from those that need SMTPUTF8', () => {
    assert.equal(isAsciiLocalPart('user+tag'), true);
    assert.equal(isAsciiLocalPart('üser'), false);
    assert.equal(isAsciiLocalPart('用户'), false);
  });
});
