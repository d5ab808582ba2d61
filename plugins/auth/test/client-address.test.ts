import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientKey, expandIpv6, isLoopback } from '../src/client-address.ts';

describe('client addresses', () => {
  it('recognises loopback in its IPv4, IPv6 and mapped forms only', () => {
    for (const ip of ['127.0.0.1', '127.10.0.5', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) assert.equal(isLoopback(ip), true, ip);
    for (const ip of ['10.0.0.1', '192.0.2.1', '::2', '2001:db8::1', '::ffff:10.0.0.1', '128.0.0.1', '', 'localhost']) assert.equal(isLoopback(ip), false, ip);
  });

  it('expands IPv6 addresses, embedded IPv4 and zone ids included', () => {
    assert.equal(expandIpv6('2001:db8::1'), '2001:0db8:0000:0000:0000:0000:0000:0001');
    assert.equal(expandIpv6('::'), '0000:0000:0000:0000:0000:0000:0000:0000');
    assert.equal(expandIpv6('fe80::1%eth0'), 'fe80:0000:0000:0000:0000:0000:0000:0001');
    assert.equal(expandIpv6('64:ff9b::192.0.2.33'), '0064:ff9b:0000:0000:0000:0000:c000:0221');
  });

  it('counts IPv4 clients by address and IPv6 clients by /64', () => {
    assert.equal(clientKey('192.0.2.1'), '192.0.2.1');
    assert.equal(clientKey('::ffff:192.0.2.1'), '192.0.2.1', 'a dual-stack view of an IPv4 client is the same client');
    assert.equal(clientKey('2001:db8:1:2::1'), clientKey('2001:db8:1:2:ffff:ffff:ffff:fffe'));
    assert.equal(clientKey('2001:DB8:1:2::1'), clientKey('2001:db8:1:2::1'));
    assert.notEqual(clientKey('2001:db8:1:2::1'), clientKey('2001:db8:1:3::1'));
    assert.equal(clientKey('2001:db8:1:2::1'), '2001:0db8:0001:0002::/64');
  });
});
