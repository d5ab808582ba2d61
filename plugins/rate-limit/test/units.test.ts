import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryState, parseNetworks } from '@posthorn/core';
import { countEvent, senderDomain } from '../src/index.ts';

describe('senderDomain', () => {
  it('lower-cases, drops a trailing dot and uses A-labels', () => {
    assert.equal(senderDomain('a@Example.ORG'), 'example.org');
    assert.equal(senderDomain('a@example.org.'), 'example.org');
    assert.equal(senderDomain('a@bücher.example'), 'xn--bcher-kva.example');
    assert.equal(senderDomain('"a@b"@example.org'), 'example.org');
  });
});

describe('parseNetworks', () => {
  it('matches CIDR blocks and refuses what is not one, naming it', () => {
    const list = parseNetworks(['192.0.2.0/24', '2001:db8::/32']);
    assert.equal(list.contains('192.0.2.200'), true);
    assert.equal(list.contains('::ffff:192.0.2.1'), true);
    assert.equal(list.contains('2001:db8:9::1'), true);
    assert.equal(list.contains('198.51.100.1'), false);
    assert.throws(() => parseNetworks(['10.0.0.0/33']), /"10\.0\.0\.0\/33"/);
  });
});

describe('countEvent', () => {
  it('counts in fixed windows and says when the limit is passed', async () => {
    let now = 0;
    const store = new MemoryState({ sweepIntervalMs: 0, now: () => now });
    const limit = { limit: 2, window: 10 };
    assert.deepEqual(await countEvent(store, 'messages', '192.0.2.7/32', limit), { count: 1, over: false });
    now += 5_000;
    assert.deepEqual(await countEvent(store, 'messages', '192.0.2.7/32', limit), { count: 2, over: false });
    assert.deepEqual(await countEvent(store, 'messages', '192.0.2.7/32', limit), { count: 3, over: true });
    assert.deepEqual(await countEvent(store, 'messages', '198.51.100.1/32', limit), { count: 1, over: false }, 'another subject');
    assert.deepEqual(await countEvent(store, 'connections', '192.0.2.7/32', limit), { count: 1, over: false }, 'another kind');
    now += 5_000;
    assert.deepEqual(await countEvent(store, 'messages', '192.0.2.7/32', limit), { count: 1, over: false }, 'the window started at the first event');
  });

  it('keeps separate counters for different window lengths', async () => {
    const store = new MemoryState({ sweepIntervalMs: 0 });
    await countEvent(store, 'messages', 's', { limit: 1, window: 10 });
    assert.deepEqual(await countEvent(store, 'messages', 's', { limit: 1, window: 20 }), { count: 1, over: false });
  });
});
