/** The login throttle every password-taking protocol shares (SMTP AUTH, POP3, IMAP). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientKey, expandIpv6, isLoopback } from '../src/auth/client-address.ts';
import { MemoryFailureStore } from '../src/auth/failure-store.ts';
import { LoginThrottle, loginKey, type ThrottleLimits } from '../src/auth/login-throttle.ts';

const LIMITS: ThrottleLimits = { maxFailuresPerIp: 5, maxFailuresPerLogin: 3, windowMs: 60_000, lockoutMs: 30_000, baseDelayMs: 250, maxDelayMs: 2000 };

function throttle(limits: Partial<ThrottleLimits> = {}) {
  const clock = { now: 1_000_000 };
  return { clock, throttle: new LoginThrottle(new MemoryFailureStore({ now: () => clock.now }), { ...LIMITS, ...limits }) };
}

async function fail(t: LoginThrottle, ip: string, login: string, times: number) {
  let last;
  for (let i = 0; i < times; i++) last = await t.recordFailure(clientKey(ip), loginKey(login));
  return last!;
}

describe('LoginThrottle', () => {
  it('doubles the delay from baseDelayMs per failure and caps it at maxDelayMs', () => {
    const { throttle: t } = throttle();
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 1000].map((n) => t.delayFor(n)), [0, 250, 500, 1000, 2000, 2000, 2000, 2000]);
    assert.equal(throttle({ baseDelayMs: 0 }).throttle.delayFor(5), 0);
  });

  it('delays by the larger of the client and login counts', async () => {
    const { throttle: t } = throttle({ maxFailuresPerLogin: 100, maxFailuresPerIp: 100 });
    await fail(t, '192.0.2.1', 'a@x', 2);
    // New login, same client: the client already has two failures, so this is its third.
    const record = await t.recordFailure(clientKey('192.0.2.1'), loginKey('b@x'));
    assert.equal(record.ipFailures, 3);
    assert.equal(record.loginFailures, 1);
    assert.equal(record.delayMs, 1000);
  });

  it('locks a login out after maxFailuresPerLogin failures, from any client, and not other logins', async () => {
    const { throttle: t } = throttle();
    await t.recordFailure(clientKey('192.0.2.1'), loginKey('alice@x'));
    await t.recordFailure(clientKey('198.51.100.7'), loginKey('Alice@X'));
    assert.equal(await t.lockout(clientKey('203.0.113.9'), loginKey('alice@x')), undefined);
    const third = await t.recordFailure(clientKey('2001:db8::1'), loginKey('alice@x'));
    assert.deepEqual(third.lockedOut, ['login']);
    assert.equal(await t.lockout(clientKey('203.0.113.9'), loginKey('alice@x')), 'login', 'a fresh client is refused for that login');
    assert.equal(await t.lockout(clientKey('192.0.2.1'), loginKey('bob@x')), undefined, 'other logins are not affected');
  });

  it('locks a client out after maxFailuresPerIp failures over any logins, and not other clients', async () => {
    const { throttle: t } = throttle();
    for (let i = 0; i < 4; i++) await t.recordFailure(clientKey('192.0.2.1'), loginKey(`user${i}@x`));
    assert.equal(await t.lockout(clientKey('192.0.2.1'), loginKey('alice@x')), undefined);
    const fifth = await t.recordFailure(clientKey('192.0.2.1'), loginKey('user4@x'));
    assert.deepEqual(fifth.lockedOut, ['ip']);
    assert.equal(await t.lockout(clientKey('192.0.2.1'), loginKey('alice@x')), 'ip', 'every login from that client is refused');
    assert.equal(await t.lockout(clientKey('::ffff:192.0.2.1'), loginKey('alice@x')), 'ip');
    assert.equal(await t.lockout(clientKey('192.0.2.2'), loginKey('alice@x')), undefined, 'other clients are not affected');
  });

  it('counts an IPv6 /64 as one client', async () => {
    const { throttle: t } = throttle();
    for (let i = 1; i <= 5; i++) await t.recordFailure(clientKey(`2001:db8:0:7::${i}`), loginKey(`user${i}@x`));
    assert.equal(await t.lockout(clientKey('2001:db8:0:7:abcd::1'), loginKey('alice@x')), 'ip');
    assert.equal(await t.lockout(clientKey('2001:db8:0:8::1'), loginKey('alice@x')), undefined);
  });

  it('lifts a lockout after lockoutMs', async () => {
    const { clock, throttle: t } = throttle({ windowMs: 10_000 });
    await fail(t, '192.0.2.1', 'alice@x', 3);
    clock.now += 29_999;
    assert.equal(await t.lockout(clientKey('192.0.2.1'), loginKey('alice@x')), 'login');
    clock.now += 1;
    assert.equal(await t.lockout(clientKey('192.0.2.1'), loginKey('alice@x')), undefined);
    // The failure window (10 s) ended too, so counting starts afresh.
    assert.equal((await t.recordFailure(clientKey('192.0.2.1'), loginKey('alice@x'))).loginFailures, 1);
  });

  it('forgets failures older than the window', async () => {
    const { clock, throttle: t } = throttle();
    await fail(t, '192.0.2.1', 'alice@x', 2);
    clock.now += LIMITS.windowMs;
    const record = await t.recordFailure(clientKey('192.0.2.1'), loginKey('alice@x'));
    assert.equal(record.loginFailures, 1);
    assert.deepEqual(record.lockedOut, []);
  });

  it('resets the login and client counters on success', async () => {
    const { throttle: t } = throttle();
    await fail(t, '192.0.2.1', 'alice@x', 2);
    await t.recordSuccess(clientKey('192.0.2.1'), loginKey('alice@x'));
    const record = await t.recordFailure(clientKey('192.0.2.1'), loginKey('alice@x'));
    assert.equal(record.loginFailures, 1);
    assert.equal(record.ipFailures, 1);
    assert.equal(record.delayMs, 250);
  });

  it('keeps the client counter when the client also failed for other logins', async () => {
    const { throttle: t } = throttle();
    await fail(t, '192.0.2.1', 'victim1@x', 1);
    await fail(t, '192.0.2.1', 'victim2@x', 1);
    await fail(t, '192.0.2.1', 'mallory@x', 1);
    await t.recordSuccess(clientKey('192.0.2.1'), loginKey('mallory@x'));
    const record = await t.recordFailure(clientKey('192.0.2.1'), loginKey('victim3@x'));
    assert.equal(record.ipFailures, 4, 'a valid account of its own does not wipe the count of guesses at others');
  });

  it('folds login names to one key: case, Unicode normalisation, length', () => {
    assert.equal(loginKey('Alice@Example.TEST'), 'alice@example.test');
    assert.equal(loginKey('jose\u0301@x'), loginKey('jos\u00e9@x'));
    assert.equal(loginKey('a'.repeat(10_000)).length, 320);
  });
});

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
