import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loggedInClient, RawImapClient, untaggedLines } from './client.ts';
import { ALICE, BOB, type ImapTestServer, message, PASSWORD, startImapServer } from './helpers.ts';

/** Hostile and odd input: literals, long lines, NUL bytes, bad names, error floods. */

describe('imap robustness', () => {
  let server: ImapTestServer;
  /** Low error and pre-login limits, so the floods are short. */
  let tight: ImapTestServer;
  const clients: RawImapClient[] = [];
  before(async () => {
    server = await startImapServer({ imap: { maxLineLength: 4096, maxLiteral: 4096, maxMessageSize: 8192 } });
    tight = await startImapServer({ imap: { maxErrors: 3, maxUnauthenticatedCommands: 4 } });
    await server.deliver(ALICE, message('only'));
  });
  after(async () => {
    for (const client of clients) client.close();
    await server?.stop();
    await tight?.stop();
  });

  async function connect(on = server): Promise<RawImapClient> {
    const { client, greeting } = await RawImapClient.connect(on.port);
    assert.match(greeting, /^\* OK /);
    clients.push(client);
    return client;
  }

  async function login(on = server): Promise<RawImapClient> {
    const client = await loggedInClient(on.port, ALICE, PASSWORD);
    clients.push(client);
    return client;
  }

  /** The server still serves others: a fresh client logs in and selects. */
  async function assertServes(on = server): Promise<void> {
    const client = await loggedInClient(on.port, BOB, PASSWORD);
    try {
      assert.match((await client.command('SELECT INBOX')).tagged, /^t2 OK /);
    } finally {
      client.close();
    }
  }

  describe('literals', () => {
    it('a huge synchronising literal is refused at once, without a `+`, and the session goes on', async () => {
      const client = await connect();
      client.write('a1 LOGIN {999999999999}\r\n');
      assert.equal(await client.readLine(), 'a1 BAD [TOOBIG] Literal too big');
      // The client did not send the literal; the next line is a new command.
      assert.match((await client.login(ALICE, PASSWORD)).tagged, /^t1 OK /);
      client.write('a2 APPEND INBOX {999999999999}\r\n');
      assert.equal(await client.readLine(), 'a2 NO [TOOBIG] Message too big');
      assert.match((await client.command('NOOP')).tagged, /^t2 OK /);
      await assertServes();
    });

    it('a literal size beyond 12 digits is a syntax error, not a huge allocation', async () => {
      const client = await connect();
      client.write('a1 LOGIN {99999999999999999999}\r\n');
      assert.match((await client.readUntilTagged('a1')).tagged, /^a1 BAD /);
      assert.match((await client.command('NOOP')).tagged, /^t1 OK /);
    });

    it('an over-limit non-synchronising literal gets BYE and the connection is closed', async () => {
      const client = await connect();
      client.write('a1 LOGIN {999999999+}\r\n');
      assert.equal(await client.readLine(), '* BYE [TOOBIG] Literal too big');
      await client.closedByServer();
      await assertServes();
    });

    it('a literal just over maxLiteral is refused, one just under accepted', async () => {
      const client = await login();
      client.write('a1 STATUS {4097}\r\n');
      assert.match((await client.readLine())!, /^a1 BAD \[TOOBIG\] /);
      client.write('a2 STATUS {5}\r\n');
      assert.match((await client.readLine())!, /^\+ /);
      client.write('INBOX (MESSAGES)\r\n');
      const reply = await client.readUntilTagged('a2');
      assert.deepEqual(reply.lines, ['* STATUS "INBOX" (MESSAGES 1)', 'a2 OK STATUS completed']);
    });

    it('synchronising literals get a `+` each; LITERAL+ ones none', async () => {
      const client = await connect();
      client.write(`a1 LOGIN {${ALICE.length}}\r\n`);
      assert.equal(await client.readLine(), '+ Ready for literal data');
      client.write(`${ALICE} {${PASSWORD.length}}\r\n`);
      assert.equal(await client.readLine(), '+ Ready for literal data');
      client.write(`${PASSWORD}\r\n`);
      assert.match((await client.readUntilTagged('a1')).tagged, /^a1 OK /);
      const other = await connect();
      other.write(`b1 LOGIN {${ALICE.length}+}\r\n${ALICE} {${PASSWORD.length}+}\r\n${PASSWORD}\r\n`);
      const reply = await other.readUntilTagged('b1');
      assert.deepEqual(reply.lines.length, 1, 'no continuation request');
      assert.match(reply.tagged, /^b1 OK /);
    });

    it('an over-size APPEND with LITERAL+ gets BYE; a synchronising one NO [TOOBIG]', async () => {
      const client = await login();
      client.write('a1 APPEND INBOX {9000}\r\n');
      assert.equal(await client.readLine(), 'a1 NO [TOOBIG] Message too big');
      client.write('a2 APPEND INBOX {9000+}\r\n');
      assert.match((await client.readLine())!, /^\* BYE \[TOOBIG\]/);
      await client.closedByServer();
      await assertServes();
    });
  });

  describe('framing', () => {
    it('pipelined commands are answered in order', async () => {
      const client = await login();
      const body = message('pipelined');
      client.write(
        `p1 SELECT INBOX\r\np2 FETCH 1 (UID)\r\np3 APPEND INBOX {${body.length}+}\r\n${body}\r\np4 NOOP\r\np5 BOGUS\r\np6 UID SEARCH ALL\r\np7 STATUS INBOX (MESSAGES)\r\n`,
      );
      const tags: string[] = [];
      for (const tag of ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7']) tags.push((await client.readUntilTagged(tag)).tagged.split(' ').slice(0, 2).join(' '));
      assert.deepEqual(tags, ['p1 OK', 'p2 OK', 'p3 OK', 'p4 OK', 'p5 BAD', 'p6 OK', 'p7 OK']);
    });

    it('a flood of pipelined commands in one write is answered completely and in order', async () => {
      const client = await login();
      let batch = '';
      for (let i = 0; i < 2000; i++) batch += `n${i} ${i % 3 === 0 ? 'NOOP' : i % 3 === 1 ? 'CAPABILITY' : 'STATUS INBOX (MESSAGES)'}\r\n`;
      client.write(batch);
      for (let i = 0; i < 2000; i++) assert.match((await client.readUntilTagged(`n${i}`)).tagged, new RegExp(`^n${i} OK `));
      assert.match((await client.command('NOOP')).tagged, / OK /);
    });

    it('an over-long line is BAD (tagged when the tag is readable) and the session goes on', async () => {
      const client = await login();
      client.write(`x1 NOOP ${'a'.repeat(5000)}\r\n`);
      assert.equal(await client.readLine(), 'x1 BAD [TOOBIG] Command line too long');
      client.write(`${'b'.repeat(10_000)}\r\n`);
      assert.match((await client.readLine())!, / BAD \[TOOBIG\] /);
      assert.match((await client.command('NOOP')).tagged, /^t2 OK /);
      // Across several writes, and a line after a literal.
      for (let i = 0; i < 3; i++) client.write('c'.repeat(2000));
      client.write('\r\n');
      assert.match((await client.readLine())!, / BAD \[TOOBIG\] /);
      client.write(`x2 STATUS {5+}\r\nINBOX ${'d'.repeat(5000)}\r\n`);
      assert.equal(await client.readLine(), 'x2 BAD [TOOBIG] Command line too long');
      assert.match((await client.command('NOOP')).tagged, /^t3 OK /);
    });

    it('NUL bytes in commands are BAD, not a crash', async () => {
      const client = await connect();
      client.write('a1 NOOP\0\r\n');
      assert.match((await client.readLine())!, /^a1 BAD /);
      client.write('a2 LOGIN "alice\0" x\r\n');
      assert.match((await client.readLine())!, /^a2 BAD /);
      client.write('\0\0\0\r\n');
      assert.match((await client.readLine())!, /^\* BAD /);
      // The tag ends at the NUL: `a` is answered, the rest is a syntax error.
      client.write('a\x003 NOOP\r\n');
      assert.match((await client.readLine())!, /^a BAD /);
      assert.match((await client.login(ALICE, PASSWORD)).tagged, /^t1 OK /);
    });

    it('unknown commands, UID BOGUS and malformed lines are BAD', async () => {
      const client = await login();
      await client.command('SELECT INBOX');
      for (const [command, pattern] of [
        ['XYZZY', /^t\d+ BAD /],
        ['UID BOGUS 1', /^t\d+ BAD /],
        ['UID', /^t\d+ BAD /],
        ['UID CAPABILITY', /^t\d+ BAD /],
        ['FETCH', /^t\d+ BAD /],
        ['FETCH 1 (FLAGS', /^t\d+ BAD /],
        ['FETCH 1 FLAGS)', /^t\d+ BAD /],
        ['FETCH 1 BODY[HEADER', /^t\d+ BAD /],
        ['FETCH 1 "FLAGS', /^t\d+ BAD /],
        ['FETCH 1 ((((((((((((((((((((FLAGS))))))))))))))))))))', /^t\d+ BAD /],
        ['SEARCH (((', /^t\d+ BAD /],
        ['NOOP ', /^t\d+ BAD /],
        ['LIST "" "\\x"', /^t\d+ BAD /],
      ] as const) {
        const reply = await client.command(command);
        assert.match(reply.tagged, pattern, command);
      }
      client.write('\r\n');
      assert.match((await client.readLine())!, /^\* BAD /);
      client.write('+tag NOOP\r\n');
      assert.match((await client.readLine())!, /^\* BAD /);
      assert.match((await client.command('NOOP')).tagged, / OK /);
    });

    it('sequence numbers beyond the mailbox are BAD; unknown UIDs are simply absent', async () => {
      const client = await login();
      await client.command('SELECT INBOX');
      assert.match((await client.command('FETCH 99 FLAGS')).tagged, / BAD /);
      assert.match((await client.command('FETCH 0 FLAGS')).tagged, / BAD /);
      assert.match((await client.command('FETCH 1:99999999999 FLAGS')).tagged, / BAD /);
      assert.match((await client.command('STORE 99 +FLAGS (\\Seen)')).tagged, / BAD /);
      assert.match((await client.command('COPY 5 Trash')).tagged, / BAD /);
      assert.match((await client.command('FETCH 1:-1 FLAGS')).tagged, / BAD /);
      const uid = await client.command('UID FETCH 50:60 FLAGS');
      assert.deepEqual(uid.lines.length, 1);
      assert.match(uid.tagged, / OK /);
      assert.deepEqual(untaggedLines(await client.command('FETCH * (UID)')).length, 1);
    });
  });

  describe('mailbox names', () => {
    it('names with `..`, a leading `/`, NUL or invalid modified UTF-7 are NO [CANNOT] and create nothing', async () => {
      const client = await login();
      const before = (await server.store.listMailboxes(ALICE)).map((box) => box.name).sort();
      for (const name of ['..', 'a/../b', '../../etc', '"a/./b"', '/leading', '"//x"', '&Jjo', '"&Jjo-x&"', '&AGEAYgBj-', 'a//b']) {
        const reply = await client.command(`CREATE ${name}`);
        assert.match(reply.tagged, /^t\d+ NO \[CANNOT\] /, name);
      }
      client.write('n1 CREATE {5}\r\n');
      assert.match((await client.readLine())!, /^\+ /);
      client.write('a\0b/c\r\n');
      assert.match((await client.readUntilTagged('n1')).tagged, /^n1 NO \[CANNOT\] /);
      for (const command of ['SELECT ..', 'RENAME INBOX ../x', 'RENAME ../x y', 'DELETE /etc', 'STATUS &Jjo (MESSAGES)', 'APPEND ../x {1+}\r\nx']) {
        assert.match((await client.command(command)).tagged, /^t\d+ NO /, command);
      }
      const after = (await server.store.listMailboxes(ALICE)).map((box) => box.name).sort();
      assert.deepEqual(after, before);
      await assertServes();
    });
  });

  describe('limits', () => {
    it('many BADs in a row end in BYE', async () => {
      const client = await connect(tight);
      assert.match((await client.login(ALICE, PASSWORD)).tagged, / OK /);
      for (let i = 0; i < 3; i++) assert.match((await client.command('BOGUS')).tagged, / BAD /);
      client.write('x BOGUS\r\n');
      assert.equal(await client.readLine(), '* BYE Too many errors');
      await client.closedByServer();
      await assertServes(tight);
    });

    it('a good command resets the count of BADs', async () => {
      const client = await connect(tight);
      assert.match((await client.login(ALICE, PASSWORD)).tagged, / OK /);
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 3; i++) assert.match((await client.command('BOGUS')).tagged, / BAD /);
        assert.match((await client.command('NOOP')).tagged, / OK /);
      }
    });

    it('too many commands before login end in BYE', async () => {
      const client = await connect(tight);
      for (let i = 0; i < 4; i++) assert.match((await client.command('NOOP')).tagged, / OK /);
      client.write('x NOOP\r\n');
      assert.equal(await client.readLine(), '* BYE Too many commands before login');
      await client.closedByServer();
      await assertServes(tight);
    });

    it('a client that hangs up mid-literal or mid-IDLE leaves the server serving', async () => {
      const first = await connect();
      first.write('a1 LOGIN {100}\r\n');
      await first.readLine();
      first.write('partial');
      first.close();
      const second = await login();
      await second.command('SELECT INBOX');
      second.write('i1 IDLE\r\n');
      await second.readLine();
      second.close();
      await assertServes();
    });
  });
});
