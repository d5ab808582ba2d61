import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseNetworks } from '../src/net/networks.ts';

describe('parseNetworks', () => {
  it('matches IPv4 and IPv6 blocks, dual-stack mapped IPv4 included', () => {
    const list = parseNetworks(['127.0.0.0/8', '192.0.2.0/24', '2001:db8:abcd::/48', '198.51.100.7']);
    for (const ip of ['127.0.0.1', '127.255.0.9', '192.0.2.200', '::ffff:192.0.2.1', '2001:db8:abcd:12::1', '198.51.100.7']) assert.equal(list.contains(ip), true, ip);
    for (const ip of ['10.0.0.1', '192.0.3.1', '2001:db8:abce::1', '198.51.100.8', '::1', 'not-an-ip', '']) assert.equal(list.contains(ip), false, ip);
  });

  it('an empty list trusts nobody', () => {
    const list = parseNetworks([]);
    assert.equal(list.contains('127.0.0.1'), false);
    assert.equal(list.contains('::1'), false);
  });

  it('refuses entries that are not CIDR networks, naming them', () => {
    for (const bad of ['127.0.0.0/33', '::/129', 'example.com', '10.0.0/8', '10.0.0.0/', '10.0.0.0/8/8', '']) {
      assert.throws(() => parseNetworks([bad]), (err: Error) => err instanceof RangeError && err.message.includes(JSON.stringify(bad)), bad);
    }
  });

  it('takes /0 as everything in its family (an explicit, if unwise, choice)', () => {
    const list = parseNetworks(['0.0.0.0/0']);
    assert.equal(list.contains('203.0.113.1'), true);
    assert.equal(list.contains('2001:db8::1'), false);
  });
});
