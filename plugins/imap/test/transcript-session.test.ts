import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { loggedInClient, RawImapClient, untaggedLines } from './client.ts';
import { ALICE, BOB, type ImapTestServer, PASSWORD, startImapServer } from './helpers.ts';

/** Transcripts of the commands that work without a mailbox: greeting, login, ENABLE, ID, LOGOUT. */

const plain = (login: string, password: string, authzid = '') => Buffer.from(`${authzid}\0${login}\0${password}`).toString('base64');

/** Reads CRLF lines from a socket, for the STARTTLS transcript where the socket changes under us. */
function lineReader(socket: Socket): () => Promise<string | undefined> {
  let buffer = '';
  let ended = false;
  let wake: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('latin1');
    wake?.();
  });
  socket.on('close', () => {
    ended = true;
    wake?.();
  });
  socket.on('error', () => undefined);
  return async () => {
    for (;;) {
      const lf = buffer.indexOf('\n');
      if (lf !== -1) {
        const line = buffer.slice(0, lf).replace(/\r$/, '');
        buffer = buffer.slice(lf + 1);
        return line;
      }
      if (ended) return undefined;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };
}

function capabilitiesOf(line: string): string[] {
  const match = /CAPABILITY ([^\]]*)/.exec(line);
  assert.ok(match, `no CAPABILITY in ${line}`);
  return match[1]!.split(' ');
}

describe('imap transcripts: session commands', () => {
  let server: ImapTestServer;
  let strict: ImapTestServer;
  before(async () => {
    server = await startImapServer();
    strict = await startImapServer({ allowInsecureAuth: false });
  });
  after(async () => {
    await server?.stop();
    await strict?.stop();
  });

  describe('CAPABILITY', () => {
    it('is in the greeting and lists login capabilities before login, the rest after', async () => {
      const { client, greeting } = await RawImapClient.connect(server.port);
      try {
        assert.match(greeting, /^\* OK \[CAPABILITY IMAP4rev1 .*\] /);
        const before = await client.command('CAPABILITY');
        assert.equal(before.lines.length, 2);
        assert.match(before.tagged, /^t1 OK /);
        const pre = capabilitiesOf(before.lines[0]!);
        assert.ok(before.lines[0]!.startsWith('* CAPABILITY '));
        for (const cap of ['IMAP4rev1', 'IMAP4rev2', 'LITERAL+', 'SASL-IR', 'AUTH=PLAIN', 'STARTTLS']) assert.ok(pre.includes(cap), cap);
        assert.ok(!pre.includes('LOGINDISABLED'));
        assert.ok(!pre.includes('QRESYNC'), 'post-login extensions are not advertised before login');
        const login = await client.login(ALICE, PASSWORD);
        // The OK of a login carries the new capability list (RFC 9051 6.2.3).
        assert.match(login.tagged, /^t2 OK \[CAPABILITY /);
        const after = await client.command('CAPABILITY');
        const post = capabilitiesOf(after.lines[0]!);
        for (const cap of ['NAMESPACE', 'UIDPLUS', 'MOVE', 'IDLE', 'CONDSTORE', 'QRESYNC', 'ESEARCH', 'SPECIAL-USE', 'LIST-EXTENDED', 'ENABLE', 'UNSELECT', 'QUOTA']) {
          assert.ok(post.includes(cap), cap);
        }
        assert.ok(!post.includes('AUTH=PLAIN') && !post.includes('STARTTLS'));
        assert.deepEqual(capabilitiesOf(login.tagged), post);
      } finally {
        client.close();
      }
    });

    it('says STARTTLS and LOGINDISABLED on a listener that takes no clear-text passwords', async () => {
      const { client, greeting } = await RawImapClient.connect(strict.port);
      try {
        const caps = capabilitiesOf(greeting);
        assert.ok(caps.includes('STARTTLS'));
        assert.ok(caps.includes('LOGINDISABLED'));
        assert.ok(!caps.includes('AUTH=PLAIN'));
        const login = await client.login(ALICE, PASSWORD);
        assert.match(login.tagged, /^t1 NO \[PRIVACYREQUIRED\] /);
        const auth = await client.command(`AUTHENTICATE PLAIN ${plain(ALICE, PASSWORD)}`);
        assert.match(auth.tagged, /^t2 NO \[PRIVACYREQUIRED\] /);
      } finally {
        client.close();
      }
    });

    it('STARTTLS: OK in clear, commands sent after it in clear are dropped, then AUTH=PLAIN over TLS', async () => {
      const plainSocket = connect({ host: '127.0.0.1', port: strict.port });
      await new Promise<void>((resolve, reject) => plainSocket.once('connect', resolve).once('error', reject));
      const readPlain = lineReader(plainSocket);
      assert.match((await readPlain())!, /^\* OK \[CAPABILITY .*STARTTLS/);
      // `s2` is a plaintext injection attempt (RFC 9051 6.2.1): it must never be answered.
      plainSocket.write('s1 STARTTLS\r\ns2 LOGIN alice x\r\n');
      assert.equal(await readPlain(), 's1 OK Begin TLS negotiation now');
      plainSocket.removeAllListeners('data');
      const secure = tlsConnect({ socket: plainSocket, rejectUnauthorized: false });
      await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
      const readSecure = lineReader(secure);
      secure.write('s3 CAPABILITY\r\n');
      const capability = (await readSecure())!;
      assert.match(capability, /^\* CAPABILITY /);
      const caps = capabilitiesOf(capability);
      assert.ok(caps.includes('AUTH=PLAIN') && !caps.includes('LOGINDISABLED') && !caps.includes('STARTTLS'));
      assert.match((await readSecure())!, /^s3 OK /);
      secure.write(`s4 LOGIN ${ALICE} "${PASSWORD}"\r\n`);
      assert.match((await readSecure())!, /^s4 OK /);
      secure.write('s5 STARTTLS\r\n');
      assert.match((await readSecure())!, /^s5 BAD /);
      secure.destroy();
    });

    it('offers neither STARTTLS nor LOGINDISABLED over implicit TLS', async () => {
      const { client, greeting } = await RawImapClient.connect(strict.tlsPort, { tls: true });
      try {
        const caps = capabilitiesOf(greeting);
        assert.ok(!caps.includes('STARTTLS'));
        assert.ok(!caps.includes('LOGINDISABLED'));
        assert.ok(caps.includes('AUTH=PLAIN'));
        const login = await client.login(ALICE, PASSWORD);
        assert.match(login.tagged, /^t1 OK /);
      } finally {
        client.close();
      }
    });
  });

  describe('LOGIN and AUTHENTICATE', () => {
    it('LOGIN with quoted strings and with literals', async () => {
      const { client } = await RawImapClient.connect(server.port);
      try {
        const reply = await client.login(ALICE, PASSWORD);
        assert.equal(reply.lines.length, 1);
        assert.match(reply.tagged, /^t1 OK \[CAPABILITY [^\]]+\] /);
      } finally {
        client.close();
      }
      const second = await RawImapClient.connect(server.port);
      try {
        second.client.write(`a1 LOGIN {${ALICE.length}}\r\n`);
        assert.match((await second.client.readLine())!, /^\+ /);
        second.client.write(`${ALICE} {${PASSWORD.length}+}\r\n${PASSWORD}\r\n`);
        const reply = await second.client.readUntilTagged('a1');
        assert.match(reply.tagged, /^a1 OK /);
      } finally {
        second.client.close();
      }
    });

    it('a wrong password is NO [AUTHENTICATIONFAILED] and the session may try again', async () => {
      const { client } = await RawImapClient.connect(server.port);
      try {
        const wrong = await client.login(BOB, 'not the password');
        assert.equal(wrong.lines.length, 1);
        assert.match(wrong.tagged, /^t1 NO \[AUTHENTICATIONFAILED\] /);
        const unknown = await client.login('nobody@example.test', PASSWORD);
        assert.match(unknown.tagged, /^t2 NO \[AUTHENTICATIONFAILED\] /);
        assert.match((await client.command('SELECT INBOX')).tagged, /^t3 BAD /);
        assert.match((await client.login(BOB, PASSWORD)).tagged, /^t4 OK /);
      } finally {
        client.close();
      }
    });

    it('AUTHENTICATE PLAIN with an initial response (SASL-IR)', async () => {
      const { client } = await RawImapClient.connect(server.port);
      try {
        const reply = await client.command(`AUTHENTICATE PLAIN ${plain(ALICE, PASSWORD)}`);
        assert.equal(reply.lines.length, 1);
        assert.match(reply.tagged, /^t1 OK \[CAPABILITY /);
        assert.match((await client.command('SELECT INBOX')).tagged, /^t2 OK /);
      } finally {
        client.close();
      }
    });

    it('AUTHENTICATE PLAIN with an authzid equal to the login', async () => {
      const { client } = await RawImapClient.connect(server.port);
      try {
        const reply = await client.command(`AUTHENTICATE PLAIN ${plain(ALICE, PASSWORD, ALICE)}`);
        assert.match(reply.tagged, /^t1 OK /);
      } finally {
        client.close();
      }
    });

    it('AUTHENTICATE PLAIN through a continuation', async () => {
      const { client } = await RawImapClient.connect(server.port);
      try {
        client.write('a1 AUTHENTICATE PLAIN\r\n');
        assert.equal(await client.readLine(), '+ ');
        client.write(`${plain(ALICE, PASSWORD)}\r\n`);
        const reply = await client.readUntilTagged('a1');
        assert.match(reply.tagged, /^a1 OK \[CAPABILITY /);
      } finally {
        client.close();
      }
    });

    it('AUTHENTICATE cancelled with `*` is BAD, and the session is still unauthenticated', async () => {
      const { client } = await RawImapClient.connect(server.port);
      try {
        client.write('a1 AUTHENTICATE PLAIN\r\n');
        assert.equal(await client.readLine(), '+ ');
        client.write('*\r\n');
        const reply = await client.readUntilTagged('a1');
        assert.match(reply.tagged, /^a1 BAD /);
        assert.match((await client.command('SELECT INBOX')).tagged, /^t1 BAD /);
        assert.match((await client.login(ALICE, PASSWORD)).tagged, /^t2 OK /);
      } finally {
        client.close();
      }
    });

    it('bad base64, wrong password and unknown mechanisms are refused', async () => {
      const { client } = await RawImapClient.connect(server.port);
      try {
        assert.match((await client.command('AUTHENTICATE PLAIN !!!notbase64')).tagged, /^t1 BAD /);
        client.write('a2 AUTHENTICATE PLAIN\r\n');
        assert.equal(await client.readLine(), '+ ');
        client.write('%%%\r\n');
        assert.match((await client.readUntilTagged('a2')).tagged, /^a2 BAD /);
        assert.match((await client.command(`AUTHENTICATE PLAIN ${plain(ALICE, 'wrong')}`)).tagged, /^t2 NO \[AUTHENTICATIONFAILED\] /);
        // An authzid naming someone else: this server does not let one user act as another.
        assert.match((await client.command(`AUTHENTICATE PLAIN ${plain(ALICE, PASSWORD, BOB)}`)).tagged, /^t3 (NO|BAD) /);
        assert.match((await client.command('AUTHENTICATE CRAM-MD5')).tagged, /^t4 NO /);
        assert.match((await client.command('AUTHENTICATE')).tagged, /^t5 BAD /);
      } finally {
        client.close();
      }
    });
  });

  describe('commands in the wrong state', () => {
    it('mailbox commands before login are BAD', async () => {
      const { client } = await RawImapClient.connect(server.port);
      try {
        for (const command of ['SELECT INBOX', 'LIST "" "*"', 'STATUS INBOX (MESSAGES)', 'FETCH 1 FLAGS', 'ENABLE QRESYNC', 'NAMESPACE', 'IDLE', 'CREATE foo']) {
          const reply = await client.command(command);
          assert.equal(reply.lines.length, 1, command);
          assert.match(reply.tagged, /^t\d+ BAD /, command);
        }
        // NOOP, CAPABILITY and ID are fine in any state.
        assert.match((await client.command('NOOP')).tagged, /^t\d+ OK /);
      } finally {
        client.close();
      }
    });

    it('LOGIN after login and FETCH without a selected mailbox are BAD', async () => {
      const client = await loggedInClient(server.port, ALICE, PASSWORD);
      try {
        assert.match((await client.login(ALICE, PASSWORD)).tagged, /^t2 BAD /);
        assert.match((await client.command('FETCH 1 FLAGS')).tagged, /^t3 BAD /);
        assert.match((await client.command('CLOSE')).tagged, /^t4 BAD /);
      } finally {
        client.close();
      }
    });
  });

  describe('ENABLE', () => {
    it('reports only what it newly enabled; QRESYNC implies CONDSTORE', async () => {
      const client = await loggedInClient(server.port, ALICE, PASSWORD);
      try {
        const first = await client.command('ENABLE CONDSTORE');
        assert.deepEqual(first.lines, ['* ENABLED CONDSTORE', 't2 OK ENABLE completed']);
        const second = await client.command('ENABLE QRESYNC CONDSTORE');
        assert.deepEqual(untaggedLines(second), ['* ENABLED QRESYNC']);
        const rev2 = await client.command('ENABLE IMAP4rev2 X-UNKNOWN');
        assert.deepEqual(untaggedLines(rev2), ['* ENABLED IMAP4rev2']);
        const again = await client.command('ENABLE IMAP4rev2');
        assert.deepEqual(untaggedLines(again), ['* ENABLED']);
        assert.match((await client.command('ENABLE')).tagged, /^t\d+ BAD /);
      } finally {
        client.close();
      }
    });

    it('QRESYNC alone enables CONDSTORE too', async () => {
      const client = await loggedInClient(server.port, ALICE, PASSWORD);
      try {
        const reply = await client.command('ENABLE QRESYNC');
        assert.deepEqual(untaggedLines(reply), ['* ENABLED CONDSTORE QRESYNC']);
      } finally {
        client.close();
      }
    });

    it('is refused with a mailbox selected (RFC 5161: authenticated state only)', async () => {
      const client = await loggedInClient(server.port, ALICE, PASSWORD);
      try {
        await client.command('SELECT INBOX');
        assert.match((await client.command('ENABLE CONDSTORE')).tagged, /^t3 BAD /);
      } finally {
        client.close();
      }
    });
  });

  describe('ID and NAMESPACE', () => {
    it('ID answers with the server identity, before and after login', async () => {
      const { client } = await RawImapClient.connect(server.port);
      try {
        const reply = await client.command('ID ("name" "test client" "version" "1.0")');
        assert.deepEqual(reply.lines, ['* ID ("name" "Posthorn" "vendor" "Posthorn" "support-url" NIL)', 't1 OK ID completed']);
        assert.match((await client.command('ID NIL')).tagged, /^t2 OK /);
        assert.match((await client.command('ID ("odd")')).tagged, /^t3 BAD /);
        assert.match((await client.command('ID')).tagged, /^t4 BAD /);
      } finally {
        client.close();
      }
    });

    it('NAMESPACE: one personal namespace with `/`', async () => {
      const client = await loggedInClient(server.port, ALICE, PASSWORD);
      try {
        const reply = await client.command('NAMESPACE');
        assert.deepEqual(reply.lines, ['* NAMESPACE (("" "/")) NIL NIL', 't2 OK NAMESPACE completed']);
        assert.match((await client.command('NAMESPACE extra')).tagged, /^t3 BAD /);
      } finally {
        client.close();
      }
    });
  });

  describe('LOGOUT', () => {
    it('answers BYE, then OK, then closes the connection', async () => {
      const client = await loggedInClient(server.port, ALICE, PASSWORD);
      const reply = await client.command('LOGOUT');
      assert.equal(reply.lines.length, 2);
      assert.match(reply.lines[0]!, /^\* BYE /);
      assert.equal(reply.tagged, 't2 OK LOGOUT completed');
      await client.closedByServer();
      assert.equal(client.closed, true);
    });

    it('works before login as well', async () => {
      const { client } = await RawImapClient.connect(server.port);
      const reply = await client.command('LOGOUT');
      assert.match(reply.lines[0]!, /^\* BYE /);
      assert.match(reply.tagged, /^t1 OK /);
      await client.closedByServer();
    });
  });
});
