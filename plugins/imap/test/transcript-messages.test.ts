import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type RawImapClient, untaggedLines, waitForLine } from './client.ts';
import { message, transcriptServer } from './helpers.ts';

/** Transcripts of the selected-state commands: FETCH, STORE, SEARCH, COPY/MOVE, EXPUNGE, IDLE, CONDSTORE/QRESYNC. */

const MULTIPART = [
  'From: sender@example.org',
  'To: alice@example.test',
  'Subject: multi',
  'Date: Sat, 28 Nov 2026 10:00:00 +0000',
  'Message-ID: <multi@example.org>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b1"',
  '',
  '--b1',
  'Content-Type: text/plain; charset=us-ascii',
  '',
  'Hello part one.',
  '--b1',
  'Content-Type: application/octet-stream',
  'Content-Transfer-Encoding: base64',
  '',
  'AAECAw==',
  '--b1--',
  '',
].join('\r\n');

describe('imap transcripts: message commands', () => {
  const server = transcriptServer('msg', 40);

  /**
   * A fresh account with `subjects` delivered to INBOX, logged in; `enable` is sent before SELECT.
   * Another session has selected INBOX first, so no message is \Recent to this one.
   */
  async function mailbox(subjects: readonly string[], options: { enable?: string; select?: boolean } = {}) {
    const user = server.freshUser();
    for (const subject of subjects) await server.deliver(user, subject === 'multi' ? MULTIPART : message(subject));
    const first = await server.login(user);
    await first.command('SELECT INBOX');
    await first.command('LOGOUT');
    const client = await server.login(user);
    if (options.enable) assert.match((await client.command(`ENABLE ${options.enable}`)).tagged, / OK /);
    let selected;
    if (options.select !== false) {
      selected = await client.command('SELECT INBOX');
      assert.match(selected.tagged, / OK \[READ-WRITE\] /);
    }
    return { client, user, box: { user, mailbox: 'INBOX' }, selected };
  }

  const modseqOf = (line: string) => Number(/MODSEQ \((\d+)\)/.exec(line)?.[1]);
  const highestModseq = (lines: readonly string[]) => Number(lines.map((line) => /HIGHESTMODSEQ (\d+)/.exec(line)?.[1]).find(Boolean));

  describe('FETCH', () => {
    it('FLAGS, UID, INTERNALDATE, RFC822.SIZE', async () => {
      const { client, user } = await mailbox(['one']);
      const [meta] = await server.store.listMessages({ user, mailbox: 'INBOX' });
      const reply = await client.command('FETCH 1 (FLAGS UID INTERNALDATE RFC822.SIZE)');
      assert.equal(reply.lines.length, 2);
      assert.match(reply.lines[0]!, new RegExp(`^\\* 1 FETCH \\(FLAGS \\(\\) UID 1 INTERNALDATE "\\d\\d-[A-Z][a-z]{2}-\\d{4} \\d\\d:\\d\\d:\\d\\d [+-]\\d{4}" RFC822.SIZE ${meta!.size}\\)$`));
      assert.equal(reply.tagged, 't3 OK FETCH completed');
    });

    it('ENVELOPE', async () => {
      const { client, user } = await mailbox(['one']);
      const reply = await client.command('FETCH 1 ENVELOPE');
      const sender = '((NIL NIL "sender" "example.org"))';
      assert.equal(reply.lines[0], `* 1 FETCH (ENVELOPE ("Sat, 28 Nov 2026 10:00:00 +0000" "one" ${sender} ${sender} ${sender} ((NIL NIL "alice" "example.test")) NIL NIL NIL "<one@example.org>"))`);
      // Several addresses follow each other with no space (RFC 9051 9: "(" 1*address ")").
      await server.deliver(user, 'From: a@example.org\r\nTo: "B" <b@example.org>, c@example.org\r\nSubject: two\r\n\r\nhi\r\n');
      await client.command('NOOP');
      const two = await client.command('FETCH 2 ENVELOPE');
      assert.equal(two.lines[0], '* 2 FETCH (ENVELOPE (NIL "two" ((NIL NIL "a" "example.org")) ((NIL NIL "a" "example.org")) ((NIL NIL "a" "example.org")) (("B" NIL "b" "example.org")(NIL NIL "c" "example.org")) NIL NIL NIL NIL))');
    });

    it('BODYSTRUCTURE of a plain and of a multipart message', async () => {
      const { client } = await mailbox(['one', 'multi']);
      const plain = await client.command('FETCH 1 BODYSTRUCTURE');
      assert.match(plain.lines[0]!, /^\* 1 FETCH \(BODYSTRUCTURE \("TEXT" "PLAIN" \("CHARSET" "US-ASCII"\) NIL NIL "7BIT" 8 1( |\))/i);
      const multi = await client.command('FETCH 2 BODYSTRUCTURE');
      assert.match(multi.lines[0]!, /^\* 2 FETCH \(BODYSTRUCTURE \(\("TEXT" "PLAIN" \("CHARSET" "us-ascii"\) NIL NIL "7BIT" 15 [01][^)]*\)\("APPLICATION" "OCTET-STREAM" NIL NIL NIL "BASE64" 8[^)]*\) "MIXED" \("BOUNDARY" "b1"\)/i);
    });

    it('BODY[] is byte-exact and sets \\Seen; BODY.PEEK does not', async () => {
      const raw = message('one');
      const { client, user } = await mailbox(['one', 'two']);
      const peek = await client.command('FETCH 2 BODY.PEEK[]');
      assert.deepEqual(peek.lines, [`* 2 FETCH (BODY[] {${raw.length}}\r\n${message('two')})`, 't3 OK FETCH completed']);
      const read = await client.command('FETCH 1 BODY[]');
      assert.equal(read.lines.length, 2);
      assert.ok(read.lines[0]!.startsWith('* 1 FETCH ('));
      assert.ok(read.lines[0]!.includes(`BODY[] {${raw.length}}\r\n${raw}`));
      assert.ok(read.lines[0]!.includes('FLAGS (\\Seen)'), 'the \\Seen it set is reported');
      const flags = await client.command('FETCH 1:2 FLAGS');
      assert.deepEqual(untaggedLines(flags), ['* 1 FETCH (FLAGS (\\Seen))', '* 2 FETCH (FLAGS ())']);
      const metas = await server.store.listMessages({ user, mailbox: 'INBOX' });
      assert.deepEqual(metas.map((meta) => meta.flags), [['\\Seen'], []]);
    });

    it('HEADER.FIELDS, HEADER, TEXT and a partial range', async () => {
      const { client } = await mailbox(['one']);
      const fields = await client.command('FETCH 1 BODY.PEEK[HEADER.FIELDS (Subject)]');
      assert.match(fields.lines[0]!, /^\* 1 FETCH \(BODY\[HEADER\.FIELDS \(SUBJECT\)\] \{16\}\r\nSubject: one\r\n\r\n\)$/i);
      const text = await client.command('FETCH 1 BODY.PEEK[TEXT]');
      assert.equal(text.lines[0], '* 1 FETCH (BODY[TEXT] {8}\r\nHello.\r\n)');
      const partial = await client.command('FETCH 1 BODY.PEEK[]<0.10>');
      assert.equal(partial.lines[0], '* 1 FETCH (BODY[]<0> {10}\r\nFrom: send)');
      const beyond = await client.command('FETCH 1 BODY.PEEK[TEXT]<100.10>');
      assert.equal(beyond.lines[0], '* 1 FETCH (BODY[TEXT]<100> {0}\r\n)');
      const header = await client.command('FETCH 1 BODY.PEEK[HEADER]');
      assert.ok(header.lines[0]!.endsWith('Message-ID: <one@example.org>\r\n\r\n)'));
    });

    it('BINARY[1] and BINARY.PEEK[2] decode the transfer encoding; BODY[1.MIME]', async () => {
      const { client } = await mailbox(['multi']);
      const first = await client.command('FETCH 1 BINARY.PEEK[1]');
      assert.match(first.lines[0]!, /^\* 1 FETCH \(BINARY\[1\] ~?\{15\}\r\nHello part one\.\)$/);
      const second = await client.command('FETCH 1 BINARY.PEEK[2]');
      assert.equal(second.lines[0], '* 1 FETCH (BINARY[2] ~{4}\r\n\x00\x01\x02\x03)');
      const size = await client.command('FETCH 1 BINARY.SIZE[2]');
      assert.equal(size.lines[0], '* 1 FETCH (BINARY.SIZE[2] 4)');
      const mime = await client.command('FETCH 1 BODY.PEEK[1.MIME]');
      assert.ok(mime.lines[0]!.includes('Content-Type: text/plain; charset=us-ascii\r\n\r\n'));
    });

    it('macros, UID FETCH and bad items', async () => {
      const { client } = await mailbox(['one', 'two']);
      const fast = await client.command('FETCH 1:2 FAST');
      assert.equal(untaggedLines(fast).length, 2);
      assert.match(fast.lines[0]!, /FLAGS \(\) INTERNALDATE ".*" RFC822\.SIZE \d+/);
      const uid = await client.command('UID FETCH 2 FLAGS');
      assert.deepEqual(untaggedLines(uid), ['* 2 FETCH (UID 2 FLAGS ())']);
      assert.deepEqual(untaggedLines(await client.command('UID FETCH 99 FLAGS')), []);
      assert.match((await client.command('FETCH 1 BOGUS')).tagged, / BAD /);
      assert.match((await client.command('FETCH 1 BODY[99]')).tagged, / (OK|NO) /);
    });
  });

  describe('STORE', () => {
    it('+FLAGS, -FLAGS.SILENT and FLAGS', async () => {
      const { client } = await mailbox(['one', 'two']);
      const add = await client.command('STORE 1:2 +FLAGS (\\Flagged $Work)');
      assert.deepEqual(untaggedLines(add), ['* 1 FETCH (FLAGS (\\Flagged $Work))', '* 2 FETCH (FLAGS (\\Flagged $Work))']);
      const silent = await client.command('STORE 1 -FLAGS.SILENT (\\Flagged)');
      assert.deepEqual(silent.lines, ['t4 OK STORE completed']);
      const set = await client.command('STORE 2 FLAGS (\\Seen)');
      assert.deepEqual(untaggedLines(set), ['* 2 FETCH (FLAGS (\\Seen))']);
      const uid = await client.command('UID STORE 1 +FLAGS \\Answered');
      assert.deepEqual(untaggedLines(uid), ['* 1 FETCH (FLAGS (\\Answered $Work) UID 1)']);
      const flags = await client.command('FETCH 1:2 FLAGS');
      assert.deepEqual(untaggedLines(flags), ['* 1 FETCH (FLAGS (\\Answered $Work))', '* 2 FETCH (FLAGS (\\Seen))']);
      assert.match((await client.command('STORE 1 +FLAGS (\\Recent)')).tagged, / BAD /);
      assert.match((await client.command('STORE 1 +FLAGS (\\Bogus)')).tagged, / BAD /);
      assert.match((await client.command('STORE 1 XFLAGS (\\Seen)')).tagged, / BAD /);
    });

    it('UNCHANGEDSINCE: conflicting messages are reported in MODIFIED', async () => {
      const { client, selected } = await mailbox(['one', 'two'], { enable: 'CONDSTORE' });
      const start = highestModseq(selected!.lines);
      assert.ok(start > 0);
      const first = await client.command('STORE 1 +FLAGS (\\Seen)');
      const changed = modseqOf(first.lines[0]!);
      assert.ok(changed > start, first.lines[0]);
      const conditional = await client.command(`STORE 1:2 (UNCHANGEDSINCE ${start}) +FLAGS (\\Flagged)`);
      assert.equal(conditional.tagged, 't5 OK [MODIFIED 1] Conditional STORE failed for some messages');
      assert.deepEqual(untaggedLines(conditional).map((line) => line.replace(/MODSEQ \(\d+\)/, 'MODSEQ (n)')), ['* 2 FETCH (FLAGS (\\Flagged) MODSEQ (n))']);
      const uid = await client.command(`UID STORE 1:2 (UNCHANGEDSINCE ${changed}) -FLAGS (\\Seen)`);
      assert.match(uid.tagged, /^t6 OK \[MODIFIED 2\] /);
    });
  });

  describe('SEARCH', () => {
    it('classic SEARCH and UID SEARCH', async () => {
      const { client, user } = await mailbox(['alpha', 'beta', 'gamma']);
      await client.command('STORE 2 +FLAGS.SILENT (\\Flagged)');
      assert.deepEqual((await client.command('SEARCH FLAGGED')).lines, ['* SEARCH 2', 't4 OK SEARCH completed']);
      assert.deepEqual(untaggedLines(await client.command('SEARCH SUBJECT gamma')), ['* SEARCH 3']);
      assert.deepEqual(untaggedLines(await client.command('SEARCH CHARSET UTF-8 NOT FLAGGED')), ['* SEARCH 1 3']);
      assert.deepEqual(untaggedLines(await client.command('SEARCH SUBJECT nothing')), ['* SEARCH']);
      await client.command('STORE 1 +FLAGS.SILENT (\\Deleted)');
      await client.command('EXPUNGE');
      // Sequence numbers have shifted; UIDs have not.
      assert.deepEqual(untaggedLines(await client.command('UID SEARCH ALL')), ['* SEARCH 2 3']);
      assert.deepEqual(untaggedLines(await client.command('SEARCH ALL')), ['* SEARCH 1 2']);
      assert.deepEqual(untaggedLines(await client.command('UID SEARCH UID 3')), ['* SEARCH 3']);
      assert.match((await client.command('SEARCH CHARSET KOI8-R ALL')).tagged, / NO \[BADCHARSET/);
      assert.match((await client.command('SEARCH BOGUS')).tagged, / BAD /);
      void user;
    });

    it('ESEARCH: RETURN (MIN MAX COUNT ALL), UID, and an empty result', async () => {
      const { client } = await mailbox(['a', 'b', 'c', 'd']);
      const reply = await client.command('SEARCH RETURN (MIN MAX COUNT ALL) ALL');
      assert.deepEqual(reply.lines, ['* ESEARCH (TAG "t3") MIN 1 MAX 4 COUNT 4 ALL 1:4', 't3 OK SEARCH completed']);
      const uid = await client.command('UID SEARCH RETURN (COUNT) 2:3');
      assert.deepEqual(untaggedLines(uid), ['* ESEARCH (TAG "t4") UID COUNT 2']);
      const none = await client.command('SEARCH RETURN (MIN MAX) SUBJECT zzz');
      assert.deepEqual(untaggedLines(none), ['* ESEARCH (TAG "t5")']);
      const bare = await client.command('SEARCH RETURN () 2,4');
      assert.deepEqual(untaggedLines(bare), ['* ESEARCH (TAG "t6") ALL 2,4']);
    });

    it('after ENABLE IMAP4rev2 a plain SEARCH answers ESEARCH', async () => {
      const { client } = await mailbox(['a', 'b'], { enable: 'IMAP4rev2' });
      const reply = await client.command('SEARCH ALL');
      assert.deepEqual(untaggedLines(reply), ['* ESEARCH (TAG "t4") ALL 1:2']);
      const uid = await client.command('UID SEARCH ALL');
      assert.deepEqual(untaggedLines(uid), ['* ESEARCH (TAG "t5") UID ALL 1:2']);
    });

    it('SAVE keeps the result for `$` (RFC 5182)', async () => {
      const { client } = await mailbox(['a', 'b', 'c']);
      await client.command('STORE 1,3 +FLAGS.SILENT (\\Flagged)');
      const save = await client.command('SEARCH RETURN (SAVE) FLAGGED');
      assert.deepEqual(save.lines, ['t4 OK SEARCH completed']);
      const fetched = await client.command('FETCH $ (UID)');
      assert.deepEqual(untaggedLines(fetched), ['* 1 FETCH (UID 1)', '* 3 FETCH (UID 3)']);
      const searched = await client.command('SEARCH $ SUBJECT c');
      assert.deepEqual(untaggedLines(searched), ['* SEARCH 3']);
      const stored = await client.command('UID STORE $ +FLAGS (\\Seen)');
      assert.equal(untaggedLines(stored).length, 2);
    });
  });

  describe('COPY, MOVE, EXPUNGE, CLOSE, UNSELECT', () => {
    it('COPY answers COPYUID; a missing target is TRYCREATE', async () => {
      const { client, user } = await mailbox(['a', 'b']);
      const { uidValidity } = await server.store.status({ user, mailbox: 'Archive' });
      const reply = await client.command('COPY 1:2 Archive');
      assert.deepEqual(reply.lines, [`t3 OK [COPYUID ${uidValidity} 1:2 1:2] COPY completed`]);
      assert.match((await client.command('COPY 1 Nowhere')).tagged, /^t4 NO \[TRYCREATE\] /);
      const status = await client.command('STATUS Archive (MESSAGES)');
      assert.equal(status.lines[0], '* STATUS "Archive" (MESSAGES 2)');
      assert.deepEqual(untaggedLines(await client.command('NOOP')), []);
    });

    it('MOVE to a missing mailbox is TRYCREATE and moves nothing; so is COPY of no message', async () => {
      const { client } = await mailbox(['a', 'b']);
      assert.match((await client.command('MOVE 1 Nowhere')).tagged, /^t3 NO \[TRYCREATE\] /);
      assert.match((await client.command('UID COPY 999 Nowhere')).tagged, /^t4 NO \[TRYCREATE\] /);
      assert.match((await client.command('UID COPY 999 Archive')).tagged, /^t5 OK /);
      const status = await client.command('STATUS INBOX (MESSAGES)');
      assert.equal(status.lines[0], '* STATUS "INBOX" (MESSAGES 2)');
    });

    it('MOVE: untagged COPYUID, then EXPUNGE, then OK', async () => {
      const { client, user } = await mailbox(['a', 'b', 'c']);
      const { uidValidity } = await server.store.status({ user, mailbox: 'Trash' });
      const reply = await client.command('MOVE 2 Trash');
      assert.deepEqual(reply.lines, [`* OK [COPYUID ${uidValidity} 2 1] Moved`, '* 2 EXPUNGE', 't3 OK MOVE completed']);
      const uid = await client.command('UID MOVE 3 Trash');
      assert.deepEqual(uid.lines, [`* OK [COPYUID ${uidValidity} 3 2] Moved`, '* 2 EXPUNGE', 't4 OK MOVE completed']);
      assert.deepEqual(untaggedLines(await client.command('UID SEARCH ALL')), ['* SEARCH 1']);
    });

    it('MOVE into the selected mailbox itself: the messages come back at its end with new UIDs', async () => {
      const { client, user } = await mailbox(['a', 'b', 'c']);
      const { uidValidity } = await server.store.status({ user, mailbox: 'INBOX' });
      const reply = await client.command('MOVE 1 INBOX');
      // The copy is new to this session: EXISTS, and \Recent since it is the first told of it.
      assert.deepEqual(reply.lines, [`* OK [COPYUID ${uidValidity} 1 4] Moved`, '* 1 EXPUNGE', '* 3 EXISTS', '* 1 RECENT', 't3 OK MOVE completed']);
      assert.deepEqual(untaggedLines(await client.command('FETCH 3 (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])')), ['* 3 FETCH (UID 4 BODY[HEADER.FIELDS (SUBJECT)] {14}\r\nSubject: a\r\n\r\n)']);
    });

    it('EXPUNGE removes \\Deleted messages highest first; UID EXPUNGE only the named ones', async () => {
      const { client } = await mailbox(['a', 'b', 'c', 'd']);
      await client.command('STORE 1:4 +FLAGS.SILENT (\\Deleted)');
      const uid = await client.command('UID EXPUNGE 2');
      assert.deepEqual(uid.lines, ['* 2 EXPUNGE', 't4 OK EXPUNGE completed']);
      await client.command('STORE 3 -FLAGS.SILENT (\\Deleted)');
      const all = await client.command('EXPUNGE');
      assert.deepEqual(all.lines, ['* 2 EXPUNGE', '* 1 EXPUNGE', 't6 OK EXPUNGE completed']);
      assert.deepEqual(untaggedLines(await client.command('UID SEARCH ALL')), ['* SEARCH 4']);
      assert.match((await client.command('EXPUNGE extra')).tagged, / BAD /);
    });

    it('CLOSE expunges silently; UNSELECT does not expunge', async () => {
      const { client, user } = await mailbox(['a', 'b']);
      await client.command('STORE 1 +FLAGS.SILENT (\\Deleted)');
      const unselect = await client.command('UNSELECT');
      assert.deepEqual(unselect.lines, ['t4 OK UNSELECT completed']);
      assert.equal((await server.store.listMessages({ user, mailbox: 'INBOX' })).length, 2);
      assert.match((await client.command('FETCH 1 FLAGS')).tagged, / BAD /);
      await client.command('SELECT INBOX');
      const close = await client.command('CLOSE');
      assert.deepEqual(close.lines, ['t7 OK CLOSE completed']);
      assert.equal((await server.store.listMessages({ user, mailbox: 'INBOX' })).length, 1);
      assert.match((await client.command('CLOSE')).tagged, / BAD /);
    });
  });

  describe('IDLE', () => {
    it('continuation, EXISTS on delivery, DONE ends it', async () => {
      const { client, user } = await mailbox(['a']);
      client.write('i1 IDLE\r\n');
      assert.match((await client.readLine())!, /^\+ /);
      await server.deliver(user, message('b'));
      assert.equal(await waitForLine(client, (line) => line.endsWith('EXISTS')), '* 2 EXISTS');
      client.write('DONE\r\n');
      assert.equal((await client.readUntilTagged('i1')).tagged, 'i1 OK IDLE terminated');
      assert.match((await client.command('NOOP')).tagged, / OK /);
    });

    it('something other than DONE is BAD', async () => {
      const { client } = await mailbox([]);
      client.write('i1 IDLE\r\n');
      assert.match((await client.readLine())!, /^\+ /);
      client.write('NOT DONE\r\n');
      assert.match((await client.readUntilTagged('i1')).tagged, /^i1 BAD /);
    });
  });

  describe('CONDSTORE and QRESYNC', () => {
    it('FETCH (CHANGEDSINCE n) returns only what changed, with MODSEQ', async () => {
      const { client, selected } = await mailbox(['a', 'b', 'c'], { enable: 'CONDSTORE' });
      const start = highestModseq(selected!.lines);
      await client.command('STORE 2 +FLAGS.SILENT (\\Flagged)');
      const reply = await client.command(`FETCH 1:* (FLAGS) (CHANGEDSINCE ${start})`);
      const lines = untaggedLines(reply);
      assert.equal(lines.length, 1);
      assert.match(lines[0]!, /^\* 2 FETCH \(FLAGS \(\\Flagged\) MODSEQ \(\d+\)\)$/);
      assert.ok(modseqOf(lines[0]!) > start);
      const modseq = await client.command('FETCH 1 (MODSEQ)');
      assert.match(modseq.lines[0]!, /^\* 1 FETCH \(MODSEQ \(\d+\)\)$/);
      const search = await client.command(`SEARCH MODSEQ ${start + 1}`);
      assert.match(search.lines[0]!, /^\* SEARCH 2 \(MODSEQ \d+\)$/);
      for (const bad of ['0', '-1', 'x', '99999999999999999999']) {
        assert.match((await client.command(`FETCH 1 (FLAGS) (CHANGEDSINCE ${bad})`)).tagged, / BAD /, bad);
      }
    });

    it('UID FETCH (CHANGEDSINCE n VANISHED) reports expunged UIDs as VANISHED (EARLIER)', async () => {
      const { client, selected } = await mailbox(['a', 'b', 'c', 'd'], { enable: 'QRESYNC' });
      const start = highestModseq(selected!.lines);
      await client.command('STORE 2,3 +FLAGS.SILENT (\\Deleted)');
      const expunged = await client.command('EXPUNGE');
      // With QRESYNC, expunges are reported as VANISHED, not EXPUNGE.
      assert.equal(untaggedLines(expunged)[0], '* VANISHED 2:3');
      assert.match(expunged.tagged, /OK \[HIGHESTMODSEQ \d+\]/);
      await client.command('STORE 1 +FLAGS.SILENT (\\Seen)');
      const reply = await client.command(`UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${start} VANISHED)`);
      const lines = untaggedLines(reply);
      assert.equal(lines[0], '* VANISHED (EARLIER) 2:3');
      assert.match(lines[1]!, /^\* 1 FETCH \(UID 1 FLAGS \(\\Seen\) MODSEQ \(\d+\)\)$/);
      assert.equal(lines.length, 2);
      assert.match((await client.command(`FETCH 1:* (FLAGS) (CHANGEDSINCE ${start} VANISHED)`)).tagged, / BAD /);
    });

    it('SELECT (QRESYNC (uidvalidity modseq)) resynchronises: VANISHED (EARLIER) and changed flags', async () => {
      const { client, user, selected } = await mailbox(['a', 'b', 'c'], { enable: 'QRESYNC' });
      const start = highestModseq(selected!.lines);
      const uidValidity = Number(selected!.lines.map((line) => /UIDVALIDITY (\d+)/.exec(line)?.[1]).find(Boolean));
      await client.command('LOGOUT');
      // While the client is away another client expunges 2 and flags 3.
      const box = { user, mailbox: 'INBOX' };
      await server.store.updateFlags(box, [2], 'add', ['\\Deleted']);
      await server.store.expunge(box);
      await server.store.updateFlags(box, [3], 'add', ['\\Answered']);
      const again = await server.login(user);
      await again.command('ENABLE QRESYNC');
      const reply = await again.command(`SELECT INBOX (QRESYNC (${uidValidity} ${start}))`);
      assert.ok(reply.lines.includes('* VANISHED (EARLIER) 2'), reply.lines.join('\n'));
      assert.ok(reply.lines.some((line) => /^\* 2 FETCH \(UID 3 FLAGS \(\\Answered\) MODSEQ \(\d+\)\)$/.test(line)), reply.lines.join('\n'));
      assert.ok(!reply.lines.some((line) => line.startsWith('* 1 FETCH')));
      assert.match(reply.tagged, /OK \[READ-WRITE\]/);
      // A stale UIDVALIDITY: no resync data at all.
      const stale = await again.command(`EXAMINE INBOX (QRESYNC (${uidValidity + 1} ${start}))`);
      assert.ok(!stale.lines.some((line) => line.includes('VANISHED') || line.includes('FETCH')));
    });

    it('SELECT (QRESYNC (... (known-sequence-set known-uid-set))): VANISHED only above the highest pair that still matches', async () => {
      const { client, user, selected } = await mailbox(['a', 'b', 'c', 'd', 'e', 'f'], { enable: 'QRESYNC' });
      const start = highestModseq(selected!.lines);
      const uidValidity = Number(selected!.lines.map((line) => /UIDVALIDITY (\d+)/.exec(line)?.[1]).find(Boolean));
      // The client sees 2 go, then leaves; 5 goes while it is away.
      await client.command('STORE 2 +FLAGS.SILENT (\\Deleted)');
      assert.equal(untaggedLines(await client.command('EXPUNGE'))[0], '* VANISHED 2');
      await client.command('LOGOUT');
      const box = { user, mailbox: 'INBOX' };
      await server.store.updateFlags(box, [5], 'add', ['\\Deleted']);
      await server.store.expunge(box);
      const again = await server.login(user);
      await again.command('ENABLE QRESYNC');
      const vanished = (reply: { lines: readonly string[] }) => reply.lines.filter((line) => line.startsWith('* VANISHED'));
      // From an old modseq alone the server cannot know the client saw 2 go.
      assert.deepEqual(vanished(await again.command(`EXAMINE INBOX (QRESYNC (${uidValidity} ${start}))`)), ['* VANISHED (EARLIER) 2,5']);
      // Messages 1..3 were UIDs 1, 3 and 4 to the client, and still are: nothing below 4 went.
      assert.deepEqual(vanished(await again.command(`EXAMINE INBOX (QRESYNC (${uidValidity} ${start} 1:6 (1:3 1,3:4)))`)), ['* VANISHED (EARLIER) 5']);
      // A pair that no longer matches (4 was UID 5) is passed over for a lower one.
      assert.deepEqual(vanished(await again.command(`EXAMINE INBOX (QRESYNC (${uidValidity} ${start} 1:6 (2,4 3,5)))`)), ['* VANISHED (EARLIER) 5']);
      for (const bad of ['(1:3 1:2)', '(1:* 1:3)', '(1:3)', '($ 1)']) {
        assert.match((await again.command(`EXAMINE INBOX (QRESYNC (${uidValidity} ${start} 1:6 ${bad}))`)).tagged, / BAD /, bad);
      }
      assert.match((await again.command(`EXAMINE INBOX (QRESYNC (${uidValidity} ${start} 1:*))`)).tagged, / BAD /);
    });

    it('SELECT (QRESYNC ...) without ENABLE QRESYNC is BAD', async () => {
      const { client } = await mailbox(['a'], { select: false });
      assert.match((await client.command('SELECT INBOX (QRESYNC (1 1))')).tagged, / BAD /);
    });
  });
});
