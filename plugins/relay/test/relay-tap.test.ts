import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AccountDirectory } from '@posthorn/contracts';
import { parseNetworks, silentLogger, type Transaction } from '@posthorn/core';
import { relayTap } from '../src/relay-tap.ts';

/** A directory with two local domains, one of them an IDN listed by its A-label. */
const accounts = {
  async isLocalDomain(domain: string) {
    return ['local.test', 'xn--bcher-kva.example'].includes(domain.toLowerCase());
  },
  async listDomains() {
    return ['local.test', 'xn--bcher-kva.example'];
  },
} as unknown as AccountDirectory;

function tx(options: { user?: boolean; ip?: string; smtpUtf8?: boolean } = {}): Transaction {
  const session = { remoteAddress: options.ip ?? '203.0.113.5', user: options.user ? { id: 'alice@local.test', login: 'alice@local.test', method: 'PLAIN' } : undefined };
  return { session, mailFrom: { address: 'alice@local.test', params: options.smtpUtf8 ? { SMTPUTF8: '' } : {} }, log: silentLogger(), recipients: [], notes: {} } as unknown as Transaction;
}

async function verdict(t: Transaction, address: string, networks: string[] = []): Promise<string> {
  const result = await relayTap(accounts, parseNetworks(networks))(t, { address, params: {} });
  if (!result) return 'no opinion';
  return result.action === 'accept' ? 'accept' : `${result.reply.code} ${result.reply.enhanced}`;
}

describe('relay tap', () => {
  it('has no opinion for clients that may not relay, whatever the address', async () => {
    for (const address of ['x@remote.example', 'user@[192.0.2.1]', 'user@-bad.example', 'user@local.test']) assert.equal(await verdict(tx(), address), 'no opinion', address);
  });

  it('accepts non-local domains for authenticated users and listed networks', async () => {
    assert.equal(await verdict(tx({ user: true }), 'x@remote.example'), 'accept');
    assert.equal(await verdict(tx({ ip: '192.0.2.9' }), 'x@remote.example', ['192.0.2.0/24']), 'accept');
    assert.equal(await verdict(tx({ ip: '::ffff:192.0.2.9' }), 'x@remote.example', ['192.0.2.0/24']), 'accept');
    assert.equal(await verdict(tx({ ip: '192.0.3.9' }), 'x@remote.example', ['192.0.2.0/24']), 'no opinion');
  });

  it('leaves local domains to local delivery: any case, U-label or A-label, odd local parts included', async () => {
    for (const address of ['user@local.test', 'user@LOCAL.Test', 'user%other@local.test', 'other!user@local.test', 'u@bücher.example', 'u@BÜCHER.example', 'u@xn--bcher-kva.example', 'postmaster']) {
      assert.equal(await verdict(tx({ user: true }), address), 'no opinion', address);
    }
  });

  it('refuses address literals (550 5.7.1) and malformed domains (501 5.1.3) for relaying clients', async () => {
    assert.equal(await verdict(tx({ user: true }), 'user@[192.0.2.1]'), '550 5.7.1');
    assert.equal(await verdict(tx({ user: true }), 'user@[IPv6:2001:db8::1]'), '550 5.7.1');
    for (const address of ['user@remote.example.', '"user@other"@remote.example', 'user@other@remote.example', 'user@127.0.0.1', 'user@ｒｅｍｏｔｅ.example', 'user@-bad.example']) {
      assert.equal(await verdict(tx({ user: true }), address), '501 5.1.3', address);
    }
  });

  it('requires SMTPUTF8 for a non-ASCII local part, and relays IDN domains in either form', async () => {
    assert.equal(await verdict(tx({ user: true }), 'üser@remote.example'), '553 5.6.7');
    assert.equal(await verdict(tx({ user: true, smtpUtf8: true }), 'üser@remote.example'), 'accept');
    assert.equal(await verdict(tx({ user: true }), 'u@münchen.example'), 'accept');
    assert.equal(await verdict(tx({ user: true }), 'u@xn--mnchen-3ya.example'), 'accept');
  });

  it('treats every domain as non-local without an account directory', async () => {
    const result = await relayTap(undefined, parseNetworks([]))(tx({ user: true }), { address: 'x@local.test', params: {} });
    assert.equal(result?.action, 'accept');
  });
});
