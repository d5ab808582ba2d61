/**
 * Transcripts of every command in every state, against a real server (accounts-file,
 * mailbox-maildir, pop3) over real loopback sockets, with a raw client.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Pop3Client, unstuff } from './client.ts';
import { ALICE, BOB, INBOX, message, PASSWORD, startPop3Server, type Pop3TestServer } from './helpers.ts';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('POP3 commands', () => {
  let s: Pop3TestServer;
  const messages = [
    message('first', 'Hello Alice.\r\n.a line with a leading dot\r\n..two dots\r\n.\r\nlast line\r\n'),
    message('second', 'line 1\r\nline 2\r\nline 3\r\nline 4\r\n'),
    message('third', 'x'.repeat(70) + '\r\n'),
  ];
  let ids: string[];

  before(async () => {
    s = await startPop3Server();
    for (const text of messages) await s.deliver(ALICE, text);
    ids = (await s.store.listMessages(INBOX(ALICE))).map((m) => m.id);
  });
  after(() => s.stop());

  async function loggedIn(): Promise<Pop3Client> {
    const { client } = await Pop3Client.connect(s.port);
    assert.match(await client.login(ALICE, PASSWORD), /^\+OK /);
    return client;
  }

  it('greets with +OK and the host name, and says goodbye to QUIT before login without touching anything', async () => {
    const { client, greeting } = await Pop3Client.connect(s.port);
    assert.equal(greeting, '+OK mx.test POP3 server ready');
    assert.match(await client.quit(), /^\+OK /);
  });

  it('lists its capabilities with CAPA (RFC 2449), before and after login', async () => {
    const { client } = await Pop3Client.connect(s.port);
    const before = await client.multiline('CAPA');
    assert.equal(before.status, '+OK Capability list follows');
    assert.deepEqual(Pop3Client.lines(before.body!), ['TOP', 'UIDL', 'RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING', 'USER', 'SASL PLAIN', 'STLS']);
    assert.match(await client.login(ALICE, PASSWORD), /^\+OK /);
    const after = await client.multiline('CAPA');
    assert.deepEqual(Pop3Client.lines(after.body!), ['TOP', 'UIDL', 'RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING'], 'nothing for the AUTHORIZATION state');
    await client.quit();
  });

  it('refuses every TRANSACTION command before login, and AUTHORIZATION commands after it', async () => {
    const { client } = await Pop3Client.connect(s.port);
    for (const command of ['STAT', 'LIST', 'RETR 1', 'DELE 1', 'NOOP', 'RSET', 'TOP 1 1', 'UIDL']) {
      assert.equal(await client.command(command), '-ERR Command not valid in this state', command);
    }
    await client.drop();
    const session = await loggedIn();
    for (const command of ['USER alice', 'PASS x', 'AUTH PLAIN', 'STLS']) assert.equal(await session.command(command), '-ERR Command not valid in this state', command);
    await session.quit();
  });

  it('answers unknown commands and APOP (not offered) with -ERR, and keeps the session', async () => {
    const { client } = await Pop3Client.connect(s.port);
    assert.equal(await client.command('HELO there'), '-ERR Unknown command');
    assert.equal(await client.command('APOP alice 0123456789abcdef0123456789abcdef'), '-ERR Unknown command');
    assert.equal(await client.command('X'), '-ERR Unknown command');
    assert.equal(await client.command(''), '-ERR Unknown command');
    assert.match(await client.login(ALICE, PASSWORD), /^\+OK /);
    await client.quit();
  });

  it('takes USER then PASS; PASS alone, or a wrong password, is -ERR and USER must come again', async () => {
    const { client } = await Pop3Client.connect(s.port);
    assert.equal(await client.command(`PASS ${PASSWORD}`), '-ERR Give USER first');
    assert.equal(await client.command('USER'), '-ERR Syntax error in arguments');
    assert.equal(await client.command(`USER ${ALICE}`), '+OK Send your password');
    assert.equal(await client.command('PASS wrong password'), '-ERR [AUTH] Authentication failed');
    assert.equal(await client.command(`PASS ${PASSWORD}`), '-ERR Give USER first', 'a failed PASS forgets the USER');
    assert.equal(await client.command('USER nobody@example.test'), '+OK Send your password', 'USER says nothing about whether the name exists');
    assert.equal(await client.command(`PASS ${PASSWORD}`), '-ERR [AUTH] Authentication failed');
    assert.equal(await client.login(ALICE.toUpperCase(), PASSWORD), '+OK Maildrop has 3 messages (' + (await s.store.status(INBOX(ALICE))).size + ' octets)', 'login names are case-insensitive');
    await client.quit();
  });

  it('takes AUTH PLAIN with an initial response (RFC 5034)', async () => {
    const { client } = await Pop3Client.connect(s.port);
    assert.match(await client.command(`AUTH PLAIN ${b64(`\0${ALICE}\0${PASSWORD}`)}`), /^\+OK Maildrop has 3 messages/);
    await client.quit();
  });

  it('takes AUTH PLAIN with the response on a continuation line, and * cancels it', async () => {
    const { client } = await Pop3Client.connect(s.port);
    assert.equal(await client.command('AUTH PLAIN'), '+ ');
    assert.equal(await client.command('*'), '-ERR Authentication cancelled');
    assert.equal(await client.command('auth plain'), '+ ');
    assert.match(await client.command(b64(`\0${ALICE}\0${PASSWORD}`)), /^\+OK Maildrop has 3 messages/);
    await client.quit();
  });

  it('refuses bad SASL: wrong password, malformed or empty responses, other mechanisms; AUTH alone lists PLAIN', async () => {
    const { client } = await Pop3Client.connect(s.port);
    assert.equal(await client.command(`AUTH PLAIN ${b64(`\0${ALICE}\0wrong`)}`), '-ERR [AUTH] Authentication failed');
    assert.equal(await client.command('AUTH PLAIN not-base64!'), '-ERR [AUTH] Malformed authentication response');
    assert.equal(await client.command('AUTH PLAIN ='), '-ERR [AUTH] Malformed authentication response');
    assert.equal(await client.command(`AUTH PLAIN ${b64(`${BOB}\0${ALICE}\0${PASSWORD}`)}`), '-ERR [AUTH] Malformed authentication response', 'no acting as another user');
    assert.equal(await client.command('AUTH CRAM-MD5'), '-ERR Unsupported authentication mechanism');
    assert.equal(await client.command('AUTH PLAIN a b'), '-ERR Syntax error in arguments');
    const list = await client.multiline('AUTH');
    assert.deepEqual(Pop3Client.lines(list.body!), ['PLAIN']);
    assert.equal(await client.command('AUTH PLAIN'), '+ ');
    assert.equal(await client.command('%%%'), '-ERR [AUTH] Malformed authentication response');
    await client.quit();
  });

  it('STAT, LIST and UIDL describe the maildrop from the store index, UIDL being the store id', async () => {
    const client = await loggedIn();
    const stored = await s.store.listMessages(INBOX(ALICE));
    const total = stored.reduce((sum, m) => sum + m.size, 0);
    assert.equal(await client.command('STAT'), `+OK 3 ${total}`);
    const list = await client.multiline('LIST');
    assert.equal(list.status, `+OK 3 messages (${total} octets)`);
    assert.deepEqual(Pop3Client.lines(list.body!), stored.map((m, i) => `${i + 1} ${m.size}`));
    assert.equal(await client.command('LIST 2'), `+OK 2 ${stored[1]!.size}`);
    const uidl = await client.multiline('UIDL');
    assert.deepEqual(Pop3Client.lines(uidl.body!), ids.map((id, i) => `${i + 1} ${id}`));
    assert.equal(await client.command('UIDL 3'), `+OK 3 ${ids[2]}`);
    for (const id of ids) assert.match(id, /^[\x21-\x7e]{1,70}$/, 'RFC 1939 7: 1 to 70 printable characters');
    await client.quit();
  });

  it('RETR sends the message byte for byte, dot-stuffed, with the stored size', async () => {
    const client = await loggedIn();
    const stored = await s.store.listMessages(INBOX(ALICE));
    for (let i = 0; i < messages.length; i++) {
      const retr = await client.multiline(`RETR ${i + 1}`);
      assert.equal(retr.status, `+OK ${stored[i]!.size} octets`);
      assert.deepEqual(unstuff(retr.body!), await s.store.readMessage(INBOX(ALICE), stored[i]!.uid));
      assert.equal(unstuff(retr.body!).toString('latin1'), messages[i]);
    }
    const first = (await client.multiline('RETR 1')).body!.toString('latin1');
    assert.match(first, /\r\n\.\.a line with a leading dot\r\n\.\.\.two dots\r\n\.\.\r\nlast line\r\n$/, 'each leading dot doubled');
    await client.quit();
  });

  it('RETR in any order gets each message its own bytes (the read-ahead of the next one never leaks)', async () => {
    const client = await loggedIn();
    for (const n of [2, 1, 3, 3, 1, 2, 2]) {
      assert.equal(unstuff((await client.multiline(`RETR ${n}`)).body!).toString('latin1'), messages[n - 1], `RETR ${n}`);
      if (n === 1) assert.match((await client.multiline('TOP 2 0')).body!.toString(), /Subject: second/);
    }
    await client.quit();
  });

  it('TOP sends the header, the blank line and n lines of the body', async () => {
    const client = await loggedIn();
    const header = message('second', '');
    assert.equal(unstuff((await client.multiline('TOP 2 0')).body!).toString('latin1'), header);
    assert.equal(unstuff((await client.multiline('TOP 2 2')).body!).toString('latin1'), `${header}line 1\r\nline 2\r\n`);
    assert.equal(unstuff((await client.multiline('TOP 2 100')).body!).toString('latin1'), messages[1]);
    assert.equal((await client.multiline('TOP 1 2')).body!.toString('latin1'), `${message('first', '')}Hello Alice.\r\n..a line with a leading dot\r\n`, 'dot-stuffed as well');
    for (const bad of ['TOP', 'TOP 1', 'TOP 1 -1', 'TOP x 1', 'TOP 1 1 1']) assert.equal(await client.command(bad), '-ERR Syntax error in arguments', bad);
    assert.equal(await client.command('TOP 9 1'), '-ERR No such message');
    await client.quit();
  });

  it('refuses message numbers that are malformed or out of range', async () => {
    // Two sessions: each syntax error counts towards the limit of 10 per session.
    const client = await loggedIn();
    for (const command of ['RETR', 'RETR -1', 'RETR one', 'RETR 1.0', 'RETR 1 2', 'RETR 9999999999', 'LIST x', 'DELE']) {
      assert.equal(await client.command(command), '-ERR Syntax error in arguments', command);
    }
    for (const command of ['RETR 0', 'RETR 4', 'LIST 4', 'UIDL 999', 'UIDL 0', 'DELE 4', 'TOP 0 1']) assert.equal(await client.command(command), '-ERR No such message', command);
    assert.match(await client.command('LIST 01'), /^\+OK 1 \d+$/, 'a number with a leading zero is still a number');
    await client.quit();
    const second = await loggedIn();
    for (const command of ['STAT x', 'NOOP x', 'RSET x', 'QUIT x']) assert.equal(await second.command(command), '-ERR Syntax error in arguments', command);
    assert.equal(await second.command('NOOP'), '+OK');
    await second.quit();
  });

  it('DELE marks a message: it disappears from STAT, LIST, UIDL and RETR; RSET brings it back; nothing reaches the store', async () => {
    const client = await loggedIn();
    const stored = await s.store.listMessages(INBOX(ALICE));
    const total = stored.reduce((sum, m) => sum + m.size, 0);
    assert.equal(await client.command('DELE 2'), '+OK Message 2 deleted');
    assert.equal(await client.command('DELE 2'), '-ERR Message 2 already deleted');
    assert.equal(await client.command('STAT'), `+OK 2 ${total - stored[1]!.size}`);
    assert.deepEqual(Pop3Client.lines((await client.multiline('LIST')).body!), [`1 ${stored[0]!.size}`, `3 ${stored[2]!.size}`], 'numbers do not shift');
    assert.deepEqual(Pop3Client.lines((await client.multiline('UIDL')).body!), [`1 ${ids[0]}`, `3 ${ids[2]}`]);
    for (const command of ['RETR 2', 'TOP 2 0', 'LIST 2', 'UIDL 2']) assert.equal(await client.command(command), '-ERR Message 2 already deleted', command);
    assert.equal(await client.command('RSET'), `+OK Maildrop has 3 messages (${total} octets)`);
    assert.equal(await client.command('STAT'), `+OK 3 ${total}`);
    assert.equal((await s.store.listMessages(INBOX(ALICE))).length, 3);
    await client.quit();
    assert.equal((await s.store.listMessages(INBOX(ALICE))).length, 3, 'RSET then QUIT deletes nothing');
  });

  it('answers pipelined commands in order (PIPELINING)', async () => {
    const { client } = await Pop3Client.connect(s.port);
    client.write(`USER ${ALICE}\r\nPASS ${PASSWORD}\r\nSTAT\r\nLIST 1\r\nNOOP\r\nUIDL 1\r\nQUIT\r\n`);
    const lines = [];
    for (let i = 0; i < 7; i++) lines.push(await client.line());
    assert.equal(lines[0], '+OK Send your password');
    assert.match(lines[1]!, /^\+OK Maildrop has 3/);
    assert.match(lines[2]!, /^\+OK 3 \d+$/);
    assert.match(lines[3]!, /^\+OK 1 \d+$/);
    assert.equal(lines[4], '+OK');
    assert.equal(lines[5], `+OK 1 ${ids[0]}`);
    assert.match(lines[6]!, /^\+OK /);
    await client.closed;
  });

  it('shows bob his own maildrop, not alice\'s', async () => {
    await s.deliver(BOB, message('for bob'));
    const { client } = await Pop3Client.connect(s.port);
    assert.match(await client.login(BOB, PASSWORD), /^\+OK Maildrop has 1 message \(/);
    assert.match(unstuff((await client.multiline('RETR 1')).body!).toString(), /Subject: for bob/);
    await client.quit();
  });
});
