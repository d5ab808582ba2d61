import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryFailureStore } from '../src/failure-store.ts';

describe('MemoryFailureStore', () => {
  it('counts, forgets on reset, and answers 0 for unknown keys', async () => {
    const store = new MemoryFailureStore();
    assert.equal(await store.get('k'), 0);
    assert.equal(await store.increment('k', 1000), 1);
    assert.equal(await store.increment('k', 1000), 2);
    assert.equal(await store.get('k'), 2);
    assert.equal(await store.get('other'), 0);
    await store.reset('k');
    assert.equal(await store.get('k'), 0);
  });

  it('expires a window ttl after its first increment; later increments do not extend it', async () => {
    let now = 1_000_000;
    const store = new MemoryFailureStore({ now: () => now });
    await store.increment('k', 1000);
    now += 900;
    assert.equal(await store.increment('k', 1000), 2);
    now += 99;
    assert.equal(await store.get('k'), 2);
    now += 1;
    assert.equal(await store.get('k'), 0);
    assert.equal(await store.increment('k', 1000), 1, 'a new window starts after expiry');
  });

  it('stays within maxEntries, dropping expired entries first and then the oldest', async () => {
    let now = 0;
    const store = new MemoryFailureStore({ now: () => now, maxEntries: 3 });
    await store.increment('old-short', 10);
    await store.increment('a', 10_000);
    await store.increment('b', 10_000);
    now = 100; // old-short has expired
    await store.increment('c', 10_000);
    assert.equal(store.size, 3);
    assert.equal(await store.get('a'), 1, 'a live entry survives while expired ones can go');
    await store.increment('d', 10_000);
    assert.equal(store.size, 3);
    assert.equal(await store.get('a'), 0, 'the oldest window went when nothing had expired');
    assert.equal(await store.get('d'), 1);
  });
});
