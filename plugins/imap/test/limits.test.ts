import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loggedInClient, RawImapClient, waitForLine } from './client.ts';
import { ALICE, BOB, type ImapTestServer, PASSWORD, startImapServer } from './helpers.ts';

describe('IMAP session limits', () => {
  let server: ImapTestServer;
  before(async () => {
    server = await startImapServer({
      imap: {
        maxSessionsPerUser: 2,
        listeners: [
          { name: 'imap', port: 0, tls: 'starttls', allowInsecureAuth: true, maxConnectionsPerIp: 3 },
          { name: 'imaps', port: 0, tls: 'implicit' },
        ],
      },
    });
  });
  after(async () => {
    await server?.stop();
  });

  it('refuses a third session of one account with NO [LIMIT], and takes another account', async () => {
    const first = await loggedInClient(server.port, ALICE, PASSWORD);
    const second = await loggedInClient(server.port, ALICE, PASSWORD);
    const { client: third } = await RawImapClient.connect(server.port);
    try {
      assert.match((await third.login(ALICE, PASSWORD)).tagged, /^t1 NO \[LIMIT\] /);
      await first.command('LOGOUT');
      await first.closedByServer();
      // The slot is released when the server sees the session end; LOGOUT's completion comes first.
      let reply = await third.login(ALICE, PASSWORD);
      for (let tries = 0; /NO \[LIMIT\]/.test(reply.tagged) && tries < 100; tries++) reply = await third.login(ALICE, PASSWORD);
      assert.match(reply.tagged, /OK/);
    } finally {
      first.close();
      second.close();
      third.close();
    }
  });

  it('closes connections past the per-address limit with BYE [UNAVAILABLE], and serves again once one ends', async () => {
    const held = await Promise.all([0, 1, 2].map(() => RawImapClient.connect(server.port)));
    const { client: extra, greeting } = await RawImapClient.connect(server.port);
    assert.match(greeting, /^\* BYE \[UNAVAILABLE\] /);
    await extra.closedByServer();
    for (const { client } of held) client.close();
    // The server counts a connection out when it sees it close, a moment after the client does:
    // connect again until it greets (bounded), then log in.
    for (let tries = 0; ; tries++) {
      const { client, greeting } = await RawImapClient.connect(server.port);
      if (greeting.startsWith('* OK')) {
        assert.match((await client.login(BOB, PASSWORD)).tagged, /OK/);
        client.close();
        break;
      }
      client.close();
      assert.ok(tries < 200, 'the per-address slots were never released');
    }
  });

  it('takes a LITERAL- literal ({n-}) without a continuation', async () => {
    const client = await loggedInClient(server.port, BOB, PASSWORD);
    try {
      client.write('l1 SELECT {5-}\r\nINBOX\r\n');
      const reply = await client.readUntilTagged('l1');
      assert.ok(!reply.lines.some((line) => line.startsWith('+')), reply.lines.join('\n'));
      assert.match(reply.tagged, /^l1 OK \[READ-WRITE\] /);
    } finally {
      client.close();
    }
  });
});

describe('IMAP autologout', () => {
  let server: ImapTestServer;
  before(async () => {
    // One second instead of RFC 9051's thirty minutes, so the timer fires within the test.
    server = await startImapServer({ imap: { idleTimeout: 1000 } });
  });
  after(async () => {
    await server?.stop();
  });

  it('ends an idle session with BYE after the autologout timer', async () => {
    const client = await loggedInClient(server.port, BOB, PASSWORD);
    const line = await waitForLine(client, (text) => text.startsWith('* BYE'));
    assert.match(line, /Autologout/);
    await client.closedByServer();
  });
});
