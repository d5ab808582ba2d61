/**
 * POP3 end to end: the real binary with accounts-file, mailbox-maildir, queue-fs and pop3;
 * messages delivered by SMTP through the same server; then curl (pop3:// with and without
 * STLS, pop3s://) and Python's poplib list, retrieve and delete them. What they retrieve must
 * be byte for byte what the Maildir holds, a message with lines that start with a dot and one
 * larger than the server's 1 MiB read chunk included.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SmtpClient } from '@posthorn/testkit';
import { readInbox, type StoredMessage } from './helpers/maildir.ts';
import { createInstallation, type Installation } from './helpers/posthorn.ts';
import { describeRun, onPath, type ProgramBytesResult, runProgramBytes } from './helpers/programs.ts';
import { poplibRetrieveAndDelete, PYTHON } from './helpers/poplib.ts';
import { waitFor } from './helpers/wait.ts';

const ALICE = 'alice@localhost';
const PASSWORD = `password of ${ALICE}`;

type Run = ProgramBytesResult;
/** Runs a program and keeps its standard output as bytes (message content is compared byte for byte). */
const run = (file: string, args: readonly string[], input = ''): Promise<Run> => runProgramBytes(file, args, { input, timeoutMs: 60_000 });
const explain = describeRun;

/** The messages alice is sent: small, with dot lines, with 8-bit text, and one over 1 MiB. */
function messages(token: string): Buffer[] {
  const head = (subject: string) => `From: Sender <x@example.org>\r\nTo: Alice <alice@localhost>\r\nSubject: ${subject} ${token}\r\nMessage-ID: <${subject}.${token}@example.org>\r\n\r\n`;
  const big = Array.from({ length: 20_000 }, (_, i) => (i % 97 === 0 ? `.dotted line ${i}` : `line ${i} of a long message, long enough to need several reads`)).join('\r\n');
  return [
    Buffer.from(`${head('plain')}Hello Alice.\r\n`),
    Buffer.from(`${head('dots')}.a line that starts with a dot\r\n.\r\n..two dots\r\n. space after a dot\r\nend\r\n.last line with a dot\r\n`),
    Buffer.from(`${head('eight-bit')}Grüße aus Köln, 日本語, emoji 📬\r\n`, 'utf8'),
    Buffer.from(`${head('big')}${big}\r\n`),
  ];
}

describe('POP3 against the real binary, with curl and poplib', { skip: !onPath('curl') ? 'curl is not on PATH (CI installs it)' : false }, () => {
  let install: Installation;
  let inbox: StoredMessage[];
  let sent: Buffer[];
  const base64 = (bytes: Buffer) => bytes.toString('base64');
  /** Stored messages as a sorted list, to compare with what a client retrieved (order-free). */
  const asSet = (list: readonly Buffer[]) => list.map(base64).sort();

  before(async () => {
    install = await createInstallation({
      users: [ALICE],
      extraPlugins: [{ plugin: 'pop3', options: { listeners: [{ name: 'pop3', port: 0, allowInsecureAuth: true }, { name: 'pop3s', port: 0, tls: 'implicit' }], baseDelayMs: 1, maxDelayMs: 4 } }],
    });
    sent = messages(randomUUID());
    const smtp = await SmtpClient.open(install.port('mx'));
    for (const message of sent) assert.equal((await smtp.send(message, { from: 'x@example.org', to: [ALICE] })).code, 250);
    await smtp.command('QUIT');
    inbox = await waitFor(async () => {
      const found = await readInbox(install.maildir(ALICE));
      return found.length === sent.length ? found : undefined;
    }, `${sent.length} messages in alice's Maildir`);
    // Delivered by SMTP: our Received field on top of exactly the bytes sent.
    for (const message of sent) assert.ok(inbox.some((stored) => stored.bytes.subarray(stored.bytes.length - message.length).equals(message)));
  });
  after(async () => {
    await install?.dispose();
  });

  const curl = (url: string, ...args: string[]) => run('curl', ['-sS', '--max-time', '30', '-u', `${ALICE}:${PASSWORD}`, ...args, url]);

  it('lists with curl (pop3://, clear text from loopback where the listener allows it)', async () => {
    const result = await curl(`pop3://127.0.0.1:${install.port('pop3')}/`);
    assert.equal(result.code, 0, explain(result));
    const lines = result.stdout.toString('latin1').trimEnd().split('\r\n');
    assert.equal(lines.length, inbox.length);
    assert.deepEqual(lines.map((line) => Number(line.split(' ')[1])).sort((a, b) => a - b), inbox.map((m) => m.bytes.length).sort((a, b) => a - b), 'sizes as stored');
    assert.deepEqual(lines.map((line) => line.split(' ')[0]), inbox.map((_, i) => String(i + 1)));
  });

  it('retrieves every message with curl byte for byte, over pop3://, STLS and pop3s://', async () => {
    const plain: Buffer[] = [];
    for (let n = 1; n <= inbox.length; n++) {
      const result = await curl(`pop3://127.0.0.1:${install.port('pop3')}/${n}`);
      assert.equal(result.code, 0, explain(result));
      plain.push(result.stdout);
    }
    assert.deepEqual(asSet(plain), asSet(inbox.map((m) => m.bytes)));
    for (let n = 1; n <= inbox.length; n++) {
      const stls = await curl(`pop3://127.0.0.1:${install.port('pop3')}/${n}`, '--ssl-reqd', '-k');
      assert.equal(stls.code, 0, explain(stls));
      assert.ok(stls.stdout.equals(plain[n - 1]!), `message ${n} over STLS`);
      const implicit = await curl(`pop3s://127.0.0.1:${install.port('pop3s')}/${n}`, '-k');
      assert.equal(implicit.code, 0, explain(implicit));
      assert.ok(implicit.stdout.equals(plain[n - 1]!), `message ${n} over pop3s`);
    }
  });

  it('lists, retrieves byte for byte, and reads UIDLs with poplib (STLS and POP3_SSL)', async () => {
    const script = `
import base64, json, poplib, ssl, sys
port, tls_port, user, password = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
def session(p):
    p.user(user)
    p.pass_(password)
    count, size = p.stat()
    listing = [line.decode() for line in p.list()[1]]
    uidl = [line.decode() for line in p.uidl()[1]]
    bodies = []
    for n in range(1, count + 1):
        lines = p.retr(n)[1]
        bodies.append(base64.b64encode(b"".join(line + b"\\r\\n" for line in lines)).decode())
    top = p.top(1, 0)[1]
    p.quit()
    return {"count": count, "size": size, "list": listing, "uidl": uidl, "bodies": bodies, "top": len(top)}
plain = poplib.POP3("127.0.0.1", port, timeout=30)
caps = sorted(plain.capa().keys())
plain.stls(context)
first = session(plain)
second = session(poplib.POP3_SSL("127.0.0.1", tls_port, context=context, timeout=30))
print(json.dumps({"caps": caps, "first": first, "second": second}))
`;
    const result = await run(PYTHON, ['-c', script, String(install.port('pop3')), String(install.port('pop3s')), ALICE, PASSWORD]);
    assert.equal(result.code, 0, explain(result));
    type Session = { count: number; size: number; list: string[]; uidl: string[]; bodies: string[]; top: number };
    const out = JSON.parse(result.stdout.toString()) as { caps: string[]; first: Session; second: Session };
    assert.deepEqual(out.caps, ['AUTH-RESP-CODE', 'PIPELINING', 'RESP-CODES', 'SASL', 'STLS', 'TOP', 'UIDL', 'USER']);
    assert.equal(out.first.count, inbox.length);
    assert.equal(out.first.size, inbox.reduce((sum, m) => sum + m.bytes.length, 0));
    // poplib hands back lines without their CRLF and already un-stuffed; joined with CRLF they are the message.
    assert.deepEqual([...out.first.bodies].sort(), asSet(inbox.map((m) => m.bytes)));
    assert.deepEqual(out.second.bodies, out.first.bodies, 'the same over implicit TLS');
    assert.deepEqual(out.second.uidl, out.first.uidl, 'UIDLs are stable across sessions');
    assert.ok(out.first.top > 3);
  });

  it('deletes with poplib only at QUIT: a dropped session deletes nothing', async () => {
    const script = `
import poplib, sys
p = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=30)
p.user(sys.argv[2])
p.pass_(sys.argv[3])
print(p.dele(1).decode())
p.sock.close()
`;
    const result = await run(PYTHON, ['-c', script, String(install.port('pop3')), ALICE, PASSWORD]);
    assert.equal(result.code, 0, explain(result));
    assert.match(result.stdout.toString(), /^\+OK Message 1 deleted/);
    // The server releases the lock when it sees the close; the next session waits for it.
    const listing = await waitFor(async () => {
      const list = await curl(`pop3://127.0.0.1:${install.port('pop3')}/`);
      return list.code === 0 ? list : undefined;
    }, 'the maildrop free again');
    assert.equal(listing.stdout.toString().trimEnd().split('\r\n').length, inbox.length, 'still every message');
    assert.equal((await readInbox(install.maildir(ALICE))).length, inbox.length);
  });

  it('deletes with curl -X DELE and with poplib dele + quit; the Maildir loses exactly those messages', async () => {
    const port = install.port('pop3');
    const first = await curl(`pop3://127.0.0.1:${port}/1`);
    const deleted = await curl(`pop3://127.0.0.1:${port}/1`, '-X', 'DELE', '-I');
    assert.equal(deleted.code, 0, explain(deleted));
    let left = await readInbox(install.maildir(ALICE));
    assert.equal(left.length, inbox.length - 1);
    assert.ok(!left.some((m) => m.bytes.equals(first.stdout)), 'the message curl deleted is gone from the Maildir');

    // The brief's form: a custom command on the maildrop URL (-I: a one-line answer, no body).
    const second = await curl(`pop3://127.0.0.1:${port}/1`);
    const custom = await curl(`pop3://127.0.0.1:${port}/`, '-X', 'DELE 1', '-I');
    assert.equal(custom.code, 0, explain(custom));
    left = await readInbox(install.maildir(ALICE));
    assert.equal(left.length, inbox.length - 2);
    assert.ok(!left.some((m) => m.bytes.equals(second.stdout)));

    const { quit, message: third } = await poplibRetrieveAndDelete(port, ALICE, PASSWORD);
    assert.match(quit, /^\+OK Bye, 1 message deleted/);
    left = await readInbox(install.maildir(ALICE));
    assert.equal(left.length, inbox.length - 3);
    assert.ok(!left.some((m) => m.bytes.equals(third)));
    assert.deepEqual(asSet([first.stdout, second.stdout, third, ...left.map((m) => m.bytes)]), asSet(inbox.map((m) => m.bytes)), 'exactly the three deleted, nothing else');
  });

  it('refuses a wrong password with -ERR [AUTH] and keeps serving', async () => {
    const result = await run('curl', ['-sS', '--max-time', '30', '-u', `${ALICE}:not the password`, `pop3://127.0.0.1:${install.port('pop3')}/`]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /Authentication failed|Login denied|67/i);
    const ok = await curl(`pop3://127.0.0.1:${install.port('pop3')}/`);
    assert.equal(ok.code, 0, explain(ok));
  });
});
