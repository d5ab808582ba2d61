import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Account, AccountDirectory } from '@posthorn/contracts';
import { type AuthRequest, type AuthVerdict, LoginThrottle, MemoryFailureStore, type Session } from '@posthorn/core';
import { captureLogs } from '@posthorn/testkit';
import { passwordLogin } from '../src/password-login.ts';

const SECRET = 'hunter2-very-secret';
const ALICE: Account = { id: 'alice@example.test', addresses: ['alice@example.test'] };

/** An account directory with one user, alice, whose password is SECRET. */
const accounts = {
  supportsSharedSecrets: false,
  async authenticate(login: string, password: string) {
    return login.toLowerCase() === ALICE.id && password === SECRET ? ALICE : null;
  },
} as unknown as AccountDirectory;

function setup(limits: { maxFailuresPerIp?: number; maxFailuresPerLogin?: number } = {}) {
  const logs = captureLogs();
  const sleeps: number[] = [];
  const throttle = new LoginThrottle(new MemoryFailureStore(), {
    maxFailuresPerIp: limits.maxFailuresPerIp ?? 100,
    maxFailuresPerLogin: limits.maxFailuresPerLogin ?? 100,
    windowMs: 60_000,
    lockoutMs: 60_000,
    baseDelayMs: 250,
    maxDelayMs: 4000,
  });
  const tap = passwordLogin({ accounts, throttle, sleep: async (ms) => void sleeps.push(ms) });
  const session = (remoteAddress: string, tls = true) =>
    ({ id: 's1', remoteAddress, tls, log: logs.logger, listener: { name: 'submission', role: 'submission' } }) as unknown as Session;
  const request = (login: string, password: string, method = 'PLAIN'): AuthRequest => ({ method, login, password, validatePassword: undefined });
  return { logs, sleeps, tap, session, request };
}

function code(verdict: AuthVerdict): string {
  return verdict.action === 'accept' ? 'accept' : `${verdict.reply.code} ${verdict.reply.enhanced} ${verdict.reply.lines.join(' ')}`;
}

describe('auth tap (passwordLogin)', () => {
  it('accepts the right password with the account id, the login as typed and the method', async () => {
    const { tap, session, request } = setup();
    const verdict = await tap(session('192.0.2.1'), request('Alice@example.test', SECRET, 'LOGIN'));
    assert.deepEqual(verdict, { action: 'accept', user: { id: 'alice@example.test', login: 'Alice@example.test', method: 'LOGIN' } });
  });

  it('refuses a password without TLS from a non-loopback client with 538 5.7.11, before checking it', async () => {
    const { tap, session, request, sleeps } = setup();
    const verdict = await tap(session('192.0.2.1', false), request('alice@example.test', SECRET));
    assert.equal(code(verdict), '538 5.7.11 Encryption required for requested authentication mechanism');
    assert.deepEqual(sleeps, []);
    for (const ip of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      assert.equal(code(await tap(session(ip, false), request('alice@example.test', SECRET))), 'accept', `loopback ${ip} may (listener allowInsecureAuth)`);
    }
  });

  it('answers a wrong password and an unknown login with the same reply after the same growing delay', async () => {
    const a = setup();
    const wrong = [];
    for (let i = 0; i < 3; i++) wrong.push(code(await a.tap(a.session('192.0.2.1'), a.request('alice@example.test', 'nope'))));
    const b = setup();
    const unknown = [];
    for (let i = 0; i < 3; i++) unknown.push(code(await b.tap(b.session('192.0.2.1'), b.request('nobody@example.test', 'nope'))));
    assert.deepEqual(wrong, Array(3).fill('535 5.7.8 Authentication credentials invalid'));
    assert.deepEqual(unknown, wrong);
    assert.deepEqual(a.sleeps, [250, 500, 1000]);
    assert.deepEqual(b.sleeps, a.sleeps);
  });

  it('locks out a login after maxFailuresPerLogin: even the right password gets 454 4.7.0, other logins and clients do not', async () => {
    const { tap, session, request } = setup({ maxFailuresPerLogin: 3 });
    for (let i = 0; i < 3; i++) assert.equal(code(await tap(session(`192.0.2.${i + 1}`), request('alice@example.test', 'guess'))), '535 5.7.8 Authentication credentials invalid');
    assert.equal(code(await tap(session('203.0.113.50'), request('alice@example.test', SECRET))), '454 4.7.0 Too many failed authentication attempts, try again later');
    assert.equal(code(await tap(session('203.0.113.50'), request('bob@example.test', 'x'))), '535 5.7.8 Authentication credentials invalid', 'bob is judged normally');
  });

  it('locks out an unknown login just like a real one', async () => {
    const { tap, session, request } = setup({ maxFailuresPerLogin: 2 });
    await tap(session('192.0.2.1'), request('ghost@example.test', 'a'));
    await tap(session('192.0.2.1'), request('ghost@example.test', 'b'));
    assert.equal(code(await tap(session('192.0.2.1'), request('ghost@example.test', 'c'))), '454 4.7.0 Too many failed authentication attempts, try again later');
  });

  it('locks out a client after maxFailuresPerIp: the right password from it is refused, from elsewhere it is not', async () => {
    const { tap, session, request } = setup({ maxFailuresPerIp: 3 });
    for (const login of ['a@example.test', 'b@example.test', 'c@example.test']) await tap(session('2001:db8:1:1::1'), request(login, 'x'));
    assert.equal(code(await tap(session('2001:db8:1:1::99'), request('alice@example.test', SECRET))), '454 4.7.0 Too many failed authentication attempts, try again later', 'same /64');
    assert.equal(code(await tap(session('2001:db8:1:2::1'), request('alice@example.test', SECRET))), 'accept', 'another /64');
  });

  it('a success resets the counters: failures before it do not add up to a lockout', async () => {
    const { tap, session, request } = setup({ maxFailuresPerLogin: 3, maxFailuresPerIp: 3 });
    for (let round = 0; round < 3; round++) {
      await tap(session('192.0.2.1'), request('alice@example.test', 'typo'));
      await tap(session('192.0.2.1'), request('alice@example.test', 'typo'));
      assert.equal(code(await tap(session('192.0.2.1'), request('alice@example.test', SECRET))), 'accept', `round ${round}`);
    }
  });

  it('logs every failure with address and login, never the password', async () => {
    const { tap, session, request, logs } = setup({ maxFailuresPerLogin: 2 });
    await tap(session('192.0.2.1'), request('alice@example.test', SECRET.toUpperCase()));
    await tap(session('192.0.2.1'), request('nobody@example.test', SECRET));
    await tap(session('192.0.2.1'), request('nobody@example.test', SECRET));
    await tap(session('192.0.2.1'), request('nobody@example.test', SECRET));
    const failures = logs.find('auth failed');
    assert.equal(failures.length, 3);
    assert.deepEqual(failures.map((line) => [line.ip, line.login]), [
      ['192.0.2.1', 'alice@example.test'],
      ['192.0.2.1', 'nobody@example.test'],
      ['192.0.2.1', 'nobody@example.test'],
    ]);
    assert.equal(logs.find('auth lockout started').length, 1);
    assert.equal(logs.find('auth refused: locked out').length, 1);
    const text = JSON.stringify(logs.lines);
    assert.equal(text.includes(SECRET), false);
    assert.equal(text.includes(SECRET.toUpperCase()), false);
  });

  it('refuses mechanisms without a password (CRAM-MD5) with 504 5.5.4', async () => {
    const { tap, session } = setup();
    const verdict = await tap(session('192.0.2.1'), { method: 'CRAM-MD5', login: 'alice@example.test', password: undefined, validatePassword: () => true });
    assert.equal(code(verdict), '504 5.5.4 Unrecognized authentication type');
  });
});
