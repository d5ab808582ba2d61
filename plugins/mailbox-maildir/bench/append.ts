/**
 * Append throughput into one account's INBOX, the way queue-fs drives local delivery: N
 * messages, at most C appends in flight, each with its own dedupe key. Not a test; run it by hand:
 *
 *   node_modules/.bin/node plugins/mailbox-maildir/bench/append.ts [--messages 1000] [--concurrency 20] [--size 2000] [--dir /path]
 *
 * `--dir` chooses the file system (the default is the system temp dir); fsync cost is what this
 * measures, so a tmpfs gives meaningless numbers. Prints messages per second and checks that
 * every message got a distinct UID.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { silentLogger } from '@posthorn/core';
import { MaildirStore } from '../src/store.ts';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '20' },
    size: { type: 'string', default: '2000' },
    dir: { type: 'string' },
  },
});
const total = Number(values.messages);
const concurrency = Number(values.concurrency);
const size = Number(values.size);
const user = 'bench@localhost';
const inbox = { user, mailbox: 'INBOX' };

const root = await mkdtemp(join(values.dir ?? tmpdir(), 'posthorn-append-bench-'));
const store = new MaildirStore({ root, log: silentLogger() });
try {
  await store.ensureAccount(user);
  const header = 'From: a@example.org\r\nTo: bench@localhost\r\nSubject: bench\r\n\r\n';
  const body = 'x'.repeat(Math.max(0, size - header.length - 2)) + '\r\n';
  const message = Buffer.from(header + body);

  let next = 0;
  const uids = new Set<number>();
  // C workers, each taking the next message as soon as its previous append resolved.
  const worker = async () => {
    while (next < total) {
      const n = next++;
      const result = await store.append(inbox, message, { dedupeKey: `bench-${n}/0/${user}` });
      uids.add(result.uid);
    }
  };
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;

  if (uids.size !== total) throw new Error(`expected ${total} distinct UIDs, got ${uids.size}`);
  const status = await store.status(inbox);
  if (status.messages !== total) throw new Error(`expected ${total} messages in the index, found ${status.messages}`);
  // Absent in versions of the store without group commit, so that this script can compare them.
  const batches = (await store.account(user) as { appendBatches?: { batches: number; items: number; largest: number } }).appendBatches;
  const batching = batches ? `; ${batches.batches} batches, ${(batches.items / Math.max(1, batches.batches)).toFixed(1)} appends each on average, largest ${batches.largest}` : '';
  console.log(
    `${total} appends of ${message.length} bytes, concurrency ${concurrency}: ${seconds.toFixed(2)} s, ${Math.round(total / seconds)} messages/s${batching}`,
  );
} finally {
  await store.close();
  await rm(root, { recursive: true, force: true });
}
