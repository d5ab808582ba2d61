import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type RawImapClient, untaggedLines } from './client.ts';
import { message, transcriptServer } from './helpers.ts';

/** Transcripts of the mailbox commands: SELECT/EXAMINE, CREATE…LIST, LSUB, STATUS, APPEND, quota. */

describe('imap transcripts: mailbox commands', () => {
  const server = transcriptServer('mb', 20);

  /** A fresh account per test, so tests do not see each other's mailboxes. */
  async function fresh(): Promise<{ client: RawImapClient; user: string }> {
    const user = server.freshUser();
    const client = await server.login(user);
    return { client, user };
  }

  describe('SELECT and EXAMINE', () => {
    it('SELECT of an empty INBOX: exact untagged lines and READ-WRITE', async () => {
      const { client, user } = await fresh();
      const { uidValidity } = await server.store.status({ user, mailbox: 'INBOX' });
      const reply = await client.command('SELECT INBOX');
      const flags = '\\Answered \\Flagged \\Deleted \\Seen \\Draft';
      assert.deepEqual(reply.lines.slice(0, 4), ['* 0 EXISTS', '* 0 RECENT', `* FLAGS (${flags})`, `* OK [PERMANENTFLAGS (${flags} \\*)] Flags permitted`]);
      assert.ok(reply.lines.includes(`* OK [UIDVALIDITY ${uidValidity}] UIDs valid`));
      assert.ok(reply.lines.includes('* OK [UIDNEXT 1] Predicted next UID'));
      assert.ok(reply.lines.some((line) => /^\* OK \[HIGHESTMODSEQ \d+\] /.test(line)));
      assert.equal(reply.tagged, 't2 OK [READ-WRITE] SELECT completed');
    });

    it('SELECT with messages: EXISTS, UNSEEN, UIDNEXT and keywords in FLAGS', async () => {
      const { client, user } = await fresh();
      await server.deliver(user, message('one'));
      await server.deliver(user, message('two'));
      await server.store.updateFlags({ user, mailbox: 'INBOX' }, [1], 'add', ['\\Seen', '$Label1']);
      const reply = await client.command('SELECT INBOX');
      assert.ok(reply.lines.includes('* 2 EXISTS'));
      assert.ok(reply.lines.includes('* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Label1)'), reply.lines.join('\n'));
      assert.ok(reply.lines.includes('* OK [UNSEEN 2] First unseen'));
      assert.ok(reply.lines.includes('* OK [UIDNEXT 3] Predicted next UID'));
      assert.match(reply.tagged, /^t2 OK \[READ-WRITE\] /);
    });

    it('EXAMINE is READ-ONLY with empty PERMANENTFLAGS and leaves \\Seen alone', async () => {
      const { client, user } = await fresh();
      await server.deliver(user, message('one'));
      const reply = await client.command('EXAMINE INBOX');
      assert.ok(reply.lines.includes('* OK [PERMANENTFLAGS ()] No permanent flags in read-only mode'));
      assert.equal(reply.tagged, 't2 OK [READ-ONLY] EXAMINE completed');
      const fetched = await client.command('FETCH 1 (BODY[])');
      assert.ok(!fetched.lines[0]!.includes('\\Seen'));
      assert.match((await client.command('STORE 1 +FLAGS (\\Flagged)')).tagged, /^t4 NO \[READ-ONLY\] /);
      const [meta] = await server.store.listMessages({ user, mailbox: 'INBOX' });
      assert.deepEqual(meta!.flags, []);
    });

    it('SELECT after ENABLE IMAP4rev2: no RECENT or UNSEEN, and the LIST response RFC 9051 6.3.2 requires', async () => {
      const { client, user } = await fresh();
      await server.deliver(user, message('one'));
      await client.command('ENABLE IMAP4rev2');
      const reply = await client.command('SELECT INBOX');
      assert.ok(!reply.lines.some((line) => / RECENT$/.test(line) || line.includes('[UNSEEN')));
      assert.ok(reply.lines.includes('* 1 EXISTS'));
      assert.ok(reply.lines.some((line) => /^\* LIST \([^)]*\) "\/" "?INBOX"?$/.test(line)), reply.lines.join('\n'));
    });

    it('SELECT of a missing mailbox is NO and leaves no mailbox selected', async () => {
      const { client } = await fresh();
      assert.match((await client.command('SELECT INBOX')).tagged, /^t2 OK /);
      const reply = await client.command('SELECT Nonexistent');
      assert.match(reply.tagged, /^t3 NO /);
      assert.match((await client.command('FETCH 1:* FLAGS')).tagged, /^t4 BAD /);
    });
  });

  describe('CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, LIST, LSUB', () => {
    it('LIST "" * lists INBOX and the special-use folders of a new account', async () => {
      const { client } = await fresh();
      const reply = await client.command('LIST "" "*"');
      const names = untaggedLines(reply).map((line) => /"\/" "?([^"]*)"?$/.exec(line)?.[1]);
      assert.deepEqual([...names].sort(), ['Archive', 'Drafts', 'INBOX', 'Junk', 'Sent', 'Trash']);
      assert.ok(reply.lines.every((line) => line.startsWith('* LIST (') || line.startsWith('t2 OK')));
      assert.match(reply.tagged, /^t2 OK /);
      // The empty pattern asks for the delimiter.
      const delimiter = await client.command('LIST "" ""');
      assert.deepEqual(untaggedLines(delimiter), ['* LIST (\\Noselect) "/" ""']);
    });

    it('CREATE, hierarchy, RENAME, DELETE', async () => {
      const { client } = await fresh();
      assert.match((await client.command('CREATE Projects/2026')).tagged, /^t2 OK /);
      assert.match((await client.command('CREATE Projects/2026')).tagged, /^t3 NO \[ALREADYEXISTS\] /);
      assert.match((await client.command('CREATE INBOX')).tagged, /^t4 NO \[ALREADYEXISTS\] /);
      const listed = await client.command('LIST "" "Projects*"');
      assert.deepEqual(untaggedLines(listed).sort(), ['* LIST (\\HasChildren) "/" "Projects"', '* LIST (\\HasNoChildren) "/" "Projects/2026"'].sort());
      const percent = await client.command('LIST "" "%"');
      assert.ok(percent.lines.some((line) => line.endsWith(' "Projects"')));
      assert.ok(!percent.lines.some((line) => line.endsWith('Projects/2026"')));
      assert.match((await client.command('RENAME Projects/2026 Projects/2027')).tagged, /^t7 OK /);
      assert.match((await client.command('RENAME Missing Other')).tagged, /^t8 NO /);
      const renamed = await client.command('LIST "" "Projects/%"');
      assert.deepEqual(untaggedLines(renamed), ['* LIST (\\HasNoChildren) "/" "Projects/2027"']);
      assert.match((await client.command('DELETE Projects/2027')).tagged, /^t10 OK /);
      assert.match((await client.command('DELETE Projects/2027')).tagged, /^t11 NO /);
      assert.match((await client.command('DELETE INBOX')).tagged, /^t12 NO /);
      // CREATE made the parent too; deleting it leaves the child (RFC 9051 6.3.4).
      await client.command('CREATE Deep/Level');
      assert.match((await client.command('DELETE Deep')).tagged, /^t14 OK /);
      assert.match((await client.command('LIST "" "Deep/Level"')).lines[0]!, /"Deep\/Level"$/);
      const after = await client.command('LIST "" "Projects*"');
      assert.deepEqual(untaggedLines(after), ['* LIST (\\HasNoChildren) "/" "Projects"']);
    });

    it('SUBSCRIBE, UNSUBSCRIBE, LIST (SUBSCRIBED) and LSUB', async () => {
      const { client } = await fresh();
      await client.command('CREATE Lists');
      assert.match((await client.command('SUBSCRIBE Lists')).tagged, /^t3 OK /);
      const lsub = await client.command('LSUB "" "L*"');
      assert.deepEqual(untaggedLines(lsub), ['* LSUB () "/" "Lists"']);
      const subscribed = await client.command('LIST (SUBSCRIBED) "" "L*"');
      assert.deepEqual(untaggedLines(subscribed), ['* LIST (\\HasNoChildren \\Subscribed) "/" "Lists"']);
      assert.match((await client.command('UNSUBSCRIBE Lists')).tagged, /^t6 OK /);
      assert.deepEqual(untaggedLines(await client.command('LSUB "" "L*"')), []);
    });

    it('LIST-EXTENDED: RETURN (SPECIAL-USE STATUS (MESSAGES)) and (SPECIAL-USE) selection', async () => {
      const { client, user } = await fresh();
      await server.deliver(user, message('trash me'), 'Trash');
      const reply = await client.command('LIST "" "T*" RETURN (SPECIAL-USE STATUS (MESSAGES UIDNEXT))');
      assert.deepEqual(untaggedLines(reply), ['* LIST (\\HasNoChildren \\Trash) "/" "Trash"', '* STATUS "Trash" (MESSAGES 1 UIDNEXT 2)']);
      const special = await client.command('LIST (SPECIAL-USE) "" "*"');
      const uses = untaggedLines(special).map((line) => /\\(Sent|Drafts|Trash|Junk|Archive)\b/.exec(line)?.[1]).sort();
      assert.deepEqual(uses, ['Archive', 'Drafts', 'Junk', 'Sent', 'Trash']);
      const multi = await client.command('LIST "" ("INBOX" "Sent")');
      assert.equal(untaggedLines(multi).length, 2);
      assert.match((await client.command('LIST "" "*" RETURN (BOGUS)')).tagged, /^t5 BAD /);
    });
  });

  describe('STATUS', () => {
    it('answers the items asked for, in order', async () => {
      const { client, user } = await fresh();
      await server.deliver(user, message('one'));
      await server.deliver(user, message('two'));
      await server.store.updateFlags({ user, mailbox: 'INBOX' }, [1], 'add', ['\\Seen']);
      const { uidValidity } = await server.store.status({ user, mailbox: 'INBOX' });
      const reply = await client.command('STATUS INBOX (MESSAGES UNSEEN UIDNEXT UIDVALIDITY)');
      assert.deepEqual(reply.lines, [`* STATUS "INBOX" (MESSAGES 2 UNSEEN 1 UIDNEXT 3 UIDVALIDITY ${uidValidity})`, 't2 OK STATUS completed']);
      const more = await client.command('STATUS INBOX (HIGHESTMODSEQ SIZE DELETED)');
      assert.match(more.lines[0]!, /^\* STATUS "INBOX" \(HIGHESTMODSEQ \d+ SIZE \d+ DELETED 0\)$/);
      assert.match((await client.command('STATUS Missing (MESSAGES)')).tagged, /^t4 NO /);
      assert.match((await client.command('STATUS INBOX (BOGUS)')).tagged, /^t5 BAD /);
      assert.match((await client.command('STATUS INBOX')).tagged, /^t6 BAD /);
    });
  });

  describe('APPEND', () => {
    it('answers APPENDUID and stores flags, date-time and the exact bytes', async () => {
      const { client, user } = await fresh();
      const { uidValidity } = await server.store.status({ user, mailbox: 'Drafts' });
      const body = message('appended');
      client.write(`a1 APPEND Drafts (\\Draft \\Seen) "17-Jul-1996 02:44:25 -0700" {${body.length}}\r\n`);
      assert.match((await client.readLine())!, /^\+ /);
      client.write(`${body}\r\n`);
      const reply = await client.readUntilTagged('a1');
      assert.equal(reply.tagged, `a1 OK [APPENDUID ${uidValidity} 1] APPEND completed`);
      await client.command('SELECT Drafts');
      const fetched = await client.command('FETCH 1 (FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])');
      assert.equal(fetched.lines[0], `* 1 FETCH (FLAGS (\\Seen \\Draft) INTERNALDATE "17-Jul-1996 09:44:25 +0000" RFC822.SIZE ${body.length} BODY[] {${body.length}}\r\n${body})`);
    });

    it('takes a LITERAL+ message and refuses a missing mailbox with TRYCREATE', async () => {
      const { client } = await fresh();
      const body = message('plus');
      client.write(`a1 APPEND INBOX {${body.length}+}\r\n${body}\r\n`);
      assert.match((await client.readUntilTagged('a1')).tagged, /^a1 OK \[APPENDUID \d+ 1\] /);
      client.write(`a2 APPEND Nowhere {${body.length}+}\r\n${body}\r\n`);
      assert.match((await client.readUntilTagged('a2')).tagged, /^a2 NO \[TRYCREATE\] /);
      client.write(`a3 APPEND INBOX (\\Recent) {${body.length}+}\r\n${body}\r\n`);
      assert.match((await client.readUntilTagged('a3')).tagged, /^a3 BAD /);
      client.write(`a4 APPEND INBOX "31-Foo-2020 00:00:00 +0000" {${body.length}+}\r\n${body}\r\n`);
      assert.match((await client.readUntilTagged('a4')).tagged, /^a4 BAD /);
      assert.match((await client.command('APPEND INBOX "not a literal"')).tagged, /^t2 BAD /);
    });

    it('an APPEND to the selected mailbox is announced with EXISTS', async () => {
      const { client } = await fresh();
      await client.command('SELECT INBOX');
      const body = message('to self');
      client.write(`a1 APPEND INBOX {${body.length}+}\r\n${body}\r\n`);
      const reply = await client.readUntilTagged('a1');
      assert.ok(reply.lines.includes('* 1 EXISTS'), reply.lines.join('\n'));
      assert.match(reply.tagged, /^a1 OK \[APPENDUID /);
    });
  });

  describe('GETQUOTAROOT', () => {
    it('answers QUOTAROOT for an existing mailbox and NO for a missing one', async () => {
      const { client } = await fresh();
      const reply = await client.command('GETQUOTAROOT INBOX');
      assert.match(reply.lines[0]!, /^\* QUOTAROOT "INBOX"( "")?$/);
      assert.match(reply.tagged, /^t2 OK /);
      assert.match((await client.command('GETQUOTAROOT Missing')).tagged, /^t3 NO /);
    });
  });
});
