import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type RawImapClient, untaggedLines, waitForLine } from './client.ts';
import { message, transcriptServer } from './helpers.ts';

/** Two sessions on one mailbox: what each learns of the other's changes, and when (RFC 9051 7.5.1). */

describe('imap transcripts: two sessions on one mailbox', () => {
  const server = transcriptServer('two', 8);

  async function pair(count: number): Promise<{ one: RawImapClient; two: RawImapClient; user: string }> {
    const user = server.freshUser();
    for (let i = 1; i <= count; i++) await server.deliver(user, message(`m${i}`));
    const one = await server.login(user);
    const two = await server.login(user);
    assert.ok((await one.command('SELECT INBOX')).lines.includes(`* ${count} EXISTS`));
    assert.ok((await two.command('SELECT INBOX')).lines.includes(`* ${count} EXISTS`));
    return { one, two, user };
  }

  it("a STORE in one session is an untagged FETCH FLAGS at the other's next NOOP", async () => {
    const { one, two } = await pair(2);
    await one.command('STORE 2 +FLAGS (\\Flagged)');
    const noop = await two.command('NOOP');
    assert.deepEqual(noop.lines, ['* 2 FETCH (UID 2 FLAGS (\\Flagged))', 't3 OK NOOP completed']);
    // Reported once only.
    assert.deepEqual(untaggedLines(await two.command('NOOP')), []);
    // The session that stored it is not told again.
    assert.deepEqual(untaggedLines(await one.command('NOOP')), []);
  });

  it("an EXPUNGE in one session reaches the other at NOOP, not during its FETCH", async () => {
    const { one, two } = await pair(3);
    await one.command('STORE 2 +FLAGS.SILENT (\\Deleted)');
    const expunged = await one.command('EXPUNGE');
    assert.deepEqual(untaggedLines(expunged), ['* 2 EXPUNGE']);
    // FETCH must not announce the expunge (sequence numbers would shift under the client).
    const fetched = await two.command('FETCH 1:3 (UID)');
    assert.ok(!fetched.lines.some((line) => line.includes('EXPUNGE')), fetched.lines.join('\n'));
    assert.ok(fetched.lines.includes('* 1 FETCH (UID 1)'));
    assert.ok(fetched.lines.includes('* 3 FETCH (UID 3)'));
    assert.match(fetched.tagged, /^t3 (OK|NO) /);
    // Neither may STORE or SEARCH.
    const searched = await two.command('SEARCH ALL');
    assert.ok(!searched.lines.some((line) => line.includes('EXPUNGE')));
    const noop = await two.command('NOOP');
    assert.deepEqual(noop.lines, ['* 2 EXPUNGE', 't5 OK NOOP completed']);
    assert.deepEqual(untaggedLines(await two.command('UID SEARCH ALL')), ['* SEARCH 1 3']);
  });

  it('a delivery during IDLE yields EXISTS in the idling session', async () => {
    const { two, user } = await pair(1);
    two.write('i1 IDLE\r\n');
    assert.match((await two.readLine())!, /^\+ /);
    await server.deliver(user, message('new'));
    assert.equal(await waitForLine(two, (line) => line.startsWith('* ')), '* 2 EXISTS');
    two.write('DONE\r\n');
    assert.match((await two.readUntilTagged('i1')).tagged, /^i1 OK /);
  });

  it("another session's STORE and EXPUNGE reach an idling session as they happen", async () => {
    const { one, two } = await pair(2);
    two.write('i1 IDLE\r\n');
    assert.match((await two.readLine())!, /^\+ /);
    await one.command('STORE 1 +FLAGS (\\Seen)');
    assert.equal(await waitForLine(two, (line) => line.startsWith('* ')), '* 1 FETCH (UID 1 FLAGS (\\Seen))');
    await one.command('STORE 1 +FLAGS.SILENT (\\Deleted)');
    await one.command('EXPUNGE');
    // The \Deleted flag change may or may not be seen before the expunge; the expunge must be.
    assert.equal(await waitForLine(two, (line) => line.endsWith('EXPUNGE')), '* 1 EXPUNGE');
    two.write('DONE\r\n');
    assert.match((await two.readUntilTagged('i1')).tagged, /^i1 OK /);
    assert.deepEqual(untaggedLines(await two.command('UID SEARCH ALL')), ['* SEARCH 2']);
  });

  it('a DELETE of the mailbox another session has selected expunges everything there; a new one gets a new UIDVALIDITY', async () => {
    const { one, two } = await pair(1);
    await one.command('CREATE Shared');
    await one.command('COPY 1 Shared');
    const first = await two.command('SELECT Shared');
    const validity = first.lines.find((line) => line.includes('UIDVALIDITY'));
    assert.ok(first.lines.includes('* 1 EXISTS'));
    assert.match((await one.command('DELETE Shared')).tagged, / OK /);
    // Told of the expunges and, as a warning, why (the same for a RENAME by another session).
    assert.deepEqual(untaggedLines(await two.command('NOOP')), ['* 1 EXPUNGE', '* NO [NONEXISTENT] The selected mailbox was deleted or renamed']);
    assert.match((await two.command('FETCH 1 FLAGS')).tagged, / BAD /);
    await one.command('CREATE Shared');
    const again = await two.command('SELECT Shared');
    assert.ok(again.lines.includes('* 0 EXISTS'));
    assert.notEqual(again.lines.find((line) => line.includes('UIDVALIDITY')), validity);
  });

  it('a RENAME of the mailbox another session has selected: the messages go with it, the session is told', async () => {
    const { one, two } = await pair(2);
    await one.command('CREATE Projects/Old');
    await one.command('COPY 1:2 Projects/Old');
    assert.ok((await two.command('SELECT Projects/Old')).lines.includes('* 2 EXISTS'));
    assert.match((await one.command('RENAME Projects Archive/Projects')).tagged, / OK /);
    assert.deepEqual(untaggedLines(await two.command('NOOP')), ['* 2 EXPUNGE', '* 1 EXPUNGE', '* NO [NONEXISTENT] The selected mailbox was deleted or renamed']);
    assert.ok((await two.command('SELECT Archive/Projects/Old')).lines.includes('* 2 EXISTS'));
  });

  it('a message that arrives and is expunged between two updates is never announced', async () => {
    const { one, two } = await pair(1);
    const body = message('short-lived');
    one.write(`a1 APPEND INBOX {${body.length}+}\r\n${body}\r\n`);
    await one.readUntilTagged('a1');
    await one.command('STORE 2 +FLAGS.SILENT (\\Deleted)');
    await one.command('EXPUNGE');
    // No EXPUNGE or FETCH for message 2, which this session never heard of.
    assert.deepEqual(untaggedLines(await two.command('NOOP')), []);
    assert.deepEqual(untaggedLines(await two.command('UID SEARCH ALL')), ['* SEARCH 1']);
  });

  it('APPEND by one session is EXISTS at the other; UIDs are not reused after an expunge', async () => {
    const { one, two } = await pair(1);
    await one.command('STORE 1 +FLAGS.SILENT (\\Deleted)');
    await one.command('EXPUNGE');
    const body = message('appended');
    one.write(`a1 APPEND INBOX {${body.length}+}\r\n${body}\r\n`);
    assert.match((await one.readUntilTagged('a1')).tagged, /^a1 OK \[APPENDUID \d+ 2\] /);
    const noop = await two.command('NOOP');
    // The appending session was told first (at its APPEND's completion), so it is not \Recent here.
    assert.deepEqual(untaggedLines(noop), ['* 1 EXPUNGE', '* 1 EXISTS', '* 0 RECENT']);
    assert.deepEqual(untaggedLines(await two.command('FETCH 1 UID')), ['* 1 FETCH (UID 2)']);
  });
});
