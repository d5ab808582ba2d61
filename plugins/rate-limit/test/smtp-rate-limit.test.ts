import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { captureLogs, fixture, type Reply, SmtpClient, startTestServer, tempDir, type TestServer } from '@posthorn/testkit';
import { command, expectReply, plain, retryUntil, sendData, tryMail } from './helpers.ts';

type Dir = Awaited<ReturnType<typeof tempDir>>;

/**
 * One second windows: every event of a "N+1 within the window" step takes milliseconds, and
 * waiting for the reset stays short.
 */
const WINDOW = 1;

function withServer(options: Record<string, unknown>, body: (context: { server: () => TestServer; logs: ReturnType<typeof captureLogs> }) => void): void {
  let dir: Dir;
  let server: TestServer;
  const logs = captureLogs('info');
  before(async () => {
    dir = await tempDir();
    server = await startTestServer(
      {
        listeners: [{ role: 'mx' }, { name: 'submission', role: 'submission', allowInsecureAuth: true }],
        plugins: [
          { plugin: fixture('fixed-auth'), options: { users: { 'alice@localhost': 'pw', 'bob@localhost': 'pw', 'carol@localhost': 'pw' } } },
          fixture('memory-queue'),
          { plugin: 'rate-limit', options },
        ],
      },
      { dir: dir.path, logger: logs.logger },
    );
  });
  after(async () => {
    await server.stop();
    await dir.remove();
  });
  body({ server: () => server, logs });
}

/** Connects and reads the first reply, whatever it is. */
async function connect(port: number): Promise<{ client: SmtpClient; greeting: Reply }> {
  const client = await SmtpClient.connect(port);
  return { client, greeting: await client.reply() };
}

async function login(port: number, user: string): Promise<SmtpClient> {
  const client = await SmtpClient.open(port);
  await command(client, 'EHLO laptop.example', 250, '');
  await command(client, `AUTH PLAIN ${plain(user, 'pw')}`, 235, '2.7.0');
  return client;
}

describe('rate-limit: connections per client network', () => {
  withServer({ connectionsPerClient: { limit: 2, window: WINDOW } }, ({ server, logs }) => {
    it('refuses the third connection in the window with 421 4.7.0 and closes it; a new window lets clients in', async () => {
      const open = [await connect(server().port('mx')), await connect(server().port('mx'))];
      for (const { greeting } of open) assert.equal(greeting.code, 220);
      const third = await connect(server().port('mx'));
      expectReply(third.greeting, 421, '4.7.0');
      assert.deepEqual(third.greeting.lines, ['4.7.0 Too many connections from your network, try again later']);
      await third.client.waitClosed();
      assert.ok(logs.find('rate-limit: limit reached').some((line) => line.limit === 'connections' && line.subject === '127.0.0.1/32'));

      const later = await retryUntil(220, async () => {
        const attempt = await connect(server().port('mx'));
        if (attempt.greeting.code !== 220) attempt.client.close();
        else open.push(attempt);
        return attempt.greeting;
      });
      assert.equal(later.code, 220);
      for (const { client } of open) client.close();
    });

    it('does not count connections to a listener whose role is not limited', async () => {
      const clients: SmtpClient[] = [];
      for (let i = 0; i < 4; i++) {
        const { client, greeting } = await connect(server().port('submission'));
        assert.equal(greeting.code, 220, `submission connection ${i + 1}`);
        clients.push(client);
      }
      for (const client of clients) client.close();
    });
  });
});

describe('rate-limit: messages per client network', () => {
  withServer({ messagesPerClient: { limit: 2, window: WINDOW } }, ({ server }) => {
    it('refuses the third MAIL FROM in the window with 451 4.7.0, across sessions, until the window ends', async () => {
      const first = await SmtpClient.open(server().port('mx'));
      await command(first, 'EHLO sender.example', 250, '');
      expectReply(await tryMail(first, 'a@sender.example'), 250, '2.1.0');
      await command(first, 'RCPT TO:<bob@localhost>', 250, '2.1.5');
      expectReply(await sendData(first), 250, '2.0.0');

      const second = await SmtpClient.open(server().port('mx'));
      await command(second, 'EHLO sender.example', 250, '');
      expectReply(await tryMail(second, 'b@other.example'), 250, '2.1.0');
      const refused = expectReply(await tryMail(second, 'c@other.example'), 451, '4.7.0');
      assert.deepEqual(refused.lines, ['4.7.0 Too many messages from your network, try again later']);
      assert.equal(second.closed, false, 'a message limit does not end the session');

      expectReply(await retryUntil(250, () => tryMail(second, 'c@other.example')), 250, '2.1.0');
      first.close();
      second.close();
    });
  });
});

describe('rate-limit: per authenticated user on submission', () => {
  withServer(
    {
      messagesPerUser: { limit: 2, window: WINDOW },
      recipientsPerUser: { limit: 3, window: WINDOW },
      // Applies to submission too here, to show that logged-in users are counted per user instead.
      messagesPerClient: { limit: 1, window: 60 },
      clientListeners: ['mx', 'submission'],
    },
    ({ server, logs }) => {
    it('refuses a user\'s third message in the window with 451 4.7.0; other users are not affected', async () => {
      const alice = await login(server().port('submission'), 'alice@localhost');
      expectReply(await tryMail(alice, 'alice@localhost'), 250, '2.1.0');
      expectReply(await tryMail(alice, 'alice@localhost'), 250, '2.1.0');
      const refused = expectReply(await tryMail(alice, 'alice@localhost'), 451, '4.7.0');
      assert.deepEqual(refused.lines, ['4.7.0 Too many messages sent by this account, try again later']);
      assert.ok(logs.find('rate-limit: limit reached').some((line) => line.limit === 'user-messages' && line.subject === 'alice@localhost'));

      // Another login of the same user counts on the same counter; another user has their own.
      const again = await login(server().port('submission'), 'alice@localhost');
      expectReply(await tryMail(again, 'alice@localhost'), 451, '4.7.0');
      const bob = await login(server().port('submission'), 'bob@localhost');
      expectReply(await tryMail(bob, 'bob@localhost'), 250, '2.1.0');
      // Authenticated sessions are counted per user, not per client network (limit 1 there).
      expectReply(await tryMail(bob, 'bob@localhost'), 250, '2.1.0');

      expectReply(await retryUntil(250, () => tryMail(alice, 'alice@localhost')), 250, '2.1.0');
      for (const client of [alice, again, bob]) client.close();
    });

    it('refuses a user\'s fourth recipient in the window with 451 4.7.0 and resets with the window', async () => {
      const carol = await login(server().port('submission'), 'carol@localhost');
      expectReply(await tryMail(carol, 'carol@localhost'), 250, '2.1.0');
      for (const to of ['r1', 'r2', 'r3']) await command(carol, `RCPT TO:<${to}@localhost>`, 250, '2.1.5');
      const refused = expectReply(await carol.command('RCPT TO:<r4@localhost>'), 451, '4.7.0');
      assert.deepEqual(refused.lines, ['4.7.0 Too many recipients for this account, try again later']);
      // The recipients accepted so far are still sent.
      expectReply(await sendData(carol), 250, '2.0.0');

      expectReply(await tryMail(carol, 'carol@localhost'), 250, '2.1.0');
      expectReply(await retryUntil(250, () => carol.command('RCPT TO:<r4@localhost>')), 250, '2.1.5');
      carol.close();
    });
    },
  );
});

describe('rate-limit: messages per sender domain', () => {
  withServer({ messagesPerSenderDomain: { limit: 2, window: WINDOW, sessions: 'incoming' } }, ({ server }) => {
    it('refuses the third message from one domain in the window; other domains and the null sender pass', async () => {
      const client = await SmtpClient.open(server().port('mx'));
      await command(client, 'EHLO sender.example', 250, '');
      expectReply(await tryMail(client, 'a@flood.example'), 250, '2.1.0');
      expectReply(await tryMail(client, 'b@FLOOD.example'), 250, '2.1.0');
      const refused = expectReply(await tryMail(client, 'c@flood.example'), 451, '4.7.0');
      assert.deepEqual(refused.lines, ['4.7.0 Too many messages from this sender domain, try again later']);
      expectReply(await tryMail(client, 'a@calm.example'), 250, '2.1.0');
      for (let i = 0; i < 3; i++) expectReply(await tryMail(client, ''), 250, '2.1.0');
      expectReply(await retryUntil(250, () => tryMail(client, 'c@flood.example')), 250, '2.1.0');
      client.close();
    });

    it('with sessions: incoming, does not count what users submit', async () => {
      const alice = await login(server().port('submission'), 'alice@localhost');
      for (let i = 0; i < 3; i++) expectReply(await tryMail(alice, 'alice@localhost'), 250, '2.1.0');
      alice.close();
    });
  });
});

describe('rate-limit: exempt networks', () => {
  withServer({ connectionsPerClient: { limit: 1, window: 60 }, messagesPerClient: { limit: 1, window: 60 }, exempt: ['127.0.0.0/8'] }, ({ server }) => {
    it('applies no per-client limit to an exempt network', async () => {
      const clients: SmtpClient[] = [];
      for (let i = 0; i < 3; i++) {
        const client = await SmtpClient.open(server().port('mx'));
        await command(client, 'EHLO relay.example', 250, '');
        for (let j = 0; j < 2; j++) expectReply(await tryMail(client, 'a@relay.example'), 250, '2.1.0');
        clients.push(client);
      }
      for (const client of clients) client.close();
    });
  });
});
