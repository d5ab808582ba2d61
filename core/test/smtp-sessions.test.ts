/**
 * The plugin-facing session of a connection: one object from the first hook that sees it to
 * the disconnect hook, whenever it is made (at connect when a plugin taps connect or debug
 * logging is on, else when first needed), and every session log line carries its id.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { captureLogs, fixture, SmtpClient, suiteServer } from '@posthorn/testkit';
import { events, type SessionEvent } from './fixtures/session-observer.ts';
import { command, eventually, next } from './helpers/replies.ts';

const OBSERVER = fileURLToPath(new URL('./fixtures/session-observer.ts', import.meta.url));

/** Waits for the disconnect event of a listener's nth connection (counting from 1). */
function disconnectOf(listener: string, nth = 1): Promise<SessionEvent> {
  return eventually(() => events.filter((e) => e.hook === 'disconnect' && e.session.listener.name === listener)[nth - 1], `disconnect #${nth} on ${listener}`);
}

describe('sessions without a connect tap, logging at info', () => {
  const logs = captureLogs('info');
  const suite = suiteServer(
    {
      listeners: [
        { name: 'quiet', role: 'mx' },
        { name: 'greets', role: 'mx' },
        { name: 'refuses', role: 'mx' },
        { name: 'one-per-ip', role: 'mx', maxConnectionsPerIp: 1 },
      ],
      plugins: [fixture('memory-queue'), OBSERVER],
    },
    { logger: logs.logger },
  );

  it('a client that leaves without a command reaches the disconnect hook with its session', async () => {
    const client = await SmtpClient.open(suite.server.port('quiet'));
    await command(client, 'QUIT', 221, '2.0.0');
    await client.waitClosed();
    const { session } = await disconnectOf('quiet');
    assert.match(session.id, /\S/);
    assert.equal(session.remoteAddress, '127.0.0.1');
    assert.deepEqual(session.listener, { name: 'quiet', role: 'mx' });
    assert.equal(session.helo, undefined);
    assert.equal(events.filter((e) => e.session.listener.name === 'quiet').length, 1);
  });

  it('helo and disconnect see one session object, and what helo kept in its state', async () => {
    const client = await SmtpClient.open(suite.server.port('greets'));
    await command(client, 'EHLO client.test', 250, '');
    await command(client, 'QUIT', 221, '2.0.0');
    await client.waitClosed();
    const gone = await disconnectOf('greets');
    const helo = events.find((e) => e.hook === 'helo' && e.session.listener.name === 'greets');
    assert.ok(helo);
    assert.equal(gone.session, helo.session);
    assert.equal(gone.mark, `helo from ${gone.session.id}`);
    assert.equal(gone.session.helo, 'client.test');
  });

  it('puts the connection id and address on the log lines of a session made after connect', async () => {
    const client = await SmtpClient.open(suite.server.port('refuses'));
    await command(client, 'EHLO client.test', 250, '');
    await command(client, 'MAIL FROM:<a@example.org>', 250, '2.1.0');
    await command(client, 'RCPT TO:<someone@elsewhere.example>', 550, '5.7.1');
    client.close();
    const { session } = await disconnectOf('refuses');
    const refused = logs.find('rcpt: nobody accepted').filter((line) => line.cid === session.id);
    assert.equal(refused.length, 1);
    assert.equal(refused[0]!.ip, '127.0.0.1');
    assert.equal(refused[0]!.listener, 'refuses');
    assert.match(String(refused[0]!.tid), /\S/);
  });

  it('a connection refused by the per-IP limit reaches no hook', async () => {
    const first = await SmtpClient.open(suite.server.port('one-per-ip'));
    const second = await SmtpClient.connect(suite.server.port('one-per-ip'));
    await next(second, 421, '4.7.0');
    await second.waitClosed();
    await command(first, 'EHLO first.test', 250, '');
    await command(first, 'QUIT', 221, '2.0.0');
    await first.waitClosed();
    await eventually(() => events.find((e) => e.hook === 'disconnect' && e.session.helo === 'first.test'), 'the first connection to leave');
    // The refused connection closed first: had it reached a hook, it would be listed by now.
    assert.deepEqual(
      events.filter((e) => e.session.listener.name === 'one-per-ip').map((e) => `${e.hook} ${e.session.helo}`),
      ['helo first.test', 'disconnect first.test'],
    );
  });
});

describe('sessions with a connect tap', () => {
  const suite = suiteServer({ listeners: [{ name: 'tapped', role: 'mx' }], plugins: [fixture('memory-queue'), { plugin: OBSERVER, options: { connect: true } }] });

  it('connect, helo and disconnect see one session object', async () => {
    const client = await SmtpClient.open(suite.server.port('tapped'));
    await command(client, 'EHLO client.test', 250, '');
    await command(client, 'QUIT', 221, '2.0.0');
    await client.waitClosed();
    const gone = await disconnectOf('tapped');
    const seen = events.filter((e) => e.session === gone.session).map((e) => e.hook);
    assert.deepEqual(seen, ['connect', 'helo', 'disconnect']);
  });
});

describe('sessions with debug logging', () => {
  const logs = captureLogs('debug');
  const suite = suiteServer({ listeners: [{ name: 'debugged', role: 'mx' }], plugins: [fixture('memory-queue'), OBSERVER] }, { logger: logs.logger });

  it('logs connect and disconnect with the connection id and address', async () => {
    const client = await SmtpClient.open(suite.server.port('debugged'));
    await command(client, 'QUIT', 221, '2.0.0');
    await client.waitClosed();
    const { session } = await disconnectOf('debugged');
    const lines = await eventually(() => {
      const found = logs.lines.filter((line) => line.cid === session.id && (line.msg === 'connect' || line.msg === 'disconnect'));
      return found.length === 2 ? found : undefined;
    }, 'the connect and disconnect lines');
    for (const line of lines) {
      assert.equal(line.ip, '127.0.0.1');
      assert.equal(line.listener, 'debugged');
    }
  });
});
