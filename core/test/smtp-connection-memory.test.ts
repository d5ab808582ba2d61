/**
 * What an idle connection holds, and that smtp-server's behaviour survives what
 * LeanSmtpConnection changes to hold less: the parser fed without pipe(), shared XCLIENT and
 * XFORWARD maps, a recipient index made only when RCPT needs it.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import type { SMTPServerAddress, SMTPServerDataStream, SMTPServerOptions, SMTPServerSession } from 'smtp-server';
import { SmtpClient } from '@posthorn/testkit';
import { CONNECTION, type PosthornConnection, PosthornSmtpServer } from '../src/smtp/connection.ts';
import { eventually } from './helpers/replies.ts';

interface Received {
  readonly from: string;
  readonly recipients: readonly string[];
  readonly size: number;
  readonly sha256: string;
}

interface Env {
  readonly server: PosthornSmtpServer;
  readonly port: number;
  readonly received: Received[];
  /** Makes the next messages wait, unread, until the returned function is called. */
  hold(): () => void;
  stop(): Promise<void>;
}

/** A PosthornSmtpServer on 127.0.0.1 that keeps what it receives. */
async function startServer(extra: Partial<SMTPServerOptions> = {}): Promise<Env> {
  const received: Received[] = [];
  let gate: Promise<void> | undefined;
  const server = new PosthornSmtpServer(
    {
      name: 'mx.test',
      logger: false,
      authOptional: true,
      disabledCommands: ['AUTH'],
      disableReverseLookup: true,
      size: 64 * 1024 * 1024,
      onData(stream: SMTPServerDataStream, session: SMTPServerSession, done: (err?: Error | null) => void) {
        const read = () => {
          const hash = createHash('sha256');
          let size = 0;
          stream.on('data', (chunk: Buffer) => {
            hash.update(chunk);
            size += chunk.length;
          });
          stream.on('end', () => {
            const envelope = session.envelope;
            received.push({
              from: envelope.mailFrom ? envelope.mailFrom.address : '',
              recipients: envelope.rcptTo.map((r: SMTPServerAddress) => r.address),
              size,
              sha256: hash.digest('hex'),
            });
            done();
          });
        };
        if (gate) void gate.then(read);
        else read();
      },
      ...extra,
    } as SMTPServerOptions,
    { greetingDelay: 0, maxConnectionsPerIp: 100, onHelo: async () => undefined },
  );
  const port = await new Promise<number>((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve((server.server.address() as { port: number }).port));
  });
  return {
    server,
    port,
    received,
    hold() {
      let release = () => {};
      gate = new Promise<void>((resolve) => (release = resolve));
      return () => {
        gate = undefined;
        release();
      };
    },
    stop: () => new Promise<void>((done) => server.close(() => done())),
  };
}

function connectionsOf(server: PosthornSmtpServer): PosthornConnection[] {
  return [...(server as unknown as { connections: Set<PosthornConnection> }).connections];
}

/** Internals the checks below look at. */
function internals(connection: PosthornConnection): { socket: Socket & { _readableState: { pipes: unknown[] } }; xClient: unknown; xForward: unknown } {
  const raw = connection as unknown as { _socket: Socket & { _readableState: { pipes: unknown[] } }; _xClient: unknown; _xForward: unknown };
  return { socket: raw._socket, xClient: raw._xClient, xForward: raw._xForward };
}

async function expectCode(client: SmtpClient, line: string, code: number): Promise<void> {
  const reply = await client.command(line);
  assert.equal(reply.code, code, `${line}: ${reply.raw}`);
}

describe('what an idle SMTP connection holds', () => {
  let env: Env;
  before(async () => {
    env = await startServer();
  });
  after(async () => {
    await env.stop();
  });

  it('no pipe() from the socket, one shared XCLIENT/XFORWARD map, no recipient index, nothing added to the session object', async () => {
    const clients = [await SmtpClient.open(env.port), await SmtpClient.open(env.port)];
    try {
      const connections = await eventually(() => {
        const open = connectionsOf(env.server);
        return open.length === 2 ? open : undefined;
      }, 'two connections');
      const [a, b] = connections.map(internals) as [ReturnType<typeof internals>, ReturnType<typeof internals>];
      for (const [connection, inside] of [
        [connections[0]!, a],
        [connections[1]!, b],
      ] as const) {
        assert.equal(inside.socket._readableState.pipes.length, 0, 'the socket is not piped');
        assert.equal(inside.socket.listenerCount('data'), 1);
        assert.equal(connection.leanRcptIndex, undefined);
        // Anything added to smtp-server's session object after it is filled in makes it a
        // dictionary-mode object; the only addition is made while it holds just its id.
        assert.deepEqual(Object.getOwnPropertySymbols(connection.session), [CONNECTION]);
      }
      assert.equal(a.xClient, b.xClient);
      assert.equal(a.xForward, a.xClient);
    } finally {
      for (const client of clients) client.close();
    }
  });

  it('refuses XCLIENT and XFORWARD on a listener that allows neither, and the shared map stays empty', async () => {
    const client = await SmtpClient.open(env.port);
    try {
      await expectCode(client, 'EHLO client.test', 250);
      for (const line of ['XCLIENT ADDR=192.0.2.1', 'XFORWARD ADDR=192.0.2.1']) {
        const reply = await client.command(line);
        assert.ok(reply.code >= 500, `${line}: ${reply.raw}`);
      }
      const [connection] = connectionsOf(env.server);
      assert.equal((internals(connection!).xClient as Map<string, string>).size, 0);
      await expectCode(client, 'NOOP', 250);
    } finally {
      client.close();
    }
  });

  it('a message the server cannot take as fast as it comes pauses the socket, and arrives whole once taken', async () => {
    const client = await SmtpClient.open(env.port);
    const release = env.hold();
    try {
      await expectCode(client, 'EHLO client.test', 250);
      await expectCode(client, 'MAIL FROM:<a@example.org>', 250);
      await expectCode(client, 'RCPT TO:<b@example.org>', 250);
      await expectCode(client, 'DATA', 354);
      const line = `${'x'.repeat(998)}\r\n`;
      const body = Buffer.from(`Subject: big\r\n\r\n${line.repeat(8 * 1024)}`, 'latin1');
      // 8 MB that nobody reads yet: the parser fills up and the socket must stop reading.
      client.write(Buffer.concat([body, Buffer.from('.\r\n')]));
      const [connection] = connectionsOf(env.server);
      await eventually(() => internals(connection!).socket.isPaused() || undefined, 'the socket paused');
      release();
      const reply = await client.reply(60_000);
      assert.equal(reply.code, 250, reply.raw);
      const last = env.received.at(-1)!;
      assert.equal(last.size, body.length);
      assert.equal(last.sha256, createHash('sha256').update(body).digest('hex'));
      await expectCode(client, 'NOOP', 250);
    } finally {
      client.close();
    }
  });

  it('a repeated recipient is kept once, in every transaction of the session, and RSET forgets it', async () => {
    const client = await SmtpClient.open(env.port);
    try {
      await expectCode(client, 'EHLO client.test', 250);
      for (const subject of ['one', 'two']) {
        await expectCode(client, 'MAIL FROM:<a@example.org>', 250);
        await expectCode(client, 'RCPT TO:<b@example.org>', 250);
        await expectCode(client, 'RCPT TO:<c@example.org>', 250);
        await expectCode(client, 'RCPT TO:<B@example.org>', 250);
        await expectCode(client, 'DATA', 354);
        await expectCode(client, `Subject: ${subject}\r\n\r\nhello\r\n.`, 250);
        assert.deepEqual(env.received.at(-1)!.recipients.map((r) => r.toLowerCase()), ['b@example.org', 'c@example.org']);
      }
      const [connection] = connectionsOf(env.server);
      assert.equal(connection!.leanRcptIndex, undefined, 'the index is dropped with the transaction');
      await expectCode(client, 'MAIL FROM:<a@example.org>', 250);
      await expectCode(client, 'RCPT TO:<c@example.org>', 250);
      await expectCode(client, 'RSET', 250);
      await expectCode(client, 'MAIL FROM:<a@example.org>', 250);
      await expectCode(client, 'RCPT TO:<b@example.org>', 250);
      await expectCode(client, 'RCPT TO:<c@example.org>', 250);
      await expectCode(client, 'DATA', 354);
      await expectCode(client, 'Subject: three\r\n\r\nhello\r\n.', 250);
      assert.deepEqual(env.received.at(-1)!.recipients, ['b@example.org', 'c@example.org']);
    } finally {
      client.close();
    }
  });

  it('runs nothing pipelined behind QUIT and closes when the client does', async () => {
    const client = await SmtpClient.open(env.port);
    client.write('QUIT\r\nNOOP\r\n');
    assert.equal((await client.reply()).code, 221);
    await client.waitClosed();
  });

  it('does not run plaintext pipelined behind STARTTLS inside the TLS session, and serves the TLS session', async () => {
    const socket = netConnect({ host: '127.0.0.1', port: env.port });
    let text = '';
    const until = (pattern: RegExp, source: NodeJS.ReadableStream) =>
      new Promise<string>((resolve, reject) => {
        const onData = (chunk: Buffer) => {
          text += chunk.toString('latin1');
          const match = pattern.exec(text);
          if (!match) return;
          source.off('data', onData);
          text = text.slice(match.index + match[0].length);
          resolve(match[0]);
        };
        source.on('data', onData);
        source.once('error', reject);
      });
    try {
      await until(/^220 .*\r\n/m, socket);
      socket.write('EHLO client.test\r\n');
      await until(/^250 .*\r\n/m, socket);
      // HELP (214) rides in the same packet as STARTTLS: it must be dropped, not answered in TLS.
      socket.write('STARTTLS\r\nHELP\r\n');
      await until(/^220 .*\r\n/m, socket);
      assert.equal(text, '', 'nothing after the STARTTLS reply in plaintext');
      const secure = tlsConnect({ socket, rejectUnauthorized: false });
      await new Promise((resolve, reject) => {
        secure.once('secureConnect', resolve);
        secure.once('error', reject);
      });
      text = '';
      secure.write('NOOP\r\n');
      const first = await until(/^\d{3} .*\r\n/m, secure);
      assert.match(first, /^250 /, `the first reply in TLS answers NOOP: ${first}`);
      secure.write('EHLO client.test\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n');
      await until(/^354 .*\r\n/m, secure);
      secure.write('Subject: tls\r\n\r\nhello\r\n.\r\nQUIT\r\n');
      await until(/^221 .*\r\n/m, secure);
      assert.deepEqual(env.received.at(-1)!.recipients, ['b@example.org']);
      secure.destroy();
    } finally {
      socket.destroy();
    }
  });
});

describe('a listener that allows XCLIENT', () => {
  let env: Env;
  before(async () => {
    env = await startServer({ useXClient: true } as Partial<SMTPServerOptions>);
  });
  after(async () => {
    await env.stop();
  });

  it('keeps XCLIENT data per connection', async () => {
    const proxied = await SmtpClient.open(env.port);
    const other = await SmtpClient.open(env.port);
    try {
      await expectCode(proxied, 'EHLO proxy.test', 250);
      await expectCode(proxied, 'XCLIENT ADDR=192.0.2.7', 220);
      const connections = connectionsOf(env.server).map(internals);
      assert.equal(connections.length, 2);
      assert.notEqual(connections[0]!.xClient, connections[1]!.xClient);
      const sizes = connections.map((c) => (c.xClient as Map<string, string>).size).sort();
      assert.equal(sizes[0], 0, 'the other connection saw nothing of it');
      assert.ok(sizes[1]! > 0);
    } finally {
      proxied.close();
      other.close();
    }
  });
});
