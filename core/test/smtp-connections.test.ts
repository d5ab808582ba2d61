import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fixture, SmtpClient, startTestServer, tempDir, type TestServer } from '@posthorn/testkit';
import { command, eventually, message, next } from './helpers/replies.ts';

/** A client greeted with 220, retried until a connection slot is free (the server frees it on its own schedule). */
function connectWhenFree(port: number, what: string, timeoutMs?: number): Promise<SmtpClient> {
  return eventually(async () => {
    const candidate = await SmtpClient.connect(port);
    const greeting = await candidate.reply();
    if (greeting.code === 220) return candidate;
    await next(candidate).catch(() => undefined);
    candidate.close();
    return undefined;
  }, what, timeoutMs);
}

describe('connection limits and timers', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: TestServer;

  before(async () => {
    dir = await tempDir();
    server = await startTestServer(
      {
        listeners: [
          // Long enough that nothing but an early talker can be seen during it; the test
          // never waits for it to pass.
          { name: 'delayed', role: 'mx', greetingDelay: 5000, reverseLookup: false },
          { name: 'instant', role: 'mx', greetingDelay: 0, reverseLookup: false },
          { name: 'per-ip', role: 'mx', maxConnectionsPerIp: 2 },
          { name: 'per-ip-tls', role: 'mx', maxConnectionsPerIp: 1 },
          { name: 'idle', role: 'mx', idleTimeout: 1000 },
          { name: 'slow-data', role: 'mx', dataTimeout: 1000, idleTimeout: 60000 },
        ],
        plugins: [fixture('memory-queue')],
      },
      { dir: dir.path },
    );
  });
  after(async () => {
    await server.stop();
    await dir.remove();
  });

  /** A full transaction on an open client. */
  async function transact(client: SmtpClient, subject: string): Promise<void> {
    await command(client, 'EHLO client.test', 250, '');
    await command(client, 'MAIL FROM:<a@example.org>', 250, '2.1.0');
    await command(client, 'RCPT TO:<bob@localhost>', 250, '2.1.5');
    await command(client, 'DATA', 354, '');
    client.write(`${message(subject)}.\r\n`);
    await next(client, 250, '2.0.0');
  }

  describe('greeting delay', () => {
    it('refuses a client that talks before the greeting with 421 4.7.0 and closes', async () => {
      const client = await SmtpClient.connect(server.port('delayed'));
      client.write('EHLO early.test\r\n');
      const reply = await next(client, 421, '4.7.0');
      assert.match(reply.lines.join(' '), /too soon/);
      await client.waitClosed();
    });

    it('with no delay, a command sent right after connecting is answered after the greeting', async () => {
      // With greetingDelay 0 the connection is ready before the server reads anything from
      // the socket, so this EHLO cannot be early however fast it is sent.
      const client = await SmtpClient.connect(server.port('instant'));
      client.write('EHLO quick.test\r\n');
      const greeting = await next(client, 220, '');
      assert.doesNotMatch(greeting.lines.join(' '), /too soon/);
      await next(client, 250, '');
      client.close();
    });
  });

  describe('connections per IP', () => {
    it('refuses the third concurrent connection with 421 4.7.0; the first two still work; a freed slot is reused', async () => {
      const port = server.port('per-ip');
      const first = await SmtpClient.open(port);
      const second = await SmtpClient.open(port);
      const third = await SmtpClient.connect(port);
      await next(third, 421, '4.7.0');
      await third.waitClosed();

      await transact(first, 'first of two');
      await transact(second, 'second of two');

      await command(first, 'QUIT', 221, '2.0.0');
      await first.waitClosed();
      // The server notices the close on its own schedule; poll until the slot is free.
      const fourth = await connectWhenFree(port, 'a free connection slot');
      await transact(fourth, 'after a slot was freed');
      fourth.close();
      second.close();
    });

    it('frees the slot of a connection that ended after STARTTLS', async () => {
      // STARTTLS moves the connection onto a TLS socket and drops every listener of the plain
      // one; the per-IP count must still go down when the TLS socket closes.
      const port = server.port('per-ip-tls');
      const first = await SmtpClient.open(port);
      await command(first, 'EHLO tls.test', 250, '');
      assert.equal((await first.startTls()).code, 220);
      await command(first, 'EHLO tls.test', 250, '');
      await command(first, 'QUIT', 221, '2.0.0');
      await first.waitClosed();
      const second = await connectWhenFree(port, 'the slot of the STARTTLS connection', 5000);
      await transact(second, 'after a STARTTLS connection ended');
      second.close();
    });
  });

  describe('timeouts', () => {
    it('disconnects an idle client with 421', async () => {
      const client = await SmtpClient.open(server.port('idle'));
      await command(client, 'EHLO idle.test', 250, '');
      const reply = await next(client, 421, '4.4.2');
      assert.match(reply.lines.join(' '), /[Tt]imeout/);
      await client.waitClosed();
    });

    it('cuts off a client that trickles DATA for longer than dataTimeout with 421 4.4.2', async () => {
      const client = await SmtpClient.open(server.port('slow-data'));
      await command(client, 'EHLO slow.test', 250, '');
      await command(client, 'MAIL FROM:<a@example.org>', 250, '2.1.0');
      await command(client, 'RCPT TO:<bob@localhost>', 250, '2.1.5');
      await command(client, 'DATA', 354, '');
      client.write('Subject: slow\r\n\r\n');
      // A byte every 50 ms keeps the connection from ever being idle; only the DATA limit
      // can end it. The trickle stops as soon as the reply is in.
      let trickling = true;
      const trickle = (async () => {
        while (trickling && !client.closed) {
          client.write('x');
          await new Promise((wake) => setTimeout(wake, 50));
        }
      })();
      const reply = await next(client, 421, '4.4.2');
      trickling = false;
      await trickle;
      assert.match(reply.lines.join(' '), /message data/);
      await client.waitClosed();
    });
  });
});
