import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientNetwork } from '../src/net/client-network.ts';

describe('clientNetwork, with greylisting\'s prefixes (/24, /64)', () => {
  it('groups IPv4 clients by /24', () => {
    assert.equal(clientNetwork('192.0.2.1', 24, 64), '192.0.2.0/24');
    assert.equal(clientNetwork('192.0.2.254', 24, 64), '192.0.2.0/24');
    assert.notEqual(clientNetwork('192.0.3.1', 24, 64), clientNetwork('192.0.2.1', 24, 64));
    assert.equal(clientNetwork('255.255.255.255', 24, 64), '255.255.255.0/24');
  });

  it('treats an IPv4-mapped IPv6 client as the IPv4 client it is', () => {
    assert.equal(clientNetwork('::ffff:192.0.2.77', 24, 64), '192.0.2.0/24');
    assert.equal(clientNetwork('::FFFF:192.0.2.77', 24, 64), '192.0.2.0/24');
  });

  it('groups IPv6 clients by /64, whatever the spelling', () => {
    const network = '2001:db8:1:2::/64';
    for (const ip of ['2001:db8:1:2::1', '2001:0db8:0001:0002:ffff:ffff:ffff:ffff', '2001:DB8:1:2:0:0:0:0', '2001:db8:1:2::1%eth0', '2001:db8:1:2::192.0.2.1']) {
      assert.equal(clientNetwork(ip, 24, 64), network, ip);
    }
    assert.equal(clientNetwork('2001:db8:1:3::1', 24, 64), '2001:db8:1:3::/64');
    assert.equal(clientNetwork('::1', 24, 64), '0:0:0:0::/64');
    // A NAT64 address is IPv6: it is not unmapped.
    assert.equal(clientNetwork('64:ff9b::192.0.2.1', 24, 64), '64:ff9b:0:0::/64');
  });

  it('takes other prefix lengths', () => {
    assert.equal(clientNetwork('192.0.2.77', 32, 64), '192.0.2.77/32');
    assert.equal(clientNetwork('192.0.2.77', 20, 64), '192.0.0.0/20');
    assert.equal(clientNetwork('2001:db8:abcd:1234::1', 24, 48), '2001:db8:abcd::/48');
    assert.equal(clientNetwork('2001:db8:abcd:1234::1', 24, 56), '2001:db8:abcd:1200::/56');
    assert.equal(clientNetwork('2001:db8::1', 24, 128), '2001:db8:0:0:0:0:0:1/128');
  });

  it('returns what is not an address unchanged', () => {
    assert.equal(clientNetwork('not-an-ip', 24, 64), 'not-an-ip');
  });
});

describe('clientNetwork, with rate limits\' prefixes (/32, /64)', () => {
  it('counts an IPv4 client alone and an IPv6 client by its /64', () => {
    assert.equal(clientNetwork('192.0.2.7', 32, 64), '192.0.2.7/32');
    assert.equal(clientNetwork('::ffff:192.0.2.7', 32, 64), '192.0.2.7/32');
    assert.equal(clientNetwork('2001:db8:1:2:aaaa::1', 32, 64), '2001:db8:1:2::/64');
    assert.equal(clientNetwork('2001:db8:1:2:bbbb::9', 32, 64), '2001:db8:1:2::/64');
    assert.equal(clientNetwork('192.0.2.7', 24, 64), '192.0.2.0/24');
  });
});

