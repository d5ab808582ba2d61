import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodePlain } from '../src/auth/sasl-plain.ts';

describe('decodePlain', () => {
  const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

  it('takes authzid NUL login NUL password, with an empty or identical authzid', () => {
    assert.deepEqual(decodePlain(b64('\0alice@x\0pw with spaces')), { login: 'alice@x', password: 'pw with spaces' });
    assert.deepEqual(decodePlain(b64('alice@x\0alice@x\0pw')), { login: 'alice@x', password: 'pw' });
    assert.deepEqual(decodePlain(b64('\0ålice@x\0pässword')), { login: 'ålice@x', password: 'pässword' });
  });

  it('refuses acting as someone else, missing parts, an empty login and anything not base64', () => {
    for (const response of [b64('bob@x\0alice@x\0pw'), b64('alice@x\0pw'), b64('\0\0pw'), b64('\0a\0b\0c'), '', 'not base64!', 'YWJj=', '====']) {
      assert.equal(decodePlain(response), undefined, JSON.stringify(response));
    }
  });
});
