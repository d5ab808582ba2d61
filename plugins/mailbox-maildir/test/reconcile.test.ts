import assert from 'node:assert/strict';
import { mkdir, readdir, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { captureLogs } from '@posthorn/testkit';
import { dedupeHash } from '../src/account-store.ts';
import { box, filesIn, inbox, message, openStore, tamper, USER } from './helpers.ts';

type Fixture = Awaited<ReturnType<typeof openStore>>;

describe('MaildirStore: reconciliation after a crash', () => {
  let f: Fixture;
  const logs = captureLogs('info');
  beforeEach(async () => {
    f = await openStore({ log: logs.logger });
    await f.store.ensureAccount(USER);
    logs.lines.length = 0;
  });
  afterEach(() => f.remove());

  it('indexes a file in new/ that has no index row (crash between rename and commit)', async () => {
    await f.store.append(inbox, message('indexed'));
    await f.store.close();
    // A file as our delivery writes it, with the dedupe key hashed into its name.
    const key = 'queue-7/0/alice@localhost';
    const raw = message('crashed before the commit');
    const name = `1700000000.0123456789abcdef01234567.host,S=${raw.length},D=${dedupeHash(key)}`;
    await writeFile(join(f.accountDir, 'new', name), raw);
    const arrived = new Date('2024-05-06T07:08:09Z');
    await utimes(join(f.accountDir, 'new', name), arrived, arrived);

    const store = await f.reopen();
    const list = await store.listMessages(inbox);
    assert.deepEqual(list.map((m) => m.uid), [1, 2]);
    assert.equal(list[1]!.id, '0123456789abcdef01234567', 'the id in the name is kept');
    assert.equal(list[1]!.size, raw.length);
    assert.equal(list[1]!.internalDate.toISOString(), arrived.toISOString(), 'internal date from the mtime');
    assert.ok(list[1]!.modseq > list[0]!.modseq);
    assert.deepEqual(await store.readMessage(inbox, 2), raw);
    // The retried delivery finds it instead of storing a second copy.
    const retry = await store.append(inbox, raw, { dedupeKey: key });
    assert.deepEqual(retry, { uidValidity: (await store.status(inbox)).uidValidity, uid: 2, id: list[1]!.id, duplicate: true });
    assert.equal(logs.find('indexed message files the index did not know').length, 1);
  });

  it('indexes foreign Maildir files too, with flags from their info', async () => {
    await f.store.close();
    await writeFile(join(f.accountDir, 'cur', '1600000000.M1P2.otherhost:2,FS'), message('from mutt'));
    await writeFile(join(f.accountDir, 'new', '1600000001.M3P4.otherhost'), message('new one'));
    const store = await f.reopen();
    const list = await store.listMessages(inbox);
    assert.equal(list.length, 2);
    assert.deepEqual(list.map((m) => m.flags).sort((a, b) => a.length - b.length), [[], ['\\Seen', '\\Flagged']]);
    for (const m of list) assert.match(m.id, /^[0-9a-f]{24}$/);
  });

  it('expunges an index row whose file is gone, with a log line', async () => {
    const a = await f.store.append(inbox, message('a'));
    await f.store.append(inbox, message('b'));
    const before = await f.store.status(inbox);
    await f.store.close();
    const first = (await filesIn(f.accountDir)).find((file) => file.includes(a.id));
    await unlink(join(f.accountDir, first!));

    const store = await f.reopen();
    const list = await store.listMessages(inbox);
    assert.equal(list.length, 1);
    assert.notEqual(list[0]!.id, a.id);
    const vanished = await store.expungedSince(inbox, before.highestModseq);
    assert.deepEqual(vanished, [a.uid]);
    assert.ok((await store.status(inbox)).highestModseq > before.highestModseq);
    const [line] = logs.find('message file is gone; expunged it from the index');
    assert.equal(line?.level, 'warn');
    assert.equal(line?.mailbox, 'INBOX');
    assert.equal(line?.uid, vanished[0]);
  });

  it('finishes an expunge whose files were not yet removed, without bringing the message back', async () => {
    const a = await f.store.append(inbox, message('a'));
    await f.store.append(inbox, message('b'));
    await f.store.close();
    const first = (await filesIn(f.accountDir)).find((file) => file.includes(a.id));
    // What the expunge transaction commits before it unlinks: row gone, removal journaled.
    tamper(f.accountDir, "DELETE FROM messages WHERE file = ?", first!);
    tamper(f.accountDir, 'INSERT INTO pending_removals (path) VALUES (?)', first!);

    const store = await f.reopen();
    assert.deepEqual((await store.listMessages(inbox)).map((m) => m.uid), [2]);
    assert.equal((await filesIn(f.accountDir)).length, 1);
    assert.equal((await store.append(inbox, message('c'))).uid, 3);
  });

  it('finishes a folder rename whose journal was committed', async () => {
    await f.store.createMailbox(USER, 'Projects');
    await f.store.append(box('Projects'), message('p'));
    const { uidValidity } = await f.store.status(box('Projects'));
    await f.store.close();
    tamper(f.accountDir, "INSERT INTO pending_renames (mailbox, name, folder, old_folder) SELECT id, 'Done', '.Done', folder FROM mailboxes WHERE name = 'Projects'");

    const store = await f.reopen();
    const names = (await store.listMailboxes(USER)).map((b) => b.name);
    assert.ok(names.includes('Done') && !names.includes('Projects'), names.join());
    const done = await store.status(box('Done'));
    assert.equal(done.uidValidity, uidValidity);
    assert.equal(done.messages, 1);
    assert.deepEqual((await readdir(f.accountDir)).filter((n) => n === '.Projects' || n === '.Done'), ['.Done']);
  });

  it('removes a deleted folder whose removal was journaled, and does not adopt it again', async () => {
    await f.store.createMailbox(USER, 'Gone');
    await f.store.append(box('Gone'), message('g'));
    await f.store.close();
    tamper(f.accountDir, "DELETE FROM mailboxes WHERE name = 'Gone'");
    tamper(f.accountDir, "INSERT INTO pending_removals (path) VALUES ('.Gone')");
    const store = await f.reopen();
    assert.equal((await store.listMailboxes(USER)).some((b) => b.name === 'Gone'), false);
    await assert.rejects(stat(join(f.accountDir, '.Gone')), { code: 'ENOENT' });
  });

  it('adopts a Maildir++ folder the index does not know', async () => {
    await f.store.close();
    const folder = join(f.accountDir, '.Imported.2023');
    for (const sub of ['cur', 'new', 'tmp']) await mkdir(join(folder, sub), { recursive: true });
    await writeFile(join(folder, 'cur', '1500000000.M1.old:2,S'), message('old mail'));
    await mkdir(join(f.accountDir, '.not%valid'), { recursive: true });
    const store = await f.reopen();
    const names = (await store.listMailboxes(USER)).map((b) => b.name);
    assert.ok(names.includes('Imported/2023'), names.join());
    assert.equal(names.some((n) => n.includes('valid')), false);
    assert.deepEqual((await store.listMessages(box('Imported/2023'))).map((m) => m.flags), [['\\Seen']]);
  });

  it('clears debris older than 36 hours from tmp/', async () => {
    await f.store.close();
    const old = join(f.accountDir, 'tmp', 'left-over');
    const fresh = join(f.accountDir, 'tmp', 'in-progress');
    await writeFile(old, 'x');
    await writeFile(fresh, 'y');
    const longAgo = new Date(Date.now() - 40 * 3600 * 1000);
    await utimes(old, longAgo, longAgo);
    await f.reopen();
    await f.store.status(inbox);
    assert.deepEqual(await readdir(join(f.accountDir, 'tmp')), ['in-progress']);
  });

  it('removes a second copy of a delivery the mailbox holds, but indexes one whose stored copy is gone', async () => {
    const stored = await f.store.append(inbox, message('stored'), { dedupeKey: 'queue-1/0/alice@localhost' });
    const expunged = await f.store.append(inbox, message('expunged'), { dedupeKey: 'queue-2/0/alice@localhost' });
    await f.store.expunge(inbox, [expunged.uid]);
    await f.store.close();
    // Left behind by appends whose index commit failed (the queue then retried): row-less files
    // with the dedupe key of a message stored meanwhile, of one since expunged, and twice of one
    // never stored at all.
    const leftOver = (n: number, key: string, subject: string) => {
      const raw = message(subject);
      return { name: `17000000${n}0.${String(n).repeat(24)}.host,S=${raw.length},D=${dedupeHash(key)}`, raw };
    };
    const files = [
      leftOver(1, 'queue-1/0/alice@localhost', 'stored'),
      leftOver(2, 'queue-2/0/alice@localhost', 'expunged'),
      leftOver(3, 'queue-3/0/alice@localhost', 'twice'),
      leftOver(4, 'queue-3/0/alice@localhost', 'twice'),
    ];
    for (const [i, file] of files.entries()) {
      await writeFile(join(f.accountDir, 'new', file.name), file.raw);
      const at = new Date(Date.UTC(2024, 0, 1, 0, i));
      await utimes(join(f.accountDir, 'new', file.name), at, at);
    }

    const store = await f.reopen();
    const list = await store.listMessages(inbox);
    assert.deepEqual(list.map((m) => m.id), [stored.id, '2'.repeat(24), '3'.repeat(24)], 'the only copies are kept, the oldest of two');
    assert.deepEqual(
      (await filesIn(f.accountDir)).filter((file) => !file.includes(stored.id)),
      [`new/${files[1]!.name}`, `new/${files[2]!.name}`],
    );
    const [line] = logs.find('removed second copies of delivered messages (same dedupe key as a stored message)');
    assert.equal(line?.count, 2);
    // The key of the copy that was indexed is known now: the queue's next retry stores nothing.
    assert.equal((await store.append(inbox, message('twice'), { dedupeKey: 'queue-3/0/alice@localhost' })).duplicate, true);
  });
});
