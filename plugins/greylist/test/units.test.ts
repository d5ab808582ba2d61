import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { MemoryState, parseDocumentText, RuleSetError, validateWithSchema } from '@posthorn/core';
import { allowListSchema, compileAllowList, Greylister, isPostmaster, tripletKey } from '../src/index.ts';

describe('allow list', () => {
  it('compiles networks, senders and recipients', () => {
    const list = compileAllowList({ networks: ['192.0.2.0/24', '2001:db8::/32'], senders: ['@example.org'], recipients: ['abuse@'] });
    assert.equal(list.networks.contains('192.0.2.9'), true);
    assert.equal(list.networks.contains('::ffff:192.0.2.9'), true);
    assert.equal(list.networks.contains('2001:db8:5::1'), true);
    assert.equal(list.networks.contains('198.51.100.1'), false);
    assert.equal(list.senders.matches('a@example.org'), true);
    assert.equal(list.recipients.matches('abuse@example.net'), true);
  });

  it('refuses bad entries with a JSON pointer for each', () => {
    assert.throws(
      () => compileAllowList({ networks: ['192.0.2.0/33', '10.0.0.0/8'], senders: ['example.org'], recipients: ['@'] }, '/allow'),
      (err: unknown) => {
        assert.ok(err instanceof RuleSetError);
        assert.deepEqual(
          err.issues.map((i) => i.pointer),
          ['/allow/networks/0', '/allow/senders/0', '/allow/recipients/0'],
        );
        return true;
      },
    );
  });
});

describe('isPostmaster', () => {
  it('is the postmaster local part at any domain, in any case, and the bare <postmaster>', () => {
    for (const address of ['postmaster@example.org', 'PostMaster@example.org', 'postmaster']) assert.equal(isPostmaster(address), true, address);
    for (const address of ['postmasters@example.org', 'abuse@example.org', 'x@postmaster.example']) assert.equal(isPostmaster(address), false, address);
  });
});

describe('Greylister', () => {
  const MINUTE = 60_000;
  const times = { delayMs: 5 * MINUTE, retryWindowMs: 24 * 60 * MINUTE, passTtlMs: 36 * 24 * 60 * MINUTE, autoAllowAfter: 3 };

  function setup(overrides: Partial<typeof times> = {}) {
    let now = 1_700_000_000_000;
    const clock = () => now;
    const store = new MemoryState({ sweepIntervalMs: 0, now: clock });
    return { store, greylister: new Greylister(store, { ...times, ...overrides }, clock), advance: (ms: number) => void (now += ms) };
  }
  const triplet = (recipient = 'bob@example.org', network = '192.0.2.0/24') => ({ network, sender: 'alice@example.net', recipient });

  it('defers a new triplet, defers an early retry without restarting the clock, passes a later one', async () => {
    const { greylister, advance } = setup();
    assert.deepEqual(await greylister.check(triplet()), { verdict: 'defer', why: 'new', waitMs: 5 * MINUTE });
    advance(4 * MINUTE);
    assert.deepEqual(await greylister.check(triplet()), { verdict: 'defer', why: 'early', waitMs: MINUTE });
    advance(MINUTE - 1);
    assert.equal((await greylister.check(triplet())).verdict, 'defer');
    advance(1);
    assert.deepEqual(await greylister.check(triplet()), { verdict: 'pass', why: 'retried', waitedMs: 5 * MINUTE, autoAllowed: false });
    assert.deepEqual(await greylister.check(triplet()), { verdict: 'pass', why: 'known' });
  });

  it('keys on all three parts of the triplet', async () => {
    const { greylister, advance } = setup();
    await greylister.check(triplet());
    advance(5 * MINUTE);
    assert.equal((await greylister.check(triplet())).verdict, 'pass');
    assert.equal((await greylister.check(triplet('carol@example.org'))).verdict, 'defer', 'another recipient');
    assert.equal((await greylister.check(triplet('bob@example.org', '198.51.100.0/24'))).verdict, 'defer', 'another network');
    assert.equal((await greylister.check({ ...triplet(), sender: '' })).verdict, 'defer', 'the null sender');
    assert.notEqual(tripletKey({ network: 'n', sender: 'a|b', recipient: 'c' }), tripletKey({ network: 'n', sender: 'a', recipient: 'b|c' }));
  });

  it('forgets a first attempt that is not retried within the retry window', async () => {
    const { greylister, advance } = setup();
    await greylister.check(triplet());
    advance(24 * 60 * MINUTE);
    assert.deepEqual(await greylister.check(triplet()), { verdict: 'defer', why: 'new', waitMs: 5 * MINUTE });
  });

  it('remembers a passed triplet for passTtl after its last use', async () => {
    const { greylister, advance } = setup({ passTtlMs: 10 * MINUTE });
    await greylister.check(triplet());
    advance(5 * MINUTE);
    await greylister.check(triplet());
    advance(9 * MINUTE);
    assert.deepEqual(await greylister.check(triplet()), { verdict: 'pass', why: 'known' });
    advance(9 * MINUTE);
    assert.deepEqual(await greylister.check(triplet()), { verdict: 'pass', why: 'known' }, 'the last use renewed it');
    advance(10 * MINUTE);
    assert.equal((await greylister.check(triplet())).verdict, 'defer', 'unused for passTtl: forgotten');
  });

  it('auto-allows a network after autoAllowAfter passed triplets, for passTtl', async () => {
    const { greylister, advance } = setup({ passTtlMs: 60 * MINUTE });
    const network = '192.0.2.0/24';
    const outcomes = [];
    for (const recipient of ['a@example.org', 'b@example.org', 'c@example.org']) {
      assert.equal(await greylister.isAutoAllowed(network), false);
      await greylister.check(triplet(recipient));
      advance(5 * MINUTE);
      outcomes.push(await greylister.check(triplet(recipient)));
      // Seeing a passed triplet again is not another pass.
      await greylister.check(triplet(recipient));
    }
    assert.deepEqual(
      outcomes.map((o) => o.verdict === 'pass' && o.why === 'retried' && o.autoAllowed),
      [false, false, true],
    );
    assert.equal(await greylister.isAutoAllowed(network), true);
    assert.equal(await greylister.isAutoAllowed('198.51.100.0/24'), false);
    advance(59 * MINUTE);
    await greylister.refreshAutoAllow(network);
    advance(59 * MINUTE);
    assert.equal(await greylister.isAutoAllowed(network), true, 'refreshed while in use');
    advance(MINUTE);
    assert.equal(await greylister.isAutoAllowed(network), false);
  });

  it('never auto-allows with autoAllowAfter 0', async () => {
    const { greylister, advance } = setup({ autoAllowAfter: 0 });
    for (const recipient of ['a@example.org', 'b@example.org', 'c@example.org', 'd@example.org']) {
      await greylister.check(triplet(recipient));
      advance(5 * MINUTE);
      await greylister.check(triplet(recipient));
    }
    assert.equal(await greylister.isAutoAllowed('192.0.2.0/24'), false);
  });

  it('treats a record it does not understand as new', async () => {
    const { greylister, store } = setup();
    await store.set(tripletKey(triplet()), { state: 'passed' }, 60_000);
    assert.deepEqual(await greylister.check(triplet()), { verdict: 'defer', why: 'new', waitMs: 5 * MINUTE });
  });

  it('refuses a retry window that is not longer than the delay', () => {
    const store = new MemoryState({ sweepIntervalMs: 0 });
    assert.throws(() => new Greylister(store, { ...times, retryWindowMs: times.delayMs }), RangeError);
  });
});

describe('the shipped example', () => {
  it('config/examples/rules/greylist-allow.yaml is a valid allow list', async () => {
    const parsed = parseDocumentText(await readFile(new URL('../../../config/examples/rules/greylist-allow.yaml', import.meta.url), 'utf8'));
    assert.ok(parsed.ok);
    const checked = validateWithSchema<{ networks: string[]; senders: string[]; recipients: string[] }>(allowListSchema, parsed.document.data);
    assert.ok(checked.ok);
    const list = compileAllowList(checked.value);
    assert.equal(list.networks.contains('2001:db8:200::1'), true);
    assert.equal(list.senders.matches('x@online.bank.example'), true);
    assert.equal(list.recipients.matches('abuse@example.org'), true);
  });
});
