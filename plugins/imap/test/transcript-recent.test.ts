import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type RawImapClient, type Reply, untaggedLines } from './client.ts';
import { message, transcriptServer } from './helpers.ts';

/** IMAP4rev1's \Recent (RFC 3501 2.3.2): recent to the first read-write session told of a message. */

const recentLine = (reply: Reply) => reply.lines.find((line) => / RECENT$/.test(line));

describe('imap transcripts: \\Recent', () => {
  const server = transcriptServer('recent', 8);

  async function account(delivered: number): Promise<{ user: string; login: () => Promise<RawImapClient> }> {
    const user = server.freshUser();
    for (let i = 1; i <= delivered; i++) await server.deliver(user, message(`m${i}`));
    return {
      user,
      async login() {
        const client = await server.login(user);
        return client;
      },
    };
  }

  it('the first SELECT gets the new messages as \\Recent, in FLAGS and in SEARCH RECENT/NEW/OLD; the next does not', async () => {
    const { login } = await account(2);
    const first = await login();
    assert.equal(recentLine(await first.command('SELECT INBOX')), '* 2 RECENT');
    assert.deepEqual(untaggedLines(await first.command('FETCH 1:* FLAGS')), ['* 1 FETCH (FLAGS (\\Recent))', '* 2 FETCH (FLAGS (\\Recent))']);
    assert.deepEqual(untaggedLines(await first.command('STORE 1 +FLAGS (\\Seen)')), ['* 1 FETCH (FLAGS (\\Seen \\Recent))']);
    assert.deepEqual(untaggedLines(await first.command('SEARCH RECENT')), ['* SEARCH 1 2']);
    assert.deepEqual(untaggedLines(await first.command('SEARCH NEW')), ['* SEARCH 2']);
    assert.deepEqual(untaggedLines(await first.command('SEARCH OLD')), ['* SEARCH']);
    // \Recent is the server's to set, never the client's.
    assert.match((await first.command('STORE 2 +FLAGS (\\Recent)')).tagged, / BAD /);

    const second = await login();
    assert.equal(recentLine(await second.command('SELECT INBOX')), '* 0 RECENT');
    assert.deepEqual(untaggedLines(await second.command('FETCH 1:* FLAGS')), ['* 1 FETCH (FLAGS (\\Seen))', '* 2 FETCH (FLAGS ())']);
    assert.deepEqual(untaggedLines(await second.command('SEARCH OLD')), ['* SEARCH 1 2']);
    // The first session keeps them recent until it leaves the mailbox.
    assert.deepEqual(untaggedLines(await first.command('SEARCH RECENT')), ['* SEARCH 1 2']);
    await first.command('UNSELECT');
    assert.equal(recentLine(await first.command('SELECT INBOX')), '* 0 RECENT');
  });

  it('EXAMINE sees \\Recent without taking it; STATUS counts what no read-write session was told of', async () => {
    const { login, user } = await account(0);
    const other = await login();
    // The mailbox is known to the server from here (the baseline is set at first sight).
    assert.deepEqual(untaggedLines(await other.command('STATUS INBOX (MESSAGES RECENT)')), ['* STATUS "INBOX" (MESSAGES 0 RECENT 0)']);
    await server.deliver(user, message('new'));
    assert.deepEqual(untaggedLines(await other.command('STATUS INBOX (MESSAGES RECENT)')), ['* STATUS "INBOX" (MESSAGES 1 RECENT 1)']);
    const examining = await login();
    assert.equal(recentLine(await examining.command('EXAMINE INBOX')), '* 1 RECENT');
    assert.deepEqual(untaggedLines(await examining.command('FETCH 1 FLAGS')), ['* 1 FETCH (FLAGS (\\Recent))']);
    const selecting = await login();
    assert.equal(recentLine(await selecting.command('SELECT INBOX')), '* 1 RECENT');
    assert.deepEqual(untaggedLines(await other.command('STATUS INBOX (RECENT)')), ['* STATUS "INBOX" (RECENT 0)']);
    // A session's STATUS of its own selected mailbox counts what is recent to it.
    assert.deepEqual(untaggedLines(await selecting.command('STATUS INBOX (RECENT)')), ['* STATUS "INBOX" (RECENT 1)']);
  });

  it('a delivery is \\Recent to the first of two selected sessions told of it, with RECENT after EXISTS', async () => {
    const { login, user } = await account(0);
    const one = await login();
    const two = await login();
    await one.command('SELECT INBOX');
    await two.command('SELECT INBOX');
    await server.deliver(user, message('late'));
    assert.deepEqual(untaggedLines(await two.command('NOOP')), ['* 1 EXISTS', '* 1 RECENT']);
    assert.deepEqual(untaggedLines(await one.command('NOOP')), ['* 1 EXISTS', '* 0 RECENT']);
    assert.deepEqual(untaggedLines(await two.command('FETCH 1 FLAGS')), ['* 1 FETCH (FLAGS (\\Recent))']);
    assert.deepEqual(untaggedLines(await one.command('FETCH 1 FLAGS')), ['* 1 FETCH (FLAGS ())']);
  });

  it('an IMAP4rev2 session is never shown \\Recent (RFC 9051 dropped it)', async () => {
    const { login } = await account(1);
    const client = await login();
    await client.command('ENABLE IMAP4rev2');
    const selected = await client.command('SELECT INBOX');
    assert.equal(recentLine(selected), undefined);
    assert.deepEqual(untaggedLines(await client.command('FETCH 1 FLAGS')), ['* 1 FETCH (FLAGS ())']);
  });
});
