/**
 * The maildrop across sessions: when deletions reach the store (only at QUIT), what other
 * users of the store see (watch: what IMAP will hear), the per-session lock, UIDL stability.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { type MailboxChange, Mailboxes } from '@posthorn/contracts';
import { startTestServer } from '@posthorn/testkit';
import { Pop3Client, unstuff } from './client.ts';
import { ALICE, INBOX, loginWhenFree, message, PASSWORD, startPop3Server, type Pop3TestServer } from './helpers.ts';

describe('POP3 maildrop: deletions, lock, UIDL', () => {
  let s: Pop3TestServer;

  before(async () => {
    s = await startPop3Server();
  });
  after(() => s.stop());

  /** Empties alice's INBOX and delivers n fresh messages. */
  beforeEach(async () => {
    await s.store.ensureAccount(ALICE);
    await s.store.expunge(INBOX(ALICE), (await s.store.listMessages(INBOX(ALICE))).map((m) => m.uid));
    for (let i = 1; i <= 3; i++) await s.deliver(ALICE, message(`message ${i}`));
  });

  const stored = async () => (await s.store.listMessages(INBOX(ALICE))).map((m) => m.uid);

  it('DELE then a dropped connection: nothing is deleted', async () => {
    const before = await stored();
    const { client, status } = await loginWhenFree(s.port, ALICE);
    assert.match(status, /^\+OK /);
    assert.equal(await client.command('DELE 1'), '+OK Message 1 deleted');
    assert.equal(await client.command('DELE 3'), '+OK Message 3 deleted');
    await client.drop();
    const after = await loginWhenFree(s.port, ALICE);
    assert.match(after.status, /^\+OK Maildrop has 3 messages/);
    assert.deepEqual(await stored(), before);
    await after.client.quit();
  });

  it('DELE then QUIT: deleted; the store no longer lists them and its watchers hear the expunges', async () => {
    const before = await s.store.listMessages(INBOX(ALICE));
    const changes: MailboxChange[] = [];
    const unwatch = s.store.watch(INBOX(ALICE), (change) => changes.push(change));
    try {
      const { client } = await loginWhenFree(s.port, ALICE);
      assert.equal(await client.command('DELE 1'), '+OK Message 1 deleted');
      assert.equal(await client.command('DELE 3'), '+OK Message 3 deleted');
      assert.equal(changes.length, 0, 'nothing happens before QUIT');
      assert.equal(await client.quit(), '+OK Bye, 2 messages deleted');
    } finally {
      unwatch();
    }
    assert.deepEqual(await stored(), [before[1]!.uid]);
    assert.deepEqual(
      changes.map((c) => (c.type === 'expunge' ? c.uid : c.type)),
      [before[0]!.uid, before[2]!.uid],
      'an expunge event per deleted message, as IMAP IDLE would hear it',
    );
    const after = await loginWhenFree(s.port, ALICE);
    assert.match(after.status, /^\+OK Maildrop has 1 message \(/);
    assert.deepEqual(Pop3Client.lines((await after.client.multiline('UIDL')).body!), [`1 ${before[1]!.id}`], 'the survivor keeps its UIDL');
    await after.client.quit();
  });

  it('refuses a second session on the same maildrop with [IN-USE], and frees the lock at QUIT', async () => {
    const { client: first } = await loginWhenFree(s.port, ALICE);
    const { client: second } = await Pop3Client.connect(s.port);
    assert.equal(await second.login(ALICE, PASSWORD), '-ERR [IN-USE] Maildrop is locked by another session');
    const { client: third } = await Pop3Client.connect(s.tlsPort, { tls: true });
    assert.equal(await third.command(`AUTH PLAIN ${Buffer.from(`\0${ALICE}\0${PASSWORD}`).toString('base64')}`), '-ERR [IN-USE] Maildrop is locked by another session', 'also over TLS and SASL');
    assert.equal(await first.quit(), '+OK mx.test POP3 server signing off');
    // The lock is released before QUIT's answer, so the second client gets in at once.
    assert.match(await second.login(ALICE, PASSWORD), /^\+OK Maildrop has 3 messages/);
    await second.quit();
    await third.quit();
  });

  it('frees the lock when a session is dropped', async () => {
    const { client } = await loginWhenFree(s.port, ALICE);
    await client.drop();
    const again = await loginWhenFree(s.port, ALICE);
    assert.match(again.status, /^\+OK Maildrop has 3 messages/);
    await again.client.quit();
  });

  it('keeps UIDLs stable across sessions and deletions, equal to the store ids', async () => {
    const ids = (await s.store.listMessages(INBOX(ALICE))).map((m) => m.id);
    const uidl = async () => {
      const { client } = await loginWhenFree(s.port, ALICE);
      const lines = Pop3Client.lines((await client.multiline('UIDL')).body!);
      return { client, ids: lines.map((line) => line.split(' ')[1]) };
    };
    const one = await uidl();
    assert.deepEqual(one.ids, ids);
    await one.client.quit();
    const two = await uidl();
    assert.deepEqual(two.ids, ids, 'the same in the next session');
    await two.client.command('DELE 2');
    await two.client.quit();
    const three = await uidl();
    assert.deepEqual(three.ids, [ids[0], ids[2]], 'numbers change after a deletion, unique ids do not');
    await three.client.quit();
  });

  it('shows mail that arrives during a session only in the next one', async () => {
    const { client } = await loginWhenFree(s.port, ALICE);
    await s.deliver(ALICE, message('late'));
    assert.match(await client.command('STAT'), /^\+OK 3 /);
    assert.equal(await client.command('RETR 4'), '-ERR No such message');
    await client.quit();
    const next = await loginWhenFree(s.port, ALICE);
    assert.match(next.status, /^\+OK Maildrop has 4 messages/);
    assert.match(unstuff((await next.client.multiline('RETR 4')).body!).toString(), /Subject: late/);
    await next.client.quit();
  });

  it('answers -ERR [SYS/PERM] for a message whose file vanished, and goes on', async () => {
    const { client } = await loginWhenFree(s.port, ALICE);
    // Remove the second message's file behind the store's back.
    const maildir = join(s.dir, 'var/mail/example.test/alice/new');
    let removed = 0;
    for (const file of await readdir(maildir)) {
      if ((await readFile(join(maildir, file), 'latin1')).includes('Subject: message 2\r\n')) {
        await rm(join(maildir, file));
        removed++;
      }
    }
    assert.equal(removed, 1);
    assert.equal(await client.command('RETR 2'), '-ERR [SYS/PERM] Message is no longer available');
    assert.equal(await client.command('TOP 2 0'), '-ERR [SYS/PERM] Message is no longer available');
    assert.match(unstuff((await client.multiline('RETR 3')).body!).toString(), /Subject: message 3/);
    await client.quit();
  });

  it('tells idle sessions the server is stopping, and deletes nothing they marked', async () => {
    const own = await startPop3Server();
    await own.deliver(ALICE, message('survives shutdown'));
    const { client } = await Pop3Client.connect(own.port);
    assert.match(await client.login(ALICE, PASSWORD), /^\+OK /);
    assert.equal(await client.command('DELE 1'), '+OK Message 1 deleted');
    const stopping = own.server.app.stop();
    assert.equal(await client.line(), '-ERR [SYS/TEMP] Server shutting down');
    await client.closed;
    await stopping;
    // Open the same data directory again: the message is still there.
    const again = await startTestServer({ listeners: [], plugins: [{ plugin: 'accounts-file', options: { file: 'accounts.yaml' } }, 'mailbox-maildir'] }, { dir: own.dir });
    try {
      assert.equal((await again.app.services.get(Mailboxes)!.listMessages(INBOX(ALICE))).length, 1);
    } finally {
      await again.stop();
      await rm(own.dir, { recursive: true, force: true });
    }
  });
});
