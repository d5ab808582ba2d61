import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AccountDirectory } from '@posthorn/contracts';
import { Message, silentLogger, type Transaction, type Verdict } from '@posthorn/core';
import type { SenderPolicyOptions } from '../src/options.ts';
import { ownership } from '../src/ownership.ts';
import { envelopeTap, headerTap, ownershipLookup } from '../src/sender-taps.ts';

const DEFAULTS: SenderPolicyOptions = { envelope: true, header: true, allow: {}, allowNullSender: false, allowOnBehalf: false, plusSeparator: '+' };
const lookup = async () => ownership(['alice@example.test'], [], '+');

function tx(from: string, user = true): Transaction {
  return {
    session: { user: user ? { id: 'alice@example.test', login: 'alice@example.test', method: 'PLAIN' } : undefined },
    mailFrom: { address: from, params: {} },
    log: silentLogger(),
  } as unknown as Transaction;
}

function message(header: string): Message {
  return new Message(Buffer.from(`${header}\r\nSubject: t\r\n\r\nbody\r\n`, 'utf8'));
}

const show = (verdict: Verdict | undefined) => (verdict ? (verdict.action === 'accept' ? 'accept' : `${verdict.reply.code} ${verdict.reply.enhanced}`) : 'no opinion');

async function envelope(from: string, options: Partial<SenderPolicyOptions> = {}, user = true) {
  return show(await envelopeTap(lookup, { ...DEFAULTS, ...options })(tx(from, user)));
}

async function header(fields: string, options: Partial<SenderPolicyOptions> = {}, user = true) {
  return show(await headerTap(lookup, { ...DEFAULTS, ...options })(tx('alice@example.test', user), message(fields)));
}

describe('sender-policy taps', () => {
  it('envelope: own address passes, anybody else 553 5.7.1, null sender 553 5.7.1 unless allowed', async () => {
    assert.equal(await envelope('alice@example.test'), 'no opinion');
    assert.equal(await envelope('alice+x@example.test'), 'no opinion');
    assert.equal(await envelope('bob@example.test'), '553 5.7.1');
    assert.equal(await envelope(''), '553 5.7.1');
    assert.equal(await envelope('', { allowNullSender: true }), 'no opinion');
  });

  it('envelope: false turns the address check off but not the null-sender check', async () => {
    assert.equal(await envelope('bob@example.test', { envelope: false }), 'no opinion');
    assert.equal(await envelope('', { envelope: false }), '553 5.7.1');
  });

  it('unauthenticated sessions are none of its business', async () => {
    assert.equal(await envelope('bob@example.test', {}, false), 'no opinion');
    assert.equal(await envelope('', {}, false), 'no opinion');
    assert.equal(await header('From: bob@example.test', {}, false), 'no opinion');
  });

  it('header: From: and Sender: must be the user’s; unreadable or empty From: is refused; no From: is let through', async () => {
    assert.equal(await header('From: Alice <alice@example.test>'), 'no opinion');
    assert.equal(await header('From: bob@example.test'), '550 5.7.1');
    assert.equal(await header('From: alice@example.test, bob@example.test'), '550 5.7.1');
    assert.equal(await header('From: alice@example.test\r\nFrom: bob@example.test'), '550 5.7.1', 'a second From: field is checked too');
    assert.equal(await header('From: alice@example.test\r\nSender: bob@example.test'), '550 5.7.1');
    assert.equal(await header('From: alice@example.test <bob@example.test>'), '550 5.7.1');
    assert.equal(await header('From: undisclosed:;'), '550 5.7.1');
    assert.equal(await header('X-No-From: yes'), 'no opinion');
    assert.equal(await header('From: bob@example.test', { header: false }), 'no opinion');
  });

  it('allowOnBehalf: an own Sender: lets From: name someone else, never the reverse', async () => {
    const onBehalf = { allowOnBehalf: true };
    assert.equal(await header('From: boss@partner.example\r\nSender: alice@example.test', onBehalf), 'no opinion');
    assert.equal(await header('From: boss@partner.example\r\nSender: alice@example.test'), '550 5.7.1', 'off by default');
    assert.equal(await header('From: boss@partner.example', onBehalf), '550 5.7.1', 'no Sender:, no exception');
    assert.equal(await header('From: alice@example.test\r\nSender: bob@example.test', onBehalf), '550 5.7.1');
    assert.equal(await header('From: boss@partner.example <x@y>\r\nSender: alice@example.test', onBehalf), '550 5.7.1', 'From: must still be readable');
  });

  it('looks up the account’s addresses and the allow list by user id, case-insensitively', async () => {
    const accounts = {
      async getAccount(id: string) {
        return id === 'alice@example.test' ? { id, addresses: ['alice@example.test', 'sales@example.test'] } : null;
      },
    } as unknown as AccountDirectory;
    const find = ownershipLookup(accounts, { allow: { 'Alice@Example.TEST': ['@shared.example'], 'gone@example.test': ['gone@example.test'] }, plusSeparator: '+' });
    const owned = await find({ id: 'alice@example.test', login: 'alice', method: 'PLAIN' });
    assert.equal(owned.owns({ local: 'sales', domain: 'example.test' }), true);
    assert.equal(owned.owns({ local: 'x', domain: 'shared.example' }), true);
    assert.equal(owned.owns({ local: 'bob', domain: 'example.test' }), false);
    const gone = await find({ id: 'gone@example.test', login: 'gone', method: 'PLAIN' });
    assert.equal(gone.owns({ local: 'gone', domain: 'example.test' }), true, 'a removed account keeps only what the operator allows');
    assert.equal(gone.owns({ local: 'x', domain: 'example.test' }), false);
  });
});
