import assert from 'node:assert/strict';
import { constants } from 'node:fs';
import { mkdir, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '@posthorn/core';
import { tempDir } from '@posthorn/testkit';
import { segmentName } from '../src/segment-files.ts';
import { type Placement, SegmentWriter, type WriterHooks } from '../src/segment-writer.ts';

/** A record of its own kind: just distinct bytes (the writer does not look inside). */
function payload(client: number, n: number): Buffer {
  return Buffer.from(`client ${client} record ${n} ${'x'.repeat((client * 37 + n * 11) % 300)}\n`);
}

describe('queue-fs: segment writer (group commit)', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let writers = 0;
  /** A writer on a directory of its own. */
  const newWriter = async (hooks?: WriterHooks, segmentSize = 64 * 1024 * 1024) => {
    const path = join(dir.path, `w${writers++}`);
    await mkdir(path);
    return { path, writer: new SegmentWriter({ dir: path, log: silentLogger(), firstSeq: 1, segmentSize, segmentAgeMs: 3_600_000, ...(hooks ? { hooks } : {}) }) };
  };

  before(async () => {
    dir = await tempDir();
  });
  after(async () => {
    await dir.remove();
  });

  it('writes 200 records from 20 concurrent clients byte for byte, in fewer batches than records', async () => {
    const { path, writer } = await newWriter();
    const placed: { bytes: Buffer; at: Placement }[] = [];
    await Promise.all(
      Array.from({ length: 20 }, async (_, client) => {
        for (let n = 0; n < 10; n++) {
          const bytes = payload(client, n);
          // Two buffers per record, as a message record has (header and body).
          const at = await writer.append([bytes.subarray(0, 5), bytes.subarray(5)]);
          placed.push({ bytes, at });
        }
      }),
    );
    await writer.close();
    const file = await readFile(join(path, segmentName(1)));
    assert.equal(placed.length, 200);
    for (const { bytes, at } of placed) {
      assert.equal(at.seq, 1);
      assert.ok(file.subarray(at.offset, at.offset + at.length).equals(bytes), `record at ${at.offset} intact`);
    }
    // Records do not overlap and leave no gaps: together they are the file.
    assert.equal(placed.reduce((sum, p) => sum + p.at.length, 0), file.length);
    assert.equal(writer.stats.records, 200);
    assert.ok(writer.stats.batches < 200, `${writer.stats.batches} batches for 200 records`);
  });

  it('resolves an append only after the durable write that covers it, and batches what arrives meanwhile', async () => {
    let hold!: () => void;
    let held = new Promise<void>((resolve) => (hold = resolve));
    let release!: () => void;
    const events: string[] = [];
    const hooks: WriterHooks = {
      beforeCommit: async ({ records }) => {
        events.push(`commit of ${records}`);
        hold();
        await new Promise<void>((resolve) => (release = resolve));
      },
    };
    const { writer } = await newWriter(hooks);
    let firstDone = false;
    const first = writer.append([Buffer.from('first\n')], () => events.push('first durable')).then(() => (firstDone = true));
    await held;
    // Not written yet, so not durable, so not acknowledged.
    assert.equal(firstDone, false);
    held = new Promise<void>((resolve) => (hold = resolve));
    const more = [1, 2, 3].map((n) => writer.append([Buffer.from(`more ${n}\n`)], () => events.push(`more ${n} durable`)));
    release();
    await first;
    assert.equal(firstDone, true);
    await held;
    assert.deepEqual(events, ['commit of 1', 'first durable', 'commit of 3'], 'the three later records wait for one commit of their own');
    release();
    const placements = await Promise.all(more);
    assert.deepEqual(events.slice(3), ['more 1 durable', 'more 2 durable', 'more 3 durable']);
    assert.ok(placements[0]!.offset < placements[1]!.offset && placements[1]!.offset < placements[2]!.offset, 'in append order');
    assert.equal(writer.stats.batches, 2);
    hooks.beforeCommit = undefined;
    await writer.close();
  });

  it('writes segments through O_DSYNC descriptors, so each write is durable when it returns', async () => {
    const { path, writer } = await newWriter();
    await writer.append([Buffer.from('x\n')]);
    const target = join(path, segmentName(1));
    let flags: number | undefined;
    for (const fd of await readdir('/proc/self/fd')) {
      const link = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
      if (link === target) flags = Number.parseInt(/^flags:\s*(\d+)$/m.exec(await readFile(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!, 8);
    }
    assert.ok(flags !== undefined, 'the segment is open');
    assert.ok((flags & constants.O_DSYNC) !== 0, `O_DSYNC set in ${flags.toString(8)}`);
    await writer.close();
  });

  it('starts a new segment after segmentSize bytes and after seal()', async () => {
    const { path, writer } = await newWriter(undefined, 100);
    const a = await writer.append([Buffer.alloc(60, 'a')]);
    const b = await writer.append([Buffer.alloc(60, 'b')]);
    const c = await writer.append([Buffer.alloc(10, 'c')]);
    assert.deepEqual([a.seq, b.seq, c.seq], [1, 1, 2], 'a segment is closed once it reaches the size, not split');
    await writer.seal();
    assert.equal(writer.active, undefined);
    const d = await writer.append([Buffer.alloc(10, 'd')]);
    assert.equal(d.seq, 3);
    await writer.close();
    assert.equal((await readFile(join(path, segmentName(1)))).length, 120);
    assert.equal(writer.stats.segments, 3);
    await assert.rejects(writer.append([Buffer.from('late')]), /closed/);
  });

  it('fails the records of a batch whose write fails, and never appends after it', async () => {
    let fail = true;
    const { path, writer } = await newWriter({
      beforeCommit: () => {
        if (fail) throw new Error('disk on fire');
      },
    });
    await assert.rejects(writer.append([Buffer.from('lost\n')]), /disk on fire/);
    fail = false;
    const next = await writer.append([Buffer.from('kept\n')]);
    assert.equal(next.seq, 2, 'a new segment after the failed one');
    assert.equal(next.offset, 0);
    await writer.close();
    assert.equal((await readFile(join(path, segmentName(2)))).toString(), 'kept\n');
  });
});
