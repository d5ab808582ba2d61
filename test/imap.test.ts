/**
 * IMAP end to end: the real binary with accounts-file, mailbox-maildir, queue-fs, pop3 and
 * imap; messages delivered by SMTP through the same server; then imapflow, curl (imap:// with
 * STARTTLS, imaps://) and Python's imaplib read them. What they fetch must be byte for byte
 * what the Maildir holds, a message with lines that start with a dot included. Two sessions
 * see each other's changes: a delivery during IDLE, and a POP3 DELE + QUIT seen as an expunge.
 *
 * Each scenario has its own account, all sent the same messages in one SMTP transaction, so
 * the scenarios that change a mailbox do not disturb the ones that read it.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import { SmtpClient } from '@posthorn/testkit';
import { readInbox, type StoredMessage } from './helpers/maildir.ts';
import { createInstallation, type Installation } from './helpers/posthorn.ts';
import { describeRun, onPath, type ProgramBytesResult, runProgramBytes } from './helpers/programs.ts';
import { poplibRetrieveAndDelete, PYTHON } from './helpers/poplib.ts';
import { waitFor } from './helpers/wait.ts';

/** Reads over imapflow and curl only: its mailbox stays as delivered. */
const ALICE = 'alice@localhost';
/** Python's imaplib changes this one: flags, Trash, expunge, append. */
const BOB = 'bob@localhost';
/** IDLE and concurrent sessions. */
const CAROL = 'carol@localhost';
/** POP3 deletes from this one while IMAP watches. */
const DAVE = 'dave@localhost';
const USERS = [ALICE, BOB, CAROL, DAVE];
const password = (user: string) => `password of ${user}`;
/** Bounds a failure only; the events awaited arrive in milliseconds. */
const EVENT_TIMEOUT = 20_000;

type Run = ProgramBytesResult;
/** Runs a program and keeps its standard output as bytes (message content is compared byte for byte). */
const run = (file: string, args: readonly string[], input = ''): Promise<Run> => runProgramBytes(file, args, { input, timeoutMs: 60_000 });
const explain = describeRun;

/** A small message, one with lines that start with dots, one with 8-bit text. */
function messages(token: string): Buffer[] {
  const head = (subject: string) => `From: Sender <x@example.org>\r\nTo: Users <users@localhost>\r\nSubject: ${subject} ${token}\r\nMessage-ID: <${subject}.${token}@example.org>\r\n\r\n`;
  return [
    Buffer.from(`${head('plain')}Hello.\r\n`),
    Buffer.from(`${head('dots')}.a line that starts with a dot\r\n.\r\n..two dots\r\n. space after a dot\r\nend\r\n.last line with a dot\r\n`),
    Buffer.from(`${head('eight-bit')}Grüße aus Köln, 日本語, emoji 📬\r\n`, 'utf8'),
  ];
}

/** Waits for an event of an emitter, or fails after EVENT_TIMEOUT. */
function nextEvent<T>(client: ImapFlow, name: string, accept: (value: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off(name, listener);
      reject(new Error(`no ${name} event within ${EVENT_TIMEOUT} ms`));
    }, EVENT_TIMEOUT);
    const listener = (value: T) => {
      if (!accept(value)) return;
      clearTimeout(timer);
      client.off(name, listener);
      resolve(value);
    };
    client.on(name, listener);
  });
}

/**
 * An imapflow client whose IDLE can be awaited: the server's `+` continuation right after an
 * IDLE command, as imapflow logs it, resolves `idling()`.
 */
function idleAwareClient(port: number, user: string): { client: ImapFlow; idling: () => Promise<void> } {
  let idleSent = false;
  let waiters: (() => void)[] = [];
  let established = false;
  const note = (entry: { src?: string; msg?: string }) => {
    if (typeof entry !== 'object' || !entry) return;
    const line = String(entry.msg ?? '');
    if (entry.src === 'c') {
      idleSent = / IDLE$/i.test(line);
      if (/^DONE$/i.test(line)) established = false;
    } else if (entry.src === 's' && idleSent && line.startsWith('+')) {
      idleSent = false;
      established = true;
      for (const wake of waiters) wake();
      waiters = [];
    }
  };
  const logger = { debug: note, info: note, warn: note, error: note };
  const client = new ImapFlow({ host: '127.0.0.1', port, secure: true, tls: { rejectUnauthorized: false }, auth: { user, pass: password(user) }, logger, emitLogs: false });
  const idling = () =>
    established
      ? Promise.resolve()
      : new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`IDLE not established within ${EVENT_TIMEOUT} ms`)), EVENT_TIMEOUT);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
  return { client, idling };
}

describe('IMAP against the real binary, with imapflow, curl and imaplib', { skip: !onPath('curl') ? 'curl is not on PATH (CI installs it)' : false }, () => {
  let install: Installation;
  let token: string;
  let sent: Buffer[];
  const base64 = (bytes: Buffer) => bytes.toString('base64');
  /** Messages as a sorted list, to compare with what a client fetched (order-free). */
  const asSet = (list: readonly Buffer[]) => list.map(base64).sort();
  const inboxOf = (user: string) => readInbox(install.maildir(user));

  /** Sends `bytes` to `users` over SMTP (mx) and waits until each has `count` messages in its Maildir. */
  async function deliver(bytes: readonly Buffer[], users: readonly string[], count: number): Promise<void> {
    const smtp = await SmtpClient.open(install.port('mx'));
    for (const message of bytes) assert.equal((await smtp.send(message, { from: 'x@example.org', to: users })).code, 250);
    await smtp.command('QUIT');
    smtp.close();
    for (const user of users) {
      await waitFor(async () => ((await inboxOf(user)).length === count ? true : undefined), `${count} messages in ${user}'s Maildir`);
    }
  }

  before(async () => {
    install = await createInstallation({
      users: USERS,
      extraPlugins: [
        { plugin: 'pop3', options: { listeners: [{ name: 'pop3', port: 0, allowInsecureAuth: true }], baseDelayMs: 1, maxDelayMs: 4 } },
        {
          plugin: 'imap',
          options: {
            listeners: [
              { name: 'imap', port: 0, tls: 'starttls' },
              { name: 'imaps', port: 0, tls: 'implicit' },
            ],
            baseDelayMs: 1,
            maxDelayMs: 4,
          },
        },
      ],
    });
    token = randomUUID();
    sent = messages(token);
    await deliver(sent, USERS, sent.length);
    // Delivered by SMTP: our Received field on top of exactly the bytes sent.
    const inbox = await inboxOf(ALICE);
    for (const message of sent) assert.ok(inbox.some((stored) => stored.bytes.subarray(stored.bytes.length - message.length).equals(message)));
  });
  after(async () => {
    await install?.dispose();
  });

  it('fetches every message byte for byte with imapflow (imaps), with flags and envelope', async () => {
    const inbox = await inboxOf(ALICE);
    const client = new ImapFlow({ host: '127.0.0.1', port: install.port('imaps'), secure: true, tls: { rejectUnauthorized: false }, auth: { user: ALICE, pass: password(ALICE) }, logger: false });
    await client.connect();
    try {
      const boxes = await client.list();
      assert.deepEqual(boxes.map((box) => box.path).sort(), ['Archive', 'Drafts', 'INBOX', 'Junk', 'Sent', 'Trash']);
      const lock = await client.getMailboxLock('INBOX', { readOnly: true });
      try {
        assert.equal(client.mailbox && client.mailbox.exists, inbox.length);
        const fetched: Buffer[] = [];
        const subjects: string[] = [];
        for await (const message of client.fetch('1:*', { source: true, envelope: true, flags: true, uid: true })) {
          assert.ok(message.source);
          fetched.push(message.source);
          subjects.push(message.envelope?.subject ?? '');
        }
        assert.deepEqual(asSet(fetched), asSet(inbox.map((m) => m.bytes)));
        assert.deepEqual(subjects.sort(), ['dots', 'eight-bit', 'plain'].map((s) => `${s} ${token}`));
        // The dot lines arrive as they were sent: no stuffing left, none lost.
        const dots = fetched.find((bytes) => bytes.includes(`dots ${token}`));
        assert.ok(dots?.includes('\r\n.\r\n..two dots\r\n. space after a dot\r\n'));
      } finally {
        lock.release();
      }
    } finally {
      await client.logout();
    }
  });

  it('fetches every message byte for byte with curl, over imap:// with STARTTLS and imaps://', async () => {
    const inbox = await inboxOf(ALICE);
    const curl = (url: string, ...args: string[]) => run('curl', ['-sS', '--max-time', '30', '-k', '-u', `${ALICE}:${password(ALICE)}`, ...args, url]);
    const listing = await curl(`imap://127.0.0.1:${install.port('imap')}/`, '--ssl-reqd');
    assert.equal(listing.code, 0, explain(listing));
    assert.match(listing.stdout.toString(), /^\* LIST \([^)]*\) "\/" "?INBOX"?\r$/m);
    assert.match(listing.stdout.toString(), /^\* LIST \([^)]*\\Trash[^)]*\) "\/" "?Trash"?\r$/m);
    const starttls: Buffer[] = [];
    const implicit: Buffer[] = [];
    for (let uid = 1; uid <= inbox.length; uid++) {
      const plain = await curl(`imap://127.0.0.1:${install.port('imap')}/INBOX;UID=${uid}`, '--ssl-reqd');
      assert.equal(plain.code, 0, explain(plain));
      starttls.push(plain.stdout);
      const tls = await curl(`imaps://127.0.0.1:${install.port('imaps')}/INBOX;UID=${uid}`);
      assert.equal(tls.code, 0, explain(tls));
      implicit.push(tls.stdout);
    }
    assert.deepEqual(asSet(starttls), asSet(inbox.map((m) => m.bytes)));
    assert.deepEqual(implicit.map(base64), starttls.map(base64), 'the same over imaps://');
  });

  it('refuses a login without TLS on the STARTTLS listener (no allowInsecureAuth), and a wrong password', async () => {
    const clear = await run('curl', ['-sS', '--max-time', '30', '-u', `${ALICE}:${password(ALICE)}`, `imap://127.0.0.1:${install.port('imap')}/INBOX;UID=1`]);
    assert.notEqual(clear.code, 0, explain(clear));
    const wrong = await run('curl', ['-sS', '--max-time', '30', '-k', '-u', `${ALICE}:not the password`, `imaps://127.0.0.1:${install.port('imaps')}/INBOX;UID=1`]);
    assert.notEqual(wrong.code, 0, explain(wrong));
    assert.match(wrong.stderr, /Login denied|Authentication|\(67\)/i);
  });

  it('logs in, lists, selects, fetches, flags, searches, moves to Trash, expunges and appends with imaplib', async () => {
    const inbox = await inboxOf(BOB);
    const script = `
import base64, imaplib, json, ssl, sys
port, tls_port, user, password = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
def ok(answer):
    typ, data = answer
    if typ != "OK":
        raise SystemExit("%r %r" % (typ, data))
    return data
out = {}
m = imaplib.IMAP4("127.0.0.1", port, timeout=30)
out["before_tls"] = sorted(m.capabilities)
ok(m.starttls(context))
ok(m.login(user, password))
# imaplib keeps the capabilities it read before login; ask again.
out["caps"] = sorted(ok(m.capability())[0].decode().upper().split())
out["list"] = [line.decode() for line in ok(m.list())]
out["exists"] = int(ok(m.select("INBOX"))[0])
out["recent"] = [int(n) for n in m.response("RECENT")[1] if n]
out["recent_search"] = [int(u) for u in ok(m.uid("SEARCH", "RECENT"))[0].split()]
uids = ok(m.uid("SEARCH", "ALL"))[0].split()
out["uids"] = [int(u) for u in uids]
bodies = {}
for uid in uids:
    data = ok(m.uid("FETCH", uid, "(RFC822)"))
    bodies[int(uid)] = base64.b64encode(data[0][1]).decode()
out["bodies"] = bodies
first, second = uids[0], uids[1]
ok(m.uid("STORE", first, "+FLAGS", "(\\\\Flagged)"))
out["flags"] = ok(m.uid("FETCH", first, "(FLAGS)"))[0].decode()
out["flagged"] = [int(u) for u in ok(m.uid("SEARCH", "FLAGGED"))[0].split()]
out["by_subject"] = [int(u) for u in ok(m.uid("SEARCH", "CHARSET", "UTF-8", "SUBJECT", "dots"))[0].split()]
# uid() keeps only untagged data; the COPYUID code is in the tagged OK, which _simple_command returns.
out["copyuid"] = ok(m._simple_command("UID", "COPY", first, "Trash"))[0].decode()
m.response("COPYUID")  # imaplib files the tagged code there too; drop it before MOVE
out["moved"] = ok(m._simple_command("UID", "MOVE", second, "Trash"))[0].decode() if "MOVE" in out["caps"] else None
# RFC 6851 4.3: MOVE's COPYUID comes in an untagged OK, before the EXPUNGE.
out["move_copyuid"] = [line.decode() for line in m.response("COPYUID")[1] if line]
out["move_expunge"] = [line.decode() for line in m.response("EXPUNGE")[1] if line]
ok(m.uid("STORE", first, "+FLAGS", "(\\\\Deleted)"))
out["expunged"] = [line.decode() for line in ok(m.expunge()) if line]
out["left"] = [int(u) for u in ok(m.uid("SEARCH", "ALL"))[0].split()]
appended = base64.b64decode(sys.stdin.read())
out["append"] = ok(m.append("Drafts", "(\\\\Draft \\\\Seen)", None, appended))[0].decode()
out["trash"] = ok(m.status("Trash", "(MESSAGES)"))[0].decode()
out["drafts_exists"] = int(ok(m.select("Drafts", readonly=True))[0])
draft = ok(m.fetch("1", "(FLAGS BODY.PEEK[])"))
out["draft_meta"] = draft[0][0].decode()
out["draft"] = base64.b64encode(draft[0][1]).decode()
out["trash_exists"] = int(ok(m.select("Trash"))[0])
out["trash_bodies"] = [base64.b64encode(part[1]).decode() for part in ok(m.fetch("1:*", "(BODY.PEEK[])")) if isinstance(part, tuple)]
m.logout()
print(json.dumps(out))
`;
    const draft = Buffer.from(`From: bob@localhost\r\nTo: x@example.org\r\nSubject: draft ${token}\r\n\r\n.a draft with a dot line\r\nand Grüße\r\n`, 'utf8');
    const result = await run(PYTHON, ['-c', script, String(install.port('imap')), String(install.port('imaps')), BOB, password(BOB)], draft.toString('base64'));
    assert.equal(result.code, 0, explain(result));
    const out = JSON.parse(result.stdout.toString()) as {
      before_tls: string[];
      caps: string[];
      list: string[];
      exists: number;
      recent: number[];
      recent_search: number[];
      uids: number[];
      bodies: Record<string, string>;
      flags: string;
      flagged: number[];
      by_subject: number[];
      copyuid: string;
      moved: string | null;
      move_copyuid: string[];
      move_expunge: string[];
      expunged: string[];
      left: number[];
      append: string;
      trash: string;
      drafts_exists: number;
      draft_meta: string;
      draft: string;
      trash_exists: number;
      trash_bodies: string[];
    };
    // Before TLS: STARTTLS, and no password over clear text (LOGINDISABLED).
    assert.ok(out.before_tls.includes('STARTTLS') && out.before_tls.includes('LOGINDISABLED'), JSON.stringify(out.before_tls));
    for (const cap of ['IMAP4REV1', 'IMAP4REV2', 'IDLE', 'UIDPLUS', 'MOVE', 'CONDSTORE', 'QRESYNC', 'SPECIAL-USE']) assert.ok(out.caps.includes(cap), `${cap} in ${out.caps}`);
    assert.equal(out.list.length, 6);
    assert.ok(out.list.some((line) => /\\Trash/.test(line) && /Trash"?$/.test(line)), out.list.join('\n'));
    assert.equal(out.exists, inbox.length);
    assert.deepEqual(out.uids, [1, 2, 3]);
    // This session is the first to select Bob's INBOX: all of it is \Recent to it (RFC 3501 2.3.2).
    assert.deepEqual(out.recent, [inbox.length]);
    assert.deepEqual(out.recent_search, out.uids);
    const bodies = out.uids.map((uid) => Buffer.from(out.bodies[uid]!, 'base64'));
    assert.deepEqual(asSet(bodies), asSet(inbox.map((m) => m.bytes)));
    assert.match(out.flags, /FLAGS \([^)]*\\Flagged/);
    assert.deepEqual(out.flagged, [1]);
    assert.equal(out.by_subject.length, 1);
    assert.ok(bodies[out.by_subject[0]! - 1]!.includes(`dots ${token}`));
    assert.match(out.copyuid, /^\[COPYUID \d+ 1 1\]/);
    assert.ok(out.moved !== null, 'MOVE offered');
    assert.match(out.moved ?? '', /^MOVE completed|OK/i);
    assert.equal(out.move_copyuid.length, 1);
    assert.match(out.move_copyuid[0]!, /^\d+ 2 2$/);
    assert.deepEqual(out.move_expunge, ['2'], 'MOVE expunges the moved message at once');
    // EXPUNGE reports what it removed: the flagged \Deleted one, the moved one not again.
    assert.deepEqual(out.expunged, ['1']);
    assert.deepEqual(out.left, [3]);
    assert.match(out.append, /^\[APPENDUID \d+ 1\]/);
    assert.match(out.trash, /MESSAGES 2\)/);
    assert.equal(out.drafts_exists, 1);
    assert.match(out.draft_meta, /FLAGS \((?=[^)]*\\Draft)(?=[^)]*\\Seen)[^)]*\)/);
    assert.equal(Buffer.from(out.draft, 'base64').toString('base64'), draft.toString('base64'), 'the appended message reads back byte for byte');
    assert.equal(out.trash_exists, 2);
    assert.deepEqual(out.trash_bodies.sort(), [bodies[0]!, bodies[1]!].map(base64).sort(), 'Trash holds the copied and the moved message, unchanged');
    // The Maildir agrees: one message left in the INBOX, the third.
    const left = await inboxOf(BOB);
    assert.deepEqual(left.map((m) => base64(m.bytes)), [base64(bodies[2]!)]);
  });

  it('two sessions: a delivery during IDLE is an EXISTS in the idling one, the other\'s flag change a FETCH', async () => {
    const watcher = idleAwareClient(install.port('imaps'), CAROL);
    const other = new ImapFlow({ host: '127.0.0.1', port: install.port('imaps'), secure: true, tls: { rejectUnauthorized: false }, auth: { user: CAROL, pass: password(CAROL) }, logger: false });
    await watcher.client.connect();
    await other.connect();
    try {
      await watcher.client.mailboxOpen('INBOX');
      assert.equal(watcher.client.mailbox && watcher.client.mailbox.exists, sent.length);
      // Resolves when IDLE ends (at logout); imapflow re-enters IDLE on its own after each command.
      watcher.client.idle().catch(() => undefined);
      await watcher.idling();

      const exists = nextEvent<{ path: string; count: number; prevCount: number }>(watcher.client, 'exists');
      const late = Buffer.from(`From: x@example.org\r\nTo: carol@localhost\r\nSubject: late ${token}\r\n\r\n.arrives during IDLE\r\n`);
      await deliver([late], [CAROL], sent.length + 1);
      const event = await exists;
      assert.deepEqual([event.path, event.prevCount, event.count], ['INBOX', sent.length, sent.length + 1]);

      // The other session sees it too, and what it changes reaches the idling one.
      await other.mailboxOpen('INBOX');
      assert.equal(other.mailbox && other.mailbox.exists, sent.length + 1);
      const fetched = await other.fetchOne('*', { source: true });
      assert.ok(fetched && fetched.source?.subarray(fetched.source.length - late.length).equals(late), 'the late message, as sent');
      await watcher.idling();
      const flags = nextEvent<{ path: string; seq: number; flags: Set<string> }>(watcher.client, 'flags');
      await other.messageFlagsAdd('*', ['\\Answered']);
      const change = await flags;
      assert.equal(change.seq, sent.length + 1);
      assert.ok(change.flags.has('\\Answered'), [...change.flags].join(' '));
    } finally {
      await other.logout();
      await watcher.client.logout();
    }
  });

  it('POP3 DELE then QUIT: the message is deleted and an IMAP session with INBOX selected sees the expunge', async () => {
    const watcher = idleAwareClient(install.port('imaps'), DAVE);
    await watcher.client.connect();
    try {
      await watcher.client.mailboxOpen('INBOX');
      assert.equal(watcher.client.mailbox && watcher.client.mailbox.exists, sent.length);
      watcher.client.idle().catch(() => undefined);
      await watcher.idling();
      const expunge = nextEvent<{ path: string; seq?: number; uid?: number }>(watcher.client, 'expunge');
      const { quit, message: deleted } = await poplibRetrieveAndDelete(install.port('pop3'), DAVE, password(DAVE));
      assert.match(quit, /^\+OK Bye, 1 message deleted/);
      const event = await expunge;
      assert.equal(event.path, 'INBOX');
      // The session's view agrees with the Maildir: one message fewer, and not the deleted one.
      const left = await inboxOf(DAVE);
      assert.equal(left.length, sent.length - 1);
      assert.ok(!left.some((m) => m.bytes.equals(deleted)));
      const status = await watcher.client.status('INBOX', { messages: true });
      assert.equal(status && status.messages, sent.length - 1);
      assert.equal(watcher.client.mailbox && watcher.client.mailbox.exists, sent.length - 1);
      const remaining: Buffer[] = [];
      for await (const message of watcher.client.fetch('1:*', { source: true })) remaining.push(message.source!);
      assert.deepEqual(asSet(remaining), asSet(left.map((m: StoredMessage) => m.bytes)));
    } finally {
      await watcher.client.logout();
    }
  });
});
