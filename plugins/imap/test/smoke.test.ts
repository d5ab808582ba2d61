import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import { ALICE, type ImapTestServer, message, PASSWORD, startImapServer } from './helpers.ts';

describe('imap with imapflow', () => {
  let server: ImapTestServer;
  before(async () => {
    server = await startImapServer();
  });
  after(async () => {
    await server?.stop();
  });

  it('logs in, lists, selects, fetches byte-exact, flags, searches, moves and appends', async () => {
    const raw = message('first', 'Line one.\r\n.dot line\r\n');
    await server.deliver(ALICE, raw);
    await server.deliver(ALICE, message('second'));
    const client = new ImapFlow({ host: '127.0.0.1', port: server.tlsPort, secure: true, tls: { rejectUnauthorized: false }, auth: { user: ALICE, pass: PASSWORD }, logger: false });
    await client.connect();
    try {
      const boxes = await client.list();
      assert.deepEqual(boxes.map((box) => box.path).sort(), ['Archive', 'Drafts', 'INBOX', 'Junk', 'Sent', 'Trash']);
      assert.equal(boxes.find((box) => box.path === 'Trash')?.specialUse, '\\Trash');
      const lock = await client.getMailboxLock('INBOX');
      try {
        const mailbox = client.mailbox;
        assert.ok(mailbox && mailbox.exists === 2);
        const fetched = await client.fetchOne('1', { source: true, envelope: true, flags: true, uid: true });
        assert.ok(fetched);
        assert.equal(fetched.source?.toString('latin1'), raw);
        assert.equal(fetched.envelope?.subject, 'first');
        await client.messageFlagsAdd('1', ['\\Flagged']);
        const flagged = await client.search({ flagged: true });
        assert.deepEqual(flagged, [1]);
        const bySubject = await client.search({ subject: 'second' });
        assert.deepEqual(bySubject, [2]);
        const moved = await client.messageMove('2', 'Trash');
        assert.ok(moved);
        assert.equal(client.mailbox && client.mailbox.exists, 1);
      } finally {
        lock.release();
      }
      const appended = await client.append('Drafts', message('draft'), ['\\Draft']);
      assert.ok(appended && appended.uid);
      const status = await client.status('Trash', { messages: true });
      assert.equal(status && status.messages, 1);
    } finally {
      await client.logout();
    }
  });
});
