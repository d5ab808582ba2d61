import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { SharedState } from '@posthorn/contracts';
import { App, MemoryState, parseConfig, silentLogger } from '@posthorn/core';
import { tempDir } from '@posthorn/testkit';
import { handed } from './fixtures/state-consumer.ts';
import { provided } from './fixtures/state-provider.ts';

/** A clock the test moves by hand. */
function fakeClock(start = 1_000_000): { now: () => number; advance(ms: number): void } {
  let time = start;
  return { now: () => time, advance: (ms) => void (time += ms) };
}

describe('MemoryState: records', () => {
  it('stores, reads and deletes JSON values, handing out copies', async () => {
    const store = new MemoryState({ sweepIntervalMs: 0 });
    const value = { first: 1, list: ['a'] };
    await store.set('test:a', value, 60_000);
    value.list.push('changed by the caller');
    const read = (await store.get('test:a')) as { list: string[] };
    assert.deepEqual(read, { first: 1, list: ['a'] });
    read.list.push('changed by the reader');
    assert.deepEqual(await store.get('test:a'), { first: 1, list: ['a'] });
    assert.equal(await store.get('test:missing'), undefined);
    assert.equal(await store.delete('test:a'), true);
    assert.equal(await store.delete('test:a'), false);
    assert.equal(await store.get('test:a'), undefined);
  });

  it('expires a record at its TTL, and set() starts a new TTL', async () => {
    const clock = fakeClock();
    const store = new MemoryState({ sweepIntervalMs: 0, now: clock.now });
    await store.set('test:a', 'x', 1000);
    clock.advance(999);
    assert.equal(await store.get('test:a'), 'x');
    await store.set('test:a', 'y', 1000);
    clock.advance(999);
    assert.equal(await store.get('test:a'), 'y', 'the second set counts from its own time');
    clock.advance(1);
    assert.equal(await store.get('test:a'), undefined);
    assert.equal(await store.delete('test:a'), false, 'an expired record is not there to delete');
  });

  it('refuses lifetimes that are not positive and finite, and empty keys', async () => {
    const store = new MemoryState({ sweepIntervalMs: 0 });
    for (const ttl of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) await assert.rejects(store.set('test:a', 1, ttl), RangeError, String(ttl));
    for (const window of [0, -5, Number.POSITIVE_INFINITY]) await assert.rejects(store.increment('test:c', 1, window), RangeError, String(window));
    await assert.rejects(store.set('', 1, 1000), TypeError);
    assert.equal(store.size, 0);
  });
});

describe('MemoryState: counters (fixed window)', () => {
  it('counts within a window that later increments do not extend, then starts over', async () => {
    const clock = fakeClock();
    const store = new MemoryState({ sweepIntervalMs: 0, now: clock.now });
    assert.equal(await store.increment('test:c', 1, 1000), 1);
    clock.advance(500);
    assert.equal(await store.increment('test:c', 2, 1000), 3);
    clock.advance(499);
    assert.equal(await store.increment('test:c', 1, 1000), 4);
    assert.equal(await store.get('test:c'), 4, 'get reads a counter as its count');
    clock.advance(1);
    assert.equal(await store.get('test:c'), undefined, 'the window ended 1000 ms after the first increment');
    assert.equal(await store.increment('test:c', 1, 1000), 1, 'a new window');
  });

  it('refuses increments that are not positive integers', async () => {
    const store = new MemoryState({ sweepIntervalMs: 0 });
    for (const by of [0, -1, 1.5, Number.NaN]) await assert.rejects(store.increment('test:c', by, 1000), RangeError, String(by));
  });

  it('a record and a counter replace each other at the same key', async () => {
    const store = new MemoryState({ sweepIntervalMs: 0 });
    await store.set('test:k', { a: 1 }, 1000);
    assert.equal(await store.increment('test:k', 1, 1000), 1);
    await store.set('test:k', 'record', 1000);
    assert.equal(await store.get('test:k'), 'record');
  });

  it('never loses a count between concurrent increments', async () => {
    const store = new MemoryState({ sweepIntervalMs: 0 });
    const counts = await Promise.all(Array.from({ length: 50 }, () => store.increment('test:c', 1, 60_000)));
    assert.deepEqual(
      counts.sort((a, b) => a - b),
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
  });
});

describe('MemoryState: bounds and sweeping', () => {
  it('drops the least recently written entry past maxEntries, and says so for live ones', async () => {
    const evicted: string[] = [];
    const clock = fakeClock();
    const store = new MemoryState({ sweepIntervalMs: 0, maxEntries: 3, now: clock.now, onEvict: (key) => evicted.push(key) });
    await store.set('test:expiring', 1, 10);
    await store.set('test:b', 2, 60_000);
    await store.increment('test:c', 1, 60_000);
    clock.advance(10);
    await store.set('test:d', 4, 60_000);
    assert.equal(store.size, 3);
    assert.deepEqual(evicted, [], 'an expired entry goes without a warning');
    // Rewriting b makes c the least recently written; counting on c does not move it.
    await store.set('test:b', 22, 60_000);
    await store.increment('test:c', 1, 60_000);
    await store.set('test:e', 5, 60_000);
    assert.deepEqual(evicted, ['test:c']);
    assert.equal(await store.get('test:c'), undefined);
    assert.equal(await store.get('test:b'), 22);
    assert.equal(await store.get('test:d'), 4);
    assert.equal(await store.get('test:e'), 5);
    assert.equal(store.size, 3);
  });

  it('refuses a bound that is not a positive integer', () => {
    for (const maxEntries of [0, -1, 2.5]) assert.throws(() => new MemoryState({ maxEntries, sweepIntervalMs: 0 }), RangeError);
  });

  it('sweep() removes expired entries without anyone reading them', async () => {
    const clock = fakeClock();
    const store = new MemoryState({ sweepIntervalMs: 0, now: clock.now });
    await store.set('test:short', 1, 100);
    await store.increment('test:counter', 1, 100);
    await store.set('test:long', 1, 10_000);
    clock.advance(100);
    assert.equal(store.size, 3, 'nothing removed before the sweep');
    assert.equal(store.sweep(), 2);
    assert.equal(store.size, 1);
  });

  it('sweeps on its own timer', async () => {
    const clock = fakeClock();
    const store = new MemoryState({ sweepIntervalMs: 5, now: clock.now });
    try {
      await store.set('test:a', 1, 100);
      clock.advance(100);
      const deadline = Date.now() + 5000;
      while (store.size > 0) {
        assert.ok(Date.now() < deadline, 'the timer never swept the expired entry');
        await new Promise((wake) => setTimeout(wake, 5));
      }
    } finally {
      store.close();
    }
  });
});

describe('SharedState service: provided by the core unless a plugin provides it', () => {
  const consumer = fileURLToPath(new URL('./fixtures/state-consumer.ts', import.meta.url));
  const provider = fileURLToPath(new URL('./fixtures/state-provider.ts', import.meta.url));

  /** Sets up an app with these plugins, runs `check` on it, and cleans up. */
  async function withApp(plugins: string[], check: (app: App) => void): Promise<void> {
    const dir = await tempDir();
    const config = parseConfig({ hostname: 'mx.test', dataDir: dir.path, control: { enabled: false }, listeners: [], plugins }, undefined, dir.path);
    const app = await App.create(config, { logger: silentLogger() });
    try {
      check(app);
    } finally {
      await app.stop();
      await dir.remove();
    }
  }

  it('hands a plugin that needs it the core\'s embedded store when nobody else provides one', async () => {
    await withApp([consumer], (app) => {
      const store = handed.at(-1);
      assert.ok(store instanceof MemoryState);
      assert.equal(app.services.get(SharedState), store);
      assert.deepEqual(
        app.describe().services.find((s) => s.id === SharedState.id),
        { id: SharedState.id, description: SharedState.description, provider: 'core' },
      );
    });
  });

  it('a plugin that provides it replaces the core\'s store, and is set up before its users', async () => {
    await withApp([consumer, provider], (app) => {
      assert.equal(handed.at(-1), provided.at(-1));
      assert.equal(app.services.providerOf(SharedState), 'test-state-provider');
      assert.deepEqual(
        app.plugins.map((p) => p.plugin.name),
        ['test-state-provider', 'test-state-consumer'],
      );
    });
  });
});
