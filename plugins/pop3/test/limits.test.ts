/**
 * Bad input and abuse: each gets -ERR (or a closed connection), never a crash, and the server
 * keeps serving everyone else. Nothing a misbehaving session did is deleted.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { captureLogs } from '@posthorn/testkit';
import { Pop3Client } from './client.ts';
import { ALICE, BOB, INBOX, loginWhenFree, message, PASSWORD, startPop3Server, type Pop3TestServer } from './helpers.ts';

/** Someone else can still log in, read and quit: the server is fine. */
async function stillServes(s: Pop3TestServer, user = BOB): Promise<void> {
  const { client } = await Pop3Client.connect(s.port);
  assert.match(await client.login(user, PASSWORD), /^\+OK Maildrop has /);
  assert.match(await client.command('STAT'), /^\+OK \d+ \d+$/);
  assert.match(await client.quit(), /^\+OK /);
}

describe('POP3 limits and bad input', () => {
  let s: Pop3TestServer;
  const logs = captureLogs('debug');

  before(async () => {
    s = await startPop3Server({
      users: [ALICE, BOB, 'carol@example.test', 'dave@example.test'],
      logger: logs.logger,
      pop3: { maxLineLength: 300, maxUnauthenticatedCommands: 20, maxCommands: 200, maxErrors: 5, maxFailuresPerLogin: 3, maxFailuresPerIp: 1000 },
    });
    await s.deliver(ALICE, message('keep me'));
    await s.deliver(BOB, message('for bob'));
  });
  after(() => s.stop());

  it('answers an over-long line with -ERR, ignores its content, and goes on', async () => {
    const { client } = await Pop3Client.connect(s.port);
    assert.equal(await client.command(`USER ${'a'.repeat(5000)}`), '-ERR Line too long');
    // The long line's tail must not be taken for a command.
    assert.equal(await client.command(`${'x'.repeat(400)}QUIT`), '-ERR Line too long');
    assert.equal(await client.command(`USER ${'a'.repeat(290)}`), '+OK Send your password', 'a line within the limit is fine');
    assert.match(await client.login(ALICE, PASSWORD), /^\+OK /);
    assert.match(await client.quit(), /^\+OK /);
    await stillServes(s);
  });

  it('keeps nothing of an endless line: memory stays flat while it streams in', async () => {
    const { client } = await Pop3Client.connect(s.port);
    for (let i = 0; i < 64; i++) client.write('y'.repeat(16 * 1024));
    assert.equal(await client.command('z'), '-ERR Line too long');
    assert.equal(await client.command('NOOP'), '-ERR Command not valid in this state', 'the session is still in sync');
    await client.drop();
    await stillServes(s);
  });

  it('refuses NUL bytes and other control characters, also hidden in a login or password', async () => {
    const { client } = await Pop3Client.connect(s.port);
    assert.equal(await client.command(Buffer.from('US\0ER alice')), '-ERR Invalid characters in command');
    assert.equal(await client.command(`USER ${ALICE}\0bob@example.test`), '-ERR Invalid characters in command');
    assert.equal(await client.command(`USER ${ALICE}`), '+OK Send your password');
    assert.equal(await client.command(`PASS ${PASSWORD}\0`), '-ERR Invalid characters in command');
    assert.equal(await client.command('\x1b[31mSTAT'), '-ERR Invalid characters in command');
    await client.drop();
    await stillServes(s);
  });

  it('survives random binary garbage', async () => {
    const { client } = await Pop3Client.connect(s.port);
    client.write(randomBytes(4096));
    client.write('\r\n');
    const rest = await client.rest();
    assert.match(rest, /^-ERR /m);
    assert.doesNotMatch(rest, /^\+OK/m);
    await stillServes(s);
  });

  it('closes a connection after too many errors (maxErrors)', async () => {
    const { client } = await Pop3Client.connect(s.port);
    client.write('BAD1\r\nBAD2\r\nBAD3\r\nBAD4\r\nBAD5\r\nBAD6\r\nBAD7\r\n');
    const rest = await client.rest();
    assert.equal(rest, '-ERR Unknown command\r\n'.repeat(5) + '-ERR Too many errors, closing connection\r\n');
    await stillServes(s);
  });

  it('closes a connection that sends too many commands before logging in', async () => {
    const { client } = await Pop3Client.connect(s.port);
    client.write('CAPA\r\n'.repeat(10_000));
    const rest = await client.rest();
    assert.equal(rest.match(/^\+OK Capability list follows/gm)?.length, 20);
    assert.match(rest, /-ERR Too many commands, closing connection\r\n$/);
    await stillServes(s);
  });

  it('closes a session that sends a huge number of commands, deleting nothing it marked', async () => {
    const { client } = await Pop3Client.connect(s.port);
    assert.match(await client.login(ALICE, PASSWORD), /^\+OK /);
    assert.equal(await client.command('DELE 1'), '+OK Message 1 deleted');
    // Pipelined, far more than the limit, and far more than fits in any buffer at once.
    client.write('NOOP\r\n'.repeat(100_000));
    const rest = await client.rest();
    assert.match(rest, /-ERR Too many commands, closing connection\r\n$/);
    assert.ok((rest.match(/^\+OK$/gm)?.length ?? 0) < 200);
    assert.equal((await s.store.listMessages(INBOX(ALICE))).length, 1, 'the DELE was never committed');
    await stillServes(s, ALICE);
  });

  it('slows failed logins and then locks the login out, the right password included', async () => {
    const { client } = await Pop3Client.connect(s.port);
    const carol = 'carol@example.test';
    for (let i = 0; i < 3; i++) assert.equal(await client.login(carol, 'Wr0ng-Passw0rd'), '-ERR [AUTH] Authentication failed');
    assert.equal(await client.login(carol, PASSWORD), '-ERR [SYS/TEMP] Too many failed logins, try again later');
    assert.equal(await client.command(`AUTH PLAIN ${Buffer.from(`\0${carol}\0${PASSWORD}`).toString('base64')}`), '-ERR [SYS/TEMP] Too many failed logins, try again later');
    const failures = logs.find('pop3 login failed').filter((line) => line.login === carol);
    assert.deepEqual(failures.map((line) => line.delayMs), [1, 2, 4], 'each failure answered later than the one before (capped)');
    assert.ok(logs.find('pop3 lockout started').some((line) => line.login === carol));
    assert.ok(!JSON.stringify(logs.lines).includes('Wr0ng-Passw0rd'), 'passwords are never logged');
    // Another account from the same client is not locked by it.
    assert.match(await client.login('dave@example.test', PASSWORD), /^\+OK /);
    await client.quit();
  });

  it('enforces LOGIN-DELAY when configured, and advertises it (RFC 2449 6.8)', async () => {
    const delayed = await startPop3Server({ pop3: { loginDelaySeconds: 600 } });
    try {
      const { client } = await Pop3Client.connect(delayed.port);
      assert.ok(Pop3Client.lines((await client.multiline('CAPA')).body!).includes('LOGIN-DELAY 600'));
      assert.match(await client.login(ALICE, PASSWORD), /^\+OK /);
      await client.quit();
      const again = await Pop3Client.connect(delayed.port);
      assert.equal(await again.client.login(ALICE, PASSWORD), '-ERR [LOGIN-DELAY] Logged in too recently, try again later');
      assert.match(await again.client.login(BOB, PASSWORD), /^\+OK /, 'per account');
      await again.client.quit();
    } finally {
      await delayed.stop();
    }
  });

  it('ends an idle session without a response and without deleting anything', async () => {
    const idle = await startPop3Server({ pop3: { idleTimeout: 1000 } });
    try {
      await idle.deliver(ALICE, message('stays'));
      const { client } = await Pop3Client.connect(idle.port);
      assert.match(await client.login(ALICE, PASSWORD), /^\+OK /);
      assert.equal(await client.command('DELE 1'), '+OK Message 1 deleted');
      assert.equal(await client.rest(), '', 'RFC 1939 3: no response, no UPDATE state');
      assert.equal((await idle.store.listMessages(INBOX(ALICE))).length, 1);
      const again = await loginWhenFree(idle.port, ALICE);
      assert.match(again.status, /^\+OK Maildrop has 1 message/, 'and the lock is free again');
      await again.client.quit();
    } finally {
      await idle.stop();
    }
  });

  it('refuses connections over the per-client limit with -ERR [SYS/TEMP], and takes them again once others close', async () => {
    const limited = await startPop3Server({ pop3: { listeners: [{ name: 'pop3', port: 0, allowInsecureAuth: true, maxConnectionsPerIp: 2 }, { name: 'pop3s', port: 0, tls: 'implicit' }] } });
    try {
      const first = await Pop3Client.connect(limited.port);
      const second = await Pop3Client.connect(limited.port);
      const third = await Pop3Client.connect(limited.port);
      assert.equal(third.greeting, '-ERR [SYS/TEMP] Too many connections, try again later');
      await third.client.closed;
      await first.client.quit();
      // The server counts the closed connection out when it sees the close, a moment later.
      const deadline = Date.now() + 10_000;
      let fourth = await Pop3Client.connect(limited.port);
      while (!fourth.greeting.startsWith('+OK') && Date.now() < deadline) {
        await fourth.client.closed;
        await new Promise((resolve) => setTimeout(resolve, 20));
        fourth = await Pop3Client.connect(limited.port);
      }
      assert.match(fourth.greeting, /^\+OK /);
      await fourth.client.quit();
      await second.client.quit();
    } finally {
      await limited.stop();
    }
  });
});
