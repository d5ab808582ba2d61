import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { MailboxChange } from '@posthorn/contracts';
import { box, filesIn, inbox, message, openStore, USER } from './helpers.ts';

type Fixture = Awaited<ReturnType<typeof openStore>>;

describe('MaildirStore: mailboxes', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await openStore();
  });
  afterEach(() => f.remove());

  it('ensureAccount creates INBOX and the special-use mailboxes, subscribed, once', async () => {
    await f.store.ensureAccount(USER);
    await f.store.ensureAccount(USER);
    const boxes = await f.store.listMailboxes(USER);
    assert.deepEqual(
      boxes.map((b) => [b.name, b.specialUse ?? null, b.subscribed]),
      [
        ['INBOX', null, true],
        ['Archive', '\\Archive', true],
        ['Drafts', '\\Drafts', true],
        ['Junk', '\\Junk', true],
        ['Sent', '\\Sent', true],
        ['Trash', '\\Trash', true],
      ],
    );
    for (const b of boxes) {
      assert.ok(b.uidValidity > 0 && b.uidValidity < 2 ** 32);
      assert.equal(b.uidNext, 1);
      assert.equal(b.messages, 0);
    }
    assert.equal(new Set(boxes.map((b) => b.uidValidity)).size, boxes.length, 'each mailbox its own UIDVALIDITY');
    // A user who deleted Junk does not get it back with the next delivery.
    await f.store.deleteMailbox(USER, 'Junk');
    await f.store.ensureAccount(USER);
    assert.equal((await f.store.listMailboxes(USER)).some((b) => b.name === 'Junk'), false);
  });

  it('creates mailboxes with their parents, and refuses duplicates and bad names', async () => {
    await f.store.createMailbox(USER, 'Work/Clients/ACME', { specialUse: '\\Archive' });
    const boxes = await f.store.listMailboxes(USER);
    assert.deepEqual(
      boxes.map((b) => b.name),
      ['INBOX', 'Work', 'Work/Clients', 'Work/Clients/ACME'],
    );
    assert.equal(boxes.find((b) => b.name === 'Work/Clients/ACME')!.specialUse, '\\Archive');
    await assert.rejects(f.store.createMailbox(USER, 'Work'), { code: 'ALREADYEXISTS' });
    await assert.rejects(f.store.createMailbox(USER, 'inbox'), { code: 'ALREADYEXISTS' });
    for (const bad of ['', 'a//b', '/x', 'x/', '../escape', 'a/../b', 'nul\0', 'line\nbreak']) {
      await assert.rejects(f.store.createMailbox(USER, bad), { code: 'CANNOT' }, JSON.stringify(bad));
    }
    await f.store.createMailbox(USER, 'a.b');
    await f.store.createMailbox(USER, 'a/b');
    assert.deepEqual((await f.store.listMailboxes(USER)).filter((b) => b.name.startsWith('a')).map((b) => b.name), ['a', 'a.b', 'a/b']);
  });

  it('subscribes and unsubscribes', async () => {
    await f.store.createMailbox(USER, 'Lists');
    assert.equal((await f.store.listMailboxes(USER)).find((b) => b.name === 'Lists')!.subscribed, false);
    await f.store.setSubscribed(USER, 'Lists', true);
    assert.equal((await f.store.listMailboxes(USER)).find((b) => b.name === 'Lists')!.subscribed, true);
    await f.store.setSubscribed(USER, 'Lists', false);
    assert.equal((await f.store.listMailboxes(USER)).find((b) => b.name === 'Lists')!.subscribed, false);
    await assert.rejects(f.store.setSubscribed(USER, 'Nope', true), { code: 'NONEXISTENT' });
  });

  it('deletes a mailbox with its messages and folder, but never INBOX', async () => {
    await f.store.createMailbox(USER, 'Old');
    await f.store.append(box('Old'), message('old'));
    const before = (await f.store.status(box('Old'))).uidValidity;
    const events: MailboxChange[] = [];
    f.store.watch(box('Old'), (change) => events.push(change));
    await f.store.deleteMailbox(USER, 'Old');
    assert.deepEqual(events, [{ type: 'deleted' }]);
    await assert.rejects(f.store.status(box('Old')), { code: 'NONEXISTENT' });
    await assert.rejects(readFile(join(f.accountDir, '.Old', 'new')), { code: 'ENOENT' });
    await assert.rejects(f.store.deleteMailbox(USER, 'Old'), { code: 'NONEXISTENT' });
    await assert.rejects(f.store.deleteMailbox(USER, 'INBOX'), { code: 'CANNOT' });
    await assert.rejects(f.store.deleteMailbox(USER, 'inbox'), { code: 'CANNOT' });
    // Created again: a new UIDVALIDITY, so no client mistakes new UIDs for old ones.
    await f.store.createMailbox(USER, 'Old');
    const again = await f.store.status(box('Old'));
    assert.notEqual(again.uidValidity, before);
    assert.equal(again.messages, 0);
  });

  it('renames a mailbox and its children, keeping UIDVALIDITY and messages', async () => {
    await f.store.createMailbox(USER, 'Work/2024');
    await f.store.append(box('Work'), message('w1'));
    await f.store.append(box('Work/2024'), message('w2'));
    const work = await f.store.status(box('Work'));
    await f.store.renameMailbox(USER, 'Work', 'Archive/Job');
    const names = (await f.store.listMailboxes(USER)).map((b) => b.name);
    assert.deepEqual(names, ['INBOX', 'Archive', 'Archive/Job', 'Archive/Job/2024']);
    const moved = await f.store.status(box('Archive/Job'));
    assert.equal(moved.uidValidity, work.uidValidity);
    assert.equal(moved.messages, 1);
    assert.match((await f.store.readMessage(box('Archive/Job/2024'), 1)).toString(), /Subject: w2/);
    await assert.rejects(f.store.status(box('Work')), { code: 'NONEXISTENT' });
    await assert.rejects(f.store.renameMailbox(USER, 'Work', 'X'), { code: 'NONEXISTENT' });
    await assert.rejects(f.store.renameMailbox(USER, 'Archive', 'INBOX'), { code: 'ALREADYEXISTS' });
    await assert.rejects(f.store.renameMailbox(USER, 'Archive', 'Archive/Job'), { code: 'ALREADYEXISTS' });
    await assert.rejects(f.store.renameMailbox(USER, 'Archive', 'Archive/Deeper'), { code: 'CANNOT' });
    await assert.rejects(f.store.renameMailbox(USER, 'Archive', 'bad//name'), { code: 'CANNOT' });
    await f.store.createMailbox(USER, 'Other/2024');
    await assert.rejects(f.store.renameMailbox(USER, 'Archive/Job', 'Other'), { code: 'ALREADYEXISTS' });
  });

  it('renaming INBOX moves its messages into a new mailbox and leaves INBOX empty (RFC 9051 6.3.6)', async () => {
    await f.store.createMailbox(USER, 'INBOX/Child');
    await f.store.append(inbox, message('one'), { flags: ['\\Seen', '$Label1'] });
    await f.store.append(inbox, message('two'));
    const before = await f.store.status(inbox);
    await f.store.renameMailbox(USER, 'INBOX', 'Old Inbox');
    const after = await f.store.status(inbox);
    assert.equal(after.messages, 0);
    assert.equal(after.uidValidity, before.uidValidity);
    assert.equal(after.uidNext, before.uidNext, 'UIDs stay used');
    const old = await f.store.listMessages(box('Old Inbox'));
    assert.deepEqual(
      old.map((m) => [m.uid, m.flags]),
      [
        [1, ['\\Seen', '$Label1']],
        [2, []],
      ],
    );
    assert.deepEqual(await f.store.expungedSince(inbox, before.highestModseq), [1, 2]);
    assert.ok((await f.store.listMailboxes(USER)).some((b) => b.name === 'INBOX/Child'), 'children of INBOX stay');
    assert.deepEqual(await filesIn(f.accountDir), []);
  });
});

describe('MaildirStore: messages', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await openStore();
    await f.store.ensureAccount(USER);
  });
  afterEach(() => f.remove());

  it('appends with ascending UIDs and lists metadata from the index', async () => {
    const date = new Date('2024-01-02T03:04:05.000Z');
    const first = await f.store.append(inbox, message('one'), { internalDate: date });
    const second = await f.store.append(inbox, message('two'), { flags: ['\\Seen', '\\flagged', 'Work', 'work', '\\Recent'] });
    const status = await f.store.status(inbox);
    assert.equal(first.uid, 1);
    assert.equal(second.uid, 2);
    assert.equal(first.uidValidity, status.uidValidity);
    assert.equal(first.duplicate, false);
    assert.notEqual(first.id, second.id);
    assert.match(first.id, /^[\x21-\x7e]{1,70}$/, 'usable as a POP3 UIDL');
    const list = await f.store.listMessages(inbox);
    assert.deepEqual(
      list.map((m) => [m.uid, m.id, m.flags, m.size]),
      [
        [1, first.id, [], message('one').length],
        [2, second.id, ['\\Seen', '\\Flagged', 'Work'], message('two').length],
      ],
    );
    assert.equal(list[0]!.internalDate.getTime(), date.getTime());
    assert.ok(list[0]!.modseq < list[1]!.modseq);
    assert.deepEqual(status, {
      uidValidity: status.uidValidity,
      uidNext: 3,
      highestModseq: list[1]!.modseq,
      messages: 2,
      unseen: 1,
      size: message('one').length + message('two').length,
    });
    // Delivery goes to new/, an append with flags to cur/ with Maildir info.
    const files = await filesIn(f.accountDir);
    assert.equal(files.length, 2);
    assert.match(files[0]!, /^cur\/\d+\.[0-9a-f]{24}\.[^,]+,S=\d+:2,FS$/);
    assert.match(files[1]!, /^new\/\d+\.[0-9a-f]{24}\.[^,]+,S=\d+$/);
  });

  it('refuses invalid flags and appends to a missing mailbox', async () => {
    await assert.rejects(f.store.append(inbox, message('x'), { flags: ['\\Bogus'] }), { code: 'CANNOT' });
    await assert.rejects(f.store.append(inbox, message('x'), { flags: ['has space'] }), { code: 'CANNOT' });
    await assert.rejects(f.store.append(inbox, message('x'), { flags: ['paren('] }), { code: 'CANNOT' });
    await assert.rejects(f.store.append(box('Nope'), message('x')), { code: 'NONEXISTENT' });
    await assert.rejects(f.store.append(box('../x'), message('x')), { code: 'NONEXISTENT' });
    assert.equal((await f.store.status(inbox)).messages, 0);
  });

  it('reads whole messages and byte ranges', async () => {
    const raw = message('ranges', '0123456789\r\n');
    await f.store.append(inbox, raw);
    assert.deepEqual(await f.store.readMessage(inbox, 1), raw);
    assert.deepEqual(await f.store.readMessage(inbox, 1, { start: 0, end: 4 }), raw.subarray(0, 4));
    assert.deepEqual(await f.store.readMessage(inbox, 1, { start: 10 }), raw.subarray(10));
    assert.deepEqual(await f.store.readMessage(inbox, 1, { start: 5, end: 5 }), Buffer.alloc(0));
    assert.deepEqual(await f.store.readMessage(inbox, 1, { start: raw.length + 10 }), Buffer.alloc(0));
    assert.deepEqual(await f.store.readMessage(inbox, 1, { start: raw.length - 3, end: raw.length + 100 }), raw.subarray(raw.length - 3));
    // Bounded ranges take the path that never asks the file's size: the same clamping.
    assert.deepEqual(await f.store.readMessage(inbox, 1, { start: 0, end: raw.length }), raw);
    assert.deepEqual(await f.store.readMessage(inbox, 1, { start: raw.length + 10, end: raw.length + 20 }), Buffer.alloc(0));
    assert.deepEqual(await f.store.readMessage(inbox, 1, { start: 6, end: 2 }), Buffer.alloc(0));
    assert.deepEqual(await f.store.readMessage(inbox, 1, { start: -5, end: 3 }), raw.subarray(0, 3));
    await assert.rejects(f.store.readMessage(inbox, 99), { code: 'NONEXISTENT' });
  });

  it('lists a UID subset and what changed since a modseq (CONDSTORE)', async () => {
    for (const s of ['a', 'b', 'c', 'd']) await f.store.append(inbox, message(s));
    assert.deepEqual((await f.store.listMessages(inbox, { uids: [4, 2, 99] })).map((m) => m.uid), [2, 4]);
    const { highestModseq } = await f.store.status(inbox);
    await f.store.updateFlags(inbox, [3], 'add', ['\\Seen']);
    assert.deepEqual((await f.store.listMessages(inbox, { changedSince: highestModseq })).map((m) => m.uid), [3]);
    assert.deepEqual((await f.store.listMessages(inbox, { changedSince: highestModseq, uids: [1, 2] })).map((m) => m.uid), []);
    assert.deepEqual((await f.store.listMessages(inbox, { uids: [] })).length, 0);
  });

  it('updates flags: add, remove, set; bumps modseq only on change; honours UNCHANGEDSINCE', async () => {
    for (const s of ['a', 'b', 'c']) await f.store.append(inbox, message(s));
    const start = (await f.store.status(inbox)).highestModseq;

    const added = await f.store.updateFlags(inbox, [1, 2], 'add', ['\\seen', '$Important']);
    assert.deepEqual(added.conflicts, []);
    assert.deepEqual(added.updated.map((m) => [m.uid, m.flags, m.modseq]), [
      [1, ['\\Seen', '$Important'], start + 1],
      [2, ['\\Seen', '$Important'], start + 1],
    ]);
    assert.equal((await f.store.status(inbox)).unseen, 1);

    const again = await f.store.updateFlags(inbox, [1], 'add', ['\\Seen']);
    assert.deepEqual(again.updated, [], 'nothing changed');
    assert.equal((await f.store.status(inbox)).highestModseq, start + 1);

    const removed = await f.store.updateFlags(inbox, [1], 'remove', ['$important']);
    assert.deepEqual(removed.updated[0]!.flags, ['\\Seen']);
    const set = await f.store.updateFlags(inbox, [2], 'set', ['\\Draft']);
    assert.deepEqual(set.updated[0]!.flags, ['\\Draft']);

    // UNCHANGEDSINCE: message 2 changed after `start + 1`, message 3 did not.
    const conditional = await f.store.updateFlags(inbox, [2, 3], 'add', ['\\Flagged'], { unchangedSince: start + 1 });
    assert.deepEqual(conditional.conflicts, [2]);
    assert.deepEqual(conditional.updated.map((m) => m.uid), [3]);
    assert.deepEqual((await f.store.listMessages(inbox, { uids: [2] }))[0]!.flags, ['\\Draft']);
    assert.deepEqual((await f.store.updateFlags(inbox, [1], 'add', ['\\Answered'], { unchangedSince: 0 })).conflicts, [1]);
    await assert.rejects(f.store.updateFlags(inbox, [1], 'add', ['\\Nonsense']), { code: 'CANNOT' });
  });

  it('expunges \\Deleted messages or given UIDs, records them for QRESYNC and removes the files', async () => {
    for (const s of ['a', 'b', 'c', 'd']) await f.store.append(inbox, message(s));
    await f.store.updateFlags(inbox, [2, 3], 'add', ['\\Deleted']);
    const before = (await f.store.status(inbox)).highestModseq;
    assert.deepEqual(await f.store.expunge(inbox), [2, 3]);
    const after = await f.store.status(inbox);
    assert.equal(after.highestModseq, before + 1);
    assert.equal(after.messages, 2);
    assert.deepEqual(await f.store.expungedSince(inbox, before), [2, 3]);
    assert.deepEqual(await f.store.expungedSince(inbox, after.highestModseq), []);
    assert.deepEqual(await f.store.expunge(inbox, [4, 99]), [4]);
    assert.deepEqual(await f.store.expungedSince(inbox, before), [2, 3, 4]);
    assert.deepEqual(await f.store.expunge(inbox), []);
    assert.equal((await filesIn(f.accountDir)).length, 1);
    await assert.rejects(f.store.readMessage(inbox, 2), { code: 'NONEXISTENT' });
  });

  it('never reuses a UID, across expunge and restart', async () => {
    await f.store.append(inbox, message('a'));
    await f.store.append(inbox, message('b'));
    const { uidValidity } = await f.store.status(inbox);
    await f.store.expunge(inbox, [1, 2]);
    const store = await f.reopen();
    const next = await store.append(inbox, message('c'));
    assert.equal(next.uid, 3);
    assert.equal(next.uidValidity, uidValidity);
    assert.equal((await store.status(inbox)).uidNext, 4);
  });

  it('copies with a UID mapping in source order, new ids, flags and dates kept', async () => {
    for (const s of ['a', 'b', 'c']) await f.store.append(inbox, message(s), { internalDate: new Date(`2024-01-0${s.charCodeAt(0) - 96}T00:00:00Z`) });
    await f.store.updateFlags(inbox, [3], 'add', ['\\Flagged', 'Keep']);
    await f.store.append(box('Archive'), message('already there'));
    const result = await f.store.copy(inbox, [3, 1, 42], 'Archive');
    assert.equal(result.uidValidity, (await f.store.status(box('Archive'))).uidValidity);
    assert.deepEqual(result.mapping, [
      [1, 2],
      [3, 3],
    ]);
    const source = await f.store.listMessages(inbox);
    const copies = await f.store.listMessages(box('Archive'), { uids: [2, 3] });
    assert.deepEqual(copies.map((m) => m.flags), [[], ['\\Flagged', 'Keep']]);
    assert.deepEqual(copies.map((m) => m.internalDate.toISOString()), ['2024-01-01T00:00:00.000Z', '2024-01-03T00:00:00.000Z']);
    assert.notEqual(copies[0]!.id, source[0]!.id, 'a copy gets its own id');
    assert.deepEqual(await f.store.readMessage(box('Archive'), 3), await f.store.readMessage(inbox, 3));
    assert.equal(source.length, 3, 'the source is untouched');
    // Copies are independent: expunging the original keeps the copy readable.
    await f.store.expunge(inbox, [1]);
    assert.match((await f.store.readMessage(box('Archive'), 2)).toString(), /Subject: a/);
    await assert.rejects(f.store.copy(inbox, [2], 'Nope'), { code: 'NONEXISTENT' });
    assert.deepEqual((await f.store.copy(inbox, [2], 'INBOX')).mapping, [[2, 4]], 'copy into the same mailbox');
  });

  it('moves within one mailbox: new UIDs at the end, the originals expunged, the content kept', async () => {
    for (const s of ['a', 'b', 'c']) await f.store.append(inbox, message(s), { flags: s === 'a' ? ['\\Flagged'] : [] });
    const before = (await f.store.status(inbox)).highestModseq;
    assert.deepEqual((await f.store.move(inbox, [1, 2], 'INBOX')).mapping, [[1, 4], [2, 5]]);
    assert.deepEqual((await f.store.listMessages(inbox)).map((m) => [m.uid, m.flags]), [[3, []], [4, ['\\Flagged']], [5, []]]);
    assert.deepEqual(await f.store.expungedSince(inbox, before), [1, 2]);
    assert.match((await f.store.readMessage(inbox, 4)).toString(), /Subject: a/);
    assert.equal((await f.store.status(inbox)).uidNext, 6);
  });

  it('moves: new UIDs in the target, expunged from the source, in one step', async () => {
    for (const s of ['a', 'b', 'c']) await f.store.append(inbox, message(s), { flags: s === 'b' ? ['\\Seen'] : [] });
    const sourceEvents: MailboxChange[] = [];
    const targetEvents: MailboxChange[] = [];
    f.store.watch(inbox, (change) => sourceEvents.push(change));
    f.store.watch(box('Trash'), (change) => targetEvents.push(change));
    const before = (await f.store.status(inbox)).highestModseq;
    const result = await f.store.move(inbox, [2, 3], 'Trash');
    assert.deepEqual(result.mapping, [
      [2, 1],
      [3, 2],
    ]);
    assert.deepEqual((await f.store.listMessages(inbox)).map((m) => m.uid), [1]);
    assert.deepEqual(await f.store.expungedSince(inbox, before), [2, 3]);
    assert.deepEqual((await f.store.listMessages(box('Trash'))).map((m) => [m.uid, m.flags]), [
      [1, ['\\Seen']],
      [2, []],
    ]);
    assert.deepEqual(sourceEvents.map((e) => e.type), ['expunge', 'expunge']);
    assert.deepEqual(targetEvents.map((e) => (e.type === 'exists' ? e.message.uid : -1)), [1, 2]);
    assert.equal((await filesIn(f.accountDir)).length, 1);
    assert.equal((await filesIn(join(f.accountDir, '.Trash'))).length, 2);
  });

  it('returns the first result for a dedupe key it has seen, even after expunge', async () => {
    const first = await f.store.append(inbox, message('once'), { dedupeKey: 'queue-1/0/alice@localhost' });
    const second = await f.store.append(inbox, message('once'), { dedupeKey: 'queue-1/0/alice@localhost' });
    assert.deepEqual(second, { ...first, duplicate: true });
    assert.equal((await f.store.status(inbox)).messages, 1);
    assert.equal((await filesIn(f.accountDir)).length, 1);
    await f.store.expunge(inbox, [first.uid]);
    assert.equal((await f.store.append(inbox, message('once'), { dedupeKey: 'queue-1/0/alice@localhost' })).duplicate, true);
    assert.equal((await f.store.append(inbox, message('other'), { dedupeKey: 'queue-1/1/alice@localhost' })).duplicate, false);
    // Keys are per mailbox.
    assert.equal((await f.store.append(box('Archive'), message('once'), { dedupeKey: 'queue-1/0/alice@localhost' })).duplicate, false);
  });

  it('answers listMessages from the index without touching the files', async () => {
    for (let i = 0; i < 50; i++) await f.store.append(inbox, message(`m${i}`));
    const { rm } = await import('node:fs/promises');
    for (const file of await filesIn(f.accountDir)) await rm(join(f.accountDir, file));
    const listed = await f.store.listMessages(inbox);
    assert.equal(listed.length, 50);
    assert.equal((await f.store.status(inbox)).messages, 50);
  });

  it('reports usage over all mailboxes and refuses appends and copies over quota', async () => {
    let quota: number | undefined;
    const q = await openStore({ quotaOf: async () => quota });
    try {
      await q.store.ensureAccount(USER);
      const raw = message('sized', 'x'.repeat(100));
      await q.store.append(inbox, raw);
      await q.store.append(box('Sent'), raw);
      assert.deepEqual(await q.store.usage(USER), { bytes: raw.length * 2, messages: 2 });
      quota = raw.length * 3;
      const stored = await q.store.append(inbox, raw, { dedupeKey: 'k' });
      // A retry of a delivery that is already stored is not refused for lack of room.
      assert.equal((await q.store.append(inbox, raw, { dedupeKey: 'k' })).uid, stored.uid);
      await assert.rejects(q.store.append(inbox, raw), (err: { code: string; details: Record<string, number> }) => {
        assert.equal(err.code, 'OVERQUOTA');
        assert.equal(err.details.quota, raw.length * 3);
        assert.equal(err.details.used, raw.length * 3);
        return true;
      });
      await assert.rejects(q.store.copy(inbox, [1], 'Archive'), { code: 'OVERQUOTA' });
      // A move does not use more space.
      await q.store.move(inbox, [1], 'Archive');
      assert.deepEqual(await q.store.usage(USER), { bytes: raw.length * 3, messages: 3 });
    } finally {
      await q.remove();
    }
  });
});

describe('MaildirStore: watch and lock', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await openStore();
    await f.store.ensureAccount(USER);
  });
  afterEach(() => f.remove());

  it('tells watchers of a mailbox about each committed change, and stops when unsubscribed', async () => {
    const events: MailboxChange[] = [];
    const other: MailboxChange[] = [];
    let visible: Promise<number[]> | undefined;
    const stop = f.store.watch({ user: USER, mailbox: 'inbox' }, (change) => {
      // By the time a watcher hears of a change, it is committed: a read started now sees it.
      if (change.type === 'exists') visible = f.store.listMessages(inbox).then((list) => list.map((m) => m.uid));
      events.push(change);
    });
    f.store.watch(box('Sent'), (change) => other.push(change));
    f.store.watch(inbox, () => {
      throw new Error('a broken listener');
    });
    const appended = await f.store.append(inbox, message('watched'));
    await f.store.updateFlags(inbox, [appended.uid], 'add', ['\\Deleted']);
    await f.store.expunge(inbox);
    stop();
    stop();
    await f.store.append(inbox, message('unwatched'));
    assert.deepEqual(
      events.map((e) => e.type),
      ['exists', 'flags', 'expunge'],
    );
    const [exists, flags, expunge] = events as [Extract<MailboxChange, { type: 'exists' }>, Extract<MailboxChange, { type: 'flags' }>, Extract<MailboxChange, { type: 'expunge' }>];
    assert.equal(exists.message.uid, appended.uid);
    assert.deepEqual(await visible, [appended.uid]);
    assert.deepEqual(flags.message.flags, ['\\Deleted']);
    assert.equal(expunge.uid, appended.uid);
    assert.equal(expunge.modseq, (await f.store.status(inbox)).highestModseq - 1);
    assert.deepEqual(other, []);
  });

  it('locks a mailbox exclusively until released (POP3)', async () => {
    const release = await f.store.lock(inbox, 'pop3 session 1');
    await assert.rejects(f.store.lock({ user: USER, mailbox: 'inbox' }, 'pop3 session 2'), { code: 'INUSE' });
    const sent = await f.store.lock(box('Sent'), 'other');
    release();
    const again = await f.store.lock(inbox, 'pop3 session 2');
    release(); // a stale release must not free the new holder's lock
    await assert.rejects(f.store.lock(inbox, 'pop3 session 3'), { code: 'INUSE' });
    again();
    sent();
    (await f.store.lock(inbox, 'pop3 session 3'))();
  });

  it('keeps accounts apart', async () => {
    await f.store.append(inbox, message('for alice'));
    await f.store.ensureAccount('bob@localhost');
    assert.equal((await f.store.status({ user: 'bob@localhost', mailbox: 'INBOX' })).messages, 0);
    const release = await f.store.lock({ user: 'alice@LOCALHOST', mailbox: 'INBOX' }, 'x');
    await assert.rejects(f.store.lock(inbox, 'y'), { code: 'INUSE' });
    (await f.store.lock({ user: 'bob@localhost', mailbox: 'INBOX' }, 'z'))();
    release();
    assert.match((await readFile(join(f.root, 'localhost', 'alice', 'posthorn-index.sqlite'))).subarray(0, 15).toString(), /SQLite format 3/);
  });
});
