import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RawImapClient } from './client.ts';
import { ALICE, type ImapTestServer, PASSWORD, startImapServer } from './helpers.ts';

describe('APPEND with the UTF8 data item (RFC 6855 4)', () => {
  let server: ImapTestServer;
  before(async () => {
    server = await startImapServer();
  });
  after(async () => {
    await server?.stop();
  });

  it('is refused before ENABLE UTF8=ACCEPT and stores the message byte-exact after it', async () => {
    const { client } = await RawImapClient.connect(server.port);
    try {
      assert.match((await client.login(ALICE, PASSWORD)).tagged, /OK/);
      const body = Buffer.from('From: Zoë <zoe@example.org>\r\nSubject: Grüße\r\n\r\nHallo.\r\n', 'utf8');
      const send = async (tag: string) => {
        client.write(Buffer.concat([Buffer.from(`${tag} APPEND INBOX UTF8 (~{${body.length}+}\r\n`), body, Buffer.from(')\r\n')]));
        return client.readUntilTagged(tag);
      };
      assert.match((await send('u1')).tagged, /^u1 BAD/);
      assert.match((await client.command('ENABLE UTF8=ACCEPT')).lines.join('\n'), /ENABLED UTF8=ACCEPT/);
      const appended = await send('u2');
      const uid = /APPENDUID \d+ (\d+)/.exec(appended.tagged)?.[1];
      assert.ok(uid, appended.tagged);
      assert.deepEqual(await server.store.readMessage({ user: ALICE, mailbox: 'INBOX' }, Number(uid)), body);
    } finally {
      client.close();
    }
  });
});
