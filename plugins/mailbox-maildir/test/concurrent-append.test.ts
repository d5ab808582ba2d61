import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { AppendResult, MailboxChange } from '@posthorn/contracts';
import { silentLogger } from '@posthorn/core';
import { captureLogs, tempDir } from '@posthorn/testkit';
import { dedupeHash } from '../src/account-store.ts';
import { commitAppends, type StagedAppend } from '../src/append-commit.ts';
import { BatchEntry } from '../src/group-commit.ts';
import { MailIndex } from '../src/mail-index.ts';
import { messageFileName, newMessageId, writeTempFile } from '../src/maildir-files.ts';
import { reconcileAccount } from '../src/reconcile.ts';
import { box, filesIn, inbox, message, openStore, tamper, USER } from './helpers.ts';

type Fixture = Awaited<ReturnType<typeof openStore>>;

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);
const key = (n: number) => `queue-${n}/0/${USER}`;

describe('MaildirStore: concurrent appends (group commit)', () => {
  let f: Fixture;
  const logs = captureLogs('info');
  beforeEach(async () => {
    f = await openStore({ log: logs.logger });
    await f.store.ensureAccount(USER);
    logs.lines.length = 0;
  });
  afterEach(() => f.remove());

  it('gives concurrent appends distinct ascending UIDs, byte-exact files and one exists event each', async () => {
    const count = 40;
    const events: MailboxChange[] = [];
    f.store.watch(inbox, (change) => events.push(change));
    const messages = range(0, count).map((i) => message(`concurrent ${i}`, `line ${i}\r\n`.repeat(i + 1)));
    // Half of them as deliveries (with a dedupe key), half as IMAP APPENDs.
    const results = await Promise.all(messages.map((raw, i) => f.store.append(inbox, raw, i % 2 ? { dedupeKey: key(i) } : {})));

    assert.deepEqual(results.map((r) => r.uid).sort((a, b) => a - b), range(1, count));
    assert.equal(results.filter((r) => r.duplicate).length, 0);
    for (const [i, result] of results.entries()) assert.deepEqual(await f.store.readMessage(inbox, result.uid), messages[i], `message ${i}`);

    // One event per message, after its commit, in UID order, each with its own modseq.
    assert.deepEqual(events.map((e) => e.type), Array(count).fill('exists'));
    const announced = events.map((e) => (e.type === 'exists' ? e.message : undefined)!);
    assert.deepEqual(announced.map((m) => m.uid), range(1, count));
    for (let i = 1; i < count; i++) assert.ok(announced[i]!.modseq > announced[i - 1]!.modseq, 'modseqs ascend with UIDs');
    const byUid = new Map(results.map((r, i) => [r.uid, { id: r.id, size: messages[i]!.length }]));
    for (const m of announced) assert.deepEqual({ id: m.id, size: m.size }, byUid.get(m.uid));

    const status = await f.store.status(inbox);
    assert.equal(status.messages, count);
    assert.equal(status.uidNext, count + 1);
    assert.equal(status.highestModseq, announced.at(-1)!.modseq);
    assert.equal((await filesIn(f.accountDir)).length, count);
    assert.deepEqual(await readdir(join(f.accountDir, 'tmp')), [], 'nothing left in tmp/');
    // All of them start writing their files before any file I/O completes (no I/O before that:
    // no quota lookup here), so the first batch gathers every one of them.
    assert.deepEqual((await f.store.account(USER)).appendBatches, { batches: 1, items: count, largest: count });

    const store = await f.reopen();
    assert.deepEqual((await store.listMessages(inbox)).map((m) => m.id), announced.map((m) => m.id), 'the same after a restart');
  });

  it('counts UIDs per mailbox when one batch spans several mailboxes', async () => {
    const targets = range(0, 30).map((i) => (i % 3 === 0 ? box('Sent') : inbox));
    const results = await Promise.all(targets.map((target, i) => f.store.append(target, message(`m${i}`))));
    const uidsIn = (name: string) => results.filter((_, i) => targets[i]!.mailbox === name).map((r) => r.uid).sort((a, b) => a - b);
    assert.deepEqual(uidsIn('INBOX'), range(1, 20));
    assert.deepEqual(uidsIn('Sent'), range(1, 10));
    assert.equal((await f.store.status(box('Sent'))).messages, 10);
  });

  it('stores one message for appends with one dedupe key in flight together; the others get its result', async () => {
    const events: MailboxChange[] = [];
    f.store.watch(inbox, (change) => events.push(change));
    const raw = message('once');
    const results = await Promise.all([
      f.store.append(inbox, raw, { dedupeKey: key(1) }),
      f.store.append(inbox, message('other'), { dedupeKey: key(2) }),
      f.store.append(inbox, raw, { dedupeKey: key(1) }),
      f.store.append(inbox, raw, { dedupeKey: key(1) }),
    ]);
    const [first, other, second, third] = results as [AppendResult, AppendResult, AppendResult, AppendResult];
    assert.equal(first.duplicate, false);
    assert.equal(other.duplicate, false);
    assert.deepEqual(second, { ...first, duplicate: true });
    assert.deepEqual(third, { ...first, duplicate: true });
    assert.equal((await f.store.status(inbox)).messages, 2);
    assert.equal((await filesIn(f.accountDir)).length, 2);
    assert.deepEqual(await readdir(join(f.accountDir, 'tmp')), []);
    assert.equal(events.length, 2);
  });

  it('lets a waiting append with the same key try on its own when the first one fails', async () => {
    let calls = 0;
    const q = await openStore({
      quotaOf: async () => {
        if (++calls === 1) throw new Error('account directory unavailable');
        return undefined;
      },
    });
    try {
      await q.store.ensureAccount(USER);
      const raw = message('retried');
      const [first, second] = await Promise.allSettled([q.store.append(inbox, raw, { dedupeKey: key(1) }), q.store.append(inbox, raw, { dedupeKey: key(1) })]);
      assert.equal(first.status, 'rejected');
      assert.match(String((first as PromiseRejectedResult).reason), /account directory unavailable/);
      assert.equal(second.status, 'fulfilled');
      assert.equal((second as PromiseFulfilledResult<AppendResult>).value.duplicate, false);
      assert.equal((await q.store.status(inbox)).messages, 1);
    } finally {
      await q.remove();
    }
  });

  it('keeps concurrent appends within the quota: the ones that do not fit are refused', async () => {
    const raw = message('sized', 'x'.repeat(200));
    const q = await openStore({ quotaOf: async () => raw.length * 2 });
    try {
      await q.store.ensureAccount(USER);
      const outcomes = await Promise.allSettled(range(0, 5).map((i) => q.store.append(inbox, raw, { dedupeKey: key(i) })));
      assert.deepEqual(
        outcomes.map((o) => (o.status === 'fulfilled' ? 'stored' : (o.reason as { code: string }).code)),
        ['stored', 'stored', 'OVERQUOTA', 'OVERQUOTA', 'OVERQUOTA'],
      );
      assert.deepEqual(await q.store.usage(USER), { bytes: raw.length * 2, messages: 2 });
    } finally {
      await q.remove();
    }
  });

  it('heals a crash in the middle of a batch: files in new/ without rows are indexed with their dedupe keys', async () => {
    await f.store.append(inbox, message('before'));
    const before = await f.store.status(inbox);
    const messages = range(1, 6).map((i) => message(`batch ${i}`));
    const results = await Promise.all(messages.map((raw, i) => f.store.append(inbox, raw, { dedupeKey: key(i) })));
    await f.store.close();
    // What a crash after the renames into new/ and the directory sync, before the commit,
    // leaves: the files, and the index as it was before the batch.
    tamper(f.accountDir, "DELETE FROM messages WHERE uid > 1 AND mailbox = (SELECT id FROM mailboxes WHERE name = 'INBOX')");
    tamper(f.accountDir, 'DELETE FROM dedupe');
    tamper(f.accountDir, "UPDATE mailboxes SET uidnext = ?, highestmodseq = ? WHERE name = 'INBOX'", before.uidNext, before.highestModseq);
    assert.equal((await filesIn(f.accountDir)).length, 7);

    const store = await f.reopen();
    const list = await store.listMessages(inbox);
    assert.deepEqual(list.map((m) => m.uid), range(1, 7));
    assert.deepEqual(new Set(list.slice(1).map((m) => m.id)), new Set(results.map((r) => r.id)), 'ids recovered from the file names');
    for (const m of list.slice(1)) {
      const i = results.findIndex((r) => r.id === m.id);
      assert.deepEqual(await store.readMessage(inbox, m.uid), messages[i]);
    }
    // The queue retries every delivery of the batch: nothing is stored twice.
    const retried = await Promise.all(messages.map((raw, i) => store.append(inbox, raw, { dedupeKey: key(i) })));
    for (const [i, retry] of retried.entries()) {
      assert.equal(retry.duplicate, true);
      assert.equal(retry.id, results[i]!.id);
      assert.equal(retry.uid, list.find((m) => m.id === results[i]!.id)!.uid);
    }
    assert.equal((await store.status(inbox)).messages, 7);
    assert.equal((await filesIn(f.accountDir)).length, 7);
  });

  it('rejects a batch whose index commit fails, keeps its files, and ends with exactly one copy after the retry', async () => {
    await f.store.close();
    tamper(f.accountDir, "CREATE TRIGGER fail_commit BEFORE INSERT ON messages BEGIN SELECT RAISE(ABORT, 'simulated index failure'); END");
    const store = await f.reopen();
    const events: MailboxChange[] = [];
    store.watch(inbox, (change) => events.push(change));
    const raw = message('unlucky');
    const outcomes = await Promise.allSettled([store.append(inbox, raw, { dedupeKey: key(1) }), store.append(inbox, message('also'), { dedupeKey: key(2) })]);
    for (const outcome of outcomes) assert.match(String((outcome as PromiseRejectedResult).reason), /simulated index failure/);
    assert.deepEqual(events, [], 'nothing announced');
    assert.equal((await store.status(inbox)).messages, 0);
    assert.equal((await filesIn(f.accountDir)).length, 2, 'the files are kept: a failed COMMIT may still have reached the disk');
    assert.ok(logs.find('index commit of appended messages failed').length >= 1, 'logged');

    // The index works again and the queue retries the first delivery before any restart.
    tamper(f.accountDir, 'DROP TRIGGER fail_commit');
    const retry = await store.append(inbox, raw, { dedupeKey: key(1) });
    assert.equal(retry.duplicate, false);
    assert.equal((await filesIn(f.accountDir)).length, 3);

    // At the next open the left-over of the failed attempt goes; the other one is indexed,
    // with its key, so its retry is no second copy either.
    const reopened = await f.reopen();
    assert.equal((await reopened.status(inbox)).messages, 2);
    assert.equal((await filesIn(f.accountDir)).length, 2);
    assert.deepEqual(await reopened.readMessage(inbox, retry.uid), raw);
    assert.equal((await reopened.append(inbox, message('also'), { dedupeKey: key(2) })).duplicate, true);
  });
});

describe('commitAppends', () => {
  it('stores one of two staged appends with one key in a batch, and one whose key the index has is not stored', async () => {
    const dir = await tempDir('posthorn-commit-');
    const index = new MailIndex(join(dir.path, 'posthorn-index.sqlite'));
    try {
      await reconcileAccount({ dir: dir.path, index, log: silentLogger() });
      const mailbox = index.mailboxByName('INBOX')!;
      index.transaction(() => index.rememberDedupe(mailbox.id, dedupeHash(key(0)), 41, 'f'.repeat(24)));
      const stage = async (n: number, dedupe: string): Promise<StagedAppend> => {
        const raw = message(`staged ${n}`);
        const id = newMessageId();
        const file = messageFileName({ id, size: raw.length, dedupe });
        const internalDate = new Date();
        await writeTempFile(dir.path, file, raw, internalDate);
        return { mailbox: mailbox.id, name: 'INBOX', folder: '', id, file, flags: [], dedupe, internalDate, size: raw.length };
      };
      const staged = [await stage(1, dedupeHash(key(1))), await stage(2, dedupeHash(key(1))), await stage(3, dedupeHash(key(0)))];
      const outcomes: Promise<AppendResult>[] = [];
      const batch = staged.map((item) => {
        let entry!: BatchEntry<StagedAppend, AppendResult>;
        outcomes.push(new Promise((resolve, reject) => (entry = new BatchEntry<StagedAppend, AppendResult>(item, resolve, reject))));
        return entry;
      });
      const events: MailboxChange[] = [];
      await commitAppends({ user: USER, dir: dir.path, index, log: silentLogger(), notify: (_name, change) => events.push(change) }, batch);
      const [first, second, known] = await Promise.all(outcomes);
      assert.deepEqual(first, { uidValidity: mailbox.uidvalidity, uid: 1, id: staged[0]!.id, duplicate: false });
      assert.deepEqual(second, { ...first, duplicate: true });
      assert.deepEqual(known, { uidValidity: mailbox.uidvalidity, uid: 41, id: 'f'.repeat(24), duplicate: true });
      assert.equal(events.length, 1);
      assert.equal(index.messages(mailbox.id).length, 1);
      assert.deepEqual(await readdir(join(dir.path, 'new')), [staged[0]!.file.slice(4)]);
      assert.deepEqual(await readdir(join(dir.path, 'tmp')), [], 'the duplicates were written for nothing and are gone');
    } finally {
      index.close();
      await dir.remove();
    }
  });
});
