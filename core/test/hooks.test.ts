import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { describe, it } from 'node:test';
import { accept, HookSet, isPosthornError, reject, type Session, TapFailure, type Transaction } from '@posthorn/core';
import type { EnvelopeRecipient } from '@posthorn/contracts';

// Hook arguments only need to be passed through; the hooks never look inside them.
const tx = { id: 'tx1' } as unknown as Transaction;
const session = { id: 's1' } as unknown as Session;
const rcpt: EnvelopeRecipient = { address: 'bob@example.org', params: {} };

const generous = () => 10_000;

describe('HookSet decision hooks', () => {
  it('resolves to undefined when nobody taps the hook', async () => {
    const hooks = new HookSet(generous);
    assert.equal(hooks.isUsed('rcpt'), false);
    assert.equal(await hooks.decide('rcpt', tx, rcpt), undefined);
  });

  it('the first verdict wins and later taps do not run', async () => {
    const hooks = new HookSet(generous);
    const ran: string[] = [];
    hooks.tap('rcpt', 'silent', async () => {
      ran.push('silent');
      return undefined;
    });
    hooks.tap('rcpt', 'decider', async () => {
      ran.push('decider');
      return reject(550, '5.7.1', 'no');
    });
    hooks.tap('rcpt', 'late', async () => {
      ran.push('late');
      return accept();
    });
    const outcome = await hooks.decide('rcpt', tx, rcpt);
    assert.deepEqual(ran, ['silent', 'decider']);
    assert.equal(outcome?.by, 'decider');
    assert.equal(outcome?.verdict.action, 'reject');
  });

  it('undefined (and null) mean no opinion: every tap runs and the result is undefined', async () => {
    const hooks = new HookSet(generous);
    const ran: string[] = [];
    hooks.tap('mailFrom', 'one', async () => void ran.push('one'));
    hooks.tap('mailFrom', 'two', async () => {
      ran.push('two');
      return null as never;
    });
    hooks.tap('mailFrom', 'three', async () => void ran.push('three'));
    assert.equal(await hooks.decide('mailFrom', tx), undefined);
    assert.deepEqual(ran, ['one', 'two', 'three']);
  });

  it('passes every argument to the taps', async () => {
    const hooks = new HookSet(generous);
    let seen: unknown[] = [];
    hooks.tap('rcpt', 'spy', async (...args) => {
      seen = args;
      return undefined;
    });
    await hooks.decide('rcpt', tx, rcpt);
    assert.equal(seen[0], tx);
    assert.equal(seen[1], rcpt);
  });

  it('orders taps by stage, then by registration', async () => {
    const hooks = new HookSet(generous);
    const ran: string[] = [];
    const record = (name: string) => async () => void ran.push(name);
    hooks.tap('connect', 'default-a', record('default-a'));
    hooks.tap('connect', 'late', record('late'), { stage: 10 });
    hooks.tap('connect', 'early', record('early'), { stage: -10 });
    hooks.tap('connect', 'default-b', record('default-b'));
    await hooks.decide('connect', session);
    assert.deepEqual(ran, ['early', 'default-a', 'default-b', 'late']);
    assert.deepEqual(
      hooks.tapsOf('connect').map((t) => t.plugin),
      ['early', 'default-a', 'default-b', 'late'],
    );
    assert.deepEqual(
      hooks.tapsOf('connect').map((t) => t.stage),
      [-10, 0, 0, 10],
    );
  });

  it('`before` puts a tap ahead of the named plugins', async () => {
    const hooks = new HookSet(generous);
    const ran: string[] = [];
    const record = (name: string) => async () => void ran.push(name);
    hooks.tap('helo', 'first', record('first'));
    hooks.tap('helo', 'second', record('second'));
    hooks.tap('helo', 'jumper', record('jumper'), { before: 'second' });
    hooks.tap('helo', 'front', record('front'), { before: ['first', 'second'] });
    await hooks.decide('helo', session, { name: 'x', extended: true });
    assert.deepEqual(ran, ['front', 'first', 'jumper', 'second']);
  });

  it('the verdict is attributed to the plugin that gave it, not the last one registered', async () => {
    const hooks = new HookSet(generous);
    hooks.tap('data', 'checker', async () => reject(554, '5.7.1', 'spam'));
    hooks.tap('data', 'other', async () => accept());
    const outcome = await hooks.decide('data', tx, {} as never);
    assert.equal(outcome?.by, 'checker');
    const swapped = new HookSet(generous);
    swapped.tap('data', 'other', async () => accept());
    swapped.tap('data', 'checker', async () => reject(554, '5.7.1', 'spam'));
    assert.equal((await swapped.decide('data', tx, {} as never))?.by, 'other');
  });

  it('a throwing tap becomes a TapFailure naming the plugin, kind error', async () => {
    const hooks = new HookSet(generous);
    const cause = new Error('boom');
    hooks.tap('rcpt', 'fine', async () => undefined);
    hooks.tap('rcpt', 'broken', async () => {
      throw cause;
    });
    const err = await hooks.decide('rcpt', tx, rcpt).then(
      () => assert.fail('should reject'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof TapFailure);
    assert.equal(err.plugin, 'broken');
    assert.equal(err.hook, 'rcpt');
    assert.equal(err.kind, 'error');
    assert.equal(err.code, 'PH_PLUGIN_HOOK');
    assert.equal(err.cause, cause);
    assert.match(err.message, /broken/);
    assert.ok(isPosthornError(err, 'PH_PLUGIN_HOOK'));
  });

  it('a tap that throws synchronously is caught the same way', async () => {
    const hooks = new HookSet(generous);
    hooks.tap('rcpt', 'sync-thrower', (() => {
      throw new Error('sync');
    }) as never);
    await assert.rejects(hooks.decide('rcpt', tx, rcpt), (err: unknown) => err instanceof TapFailure && err.plugin === 'sync-thrower' && err.kind === 'error');
  });

  it('a tap over its budget becomes a TapFailure of kind timeout, without waiting for the tap', async () => {
    const budget = 150;
    const hooks = new HookSet((plugin) => (plugin === 'slow' ? budget : 10_000));
    let tapSettled = false;
    hooks.tap('mailFrom', 'slow', () => {
      // Would answer after a minute; the budget must end the hook long before that.
      return new Promise((done) => setTimeout(() => {
        tapSettled = true;
        done(accept());
      }, 60_000).unref());
    });
    const started = performance.now();
    const err = await hooks.decide('mailFrom', tx).then(
      () => assert.fail('should reject'),
      (e: unknown) => e,
    );
    const elapsed = performance.now() - started;
    assert.ok(err instanceof TapFailure);
    assert.equal(err.kind, 'timeout');
    assert.equal(err.plugin, 'slow');
    assert.equal(err.code, 'PH_PLUGIN_TIMEOUT');
    assert.match(err.message, /150 ms/);
    assert.equal(tapSettled, false, 'the hook ended before the tap answered');
    // Timers never fire early, so this lower bound cannot flake; it shows the budget was used.
    assert.ok(elapsed >= budget - 2, `ended after ${elapsed} ms`);
  });

  it('the budget is asked per plugin and per hook', async () => {
    const asked: string[] = [];
    const hooks = new HookSet((plugin, hook) => {
      asked.push(`${plugin}:${hook}`);
      return 10_000;
    });
    hooks.tap('rcpt', 'a', async () => undefined);
    hooks.tap('rcpt', 'b', async () => undefined);
    await hooks.decide('rcpt', tx, rcpt);
    assert.deepEqual(asked, ['a:rcpt', 'b:rcpt']);
  });

  it('a tap inside its budget answers normally and leaves no timer behind', async () => {
    const hooks = new HookSet(() => 5_000);
    hooks.tap('rcpt', 'quick', async () => accept());
    const outcome = await hooks.decide('rcpt', tx, rcpt);
    assert.equal(outcome?.verdict.action, 'accept');
    // A leaked 5 s timer would keep this test process alive; node:test would report it late.
  });

  it('refuses taps that are not functions and unknown hooks', () => {
    const hooks = new HookSet(generous);
    assert.throws(() => hooks.tap('rcpt', 'x', 'nope' as never), TypeError);
    assert.throws(() => hooks.tap('nosuch' as never, 'x', async () => undefined), RangeError);
  });
});

describe('HookSet notification hooks', () => {
  it('run every tap, in order, even when some throw or overrun', async () => {
    const hooks = new HookSet((plugin) => (plugin === 'hangs' ? 100 : 10_000));
    const ran: string[] = [];
    hooks.tap('disconnect', 'first', async () => void ran.push('first'));
    hooks.tap('disconnect', 'throws', async () => {
      ran.push('throws');
      throw new Error('nope');
    });
    hooks.tap('disconnect', 'hangs', () => {
      ran.push('hangs');
      return new Promise(() => undefined);
    });
    hooks.tap('disconnect', 'last', async () => void ran.push('last'));
    const failures: TapFailure[] = [];
    await hooks.notify('disconnect', (failure) => failures.push(failure), session);
    assert.deepEqual(ran, ['first', 'throws', 'hangs', 'last']);
    assert.deepEqual(
      failures.map((f) => [f.plugin, f.kind]),
      [
        ['throws', 'error'],
        ['hangs', 'timeout'],
      ],
    );
  });

  it('ignore what taps return', async () => {
    const hooks = new HookSet(generous);
    const ran: string[] = [];
    hooks.tap('bounce', 'a', (async () => {
      ran.push('a');
      return reject(550, '5.0.0', 'ignored');
    }) as never);
    hooks.tap('bounce', 'b', async () => void ran.push('b'));
    await hooks.notify('bounce', () => assert.fail('no failure expected'), {} as never);
    assert.deepEqual(ran, ['a', 'b']);
  });
});
