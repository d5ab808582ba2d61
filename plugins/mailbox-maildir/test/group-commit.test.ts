import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type BatchEntry, GroupCommit } from '../src/group-commit.ts';

/** A serialiser like the account's, whose start the test controls. */
function gatedSerialiser() {
  let open!: () => void;
  let chain: Promise<unknown> = new Promise<void>((done) => (open = done));
  return {
    open: () => open(),
    schedule: (job: () => Promise<void>) => {
      const run = chain.then(job);
      chain = run.catch(() => undefined);
      return run;
    },
  };
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

describe('GroupCommit', () => {
  it('gathers items submitted before the job starts into one batch, and later ones into the next', async () => {
    const serial = gatedSerialiser();
    const batches: number[][] = [];
    const inFirstCommit = deferred();
    const finishFirst = deferred();
    const group = new GroupCommit<number, string>({
      schedule: serial.schedule,
      maxBatch: 100,
      commit: async (batch) => {
        batches.push(batch.map((entry) => entry.item));
        if (batches.length === 1) {
          inFirstCommit.resolve();
          await finishFirst.promise;
        }
        for (const entry of batch) entry.resolve(`done ${entry.item}`);
      },
    });
    const first = [1, 2, 3].map((n) => group.submit(n));
    serial.open();
    await inFirstCommit.promise;
    // The first batch is committing: these wait for the next one, together.
    const second = [4, 5, 6].map((n) => group.submit(n));
    finishFirst.resolve();
    assert.deepEqual(await Promise.all([...first, ...second]), [1, 2, 3, 4, 5, 6].map((n) => `done ${n}`));
    assert.deepEqual(batches, [
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assert.deepEqual(group.stats, { batches: 2, items: 6, largest: 3 });
  });

  it('closes a batch at maxBatch items', async () => {
    const serial = gatedSerialiser();
    const batches: number[][] = [];
    const group = new GroupCommit<number, number>({
      schedule: serial.schedule,
      maxBatch: 2,
      commit: async (batch) => {
        batches.push(batch.map((entry) => entry.item));
        for (const entry of batch) entry.resolve(entry.item);
      },
    });
    const all = [1, 2, 3, 4, 5].map((n) => group.submit(n));
    serial.open();
    assert.deepEqual(await Promise.all(all), [1, 2, 3, 4, 5]);
    assert.deepEqual(batches, [[1, 2], [3, 4], [5]]);
  });

  it('lets items join while gather waits, and closes the batch after it', async () => {
    const serial = gatedSerialiser();
    const gathering = deferred();
    const gathered = deferred();
    const batches: number[][] = [];
    const group = new GroupCommit<number, number>({
      schedule: serial.schedule,
      maxBatch: 100,
      gather: async () => {
        gathering.resolve();
        await gathered.promise;
      },
      commit: async (batch) => {
        batches.push(batch.map((entry) => entry.item));
        for (const entry of batch) entry.resolve(entry.item);
      },
    });
    const first = group.submit(1);
    serial.open();
    await gathering.promise;
    const joined = [group.submit(2), group.submit(3)];
    gathered.resolve();
    assert.deepEqual(await Promise.all([first, ...joined]), [1, 2, 3]);
    assert.deepEqual(batches, [[1, 2, 3]]);
  });

  it('settles each item on its own, and rejects what a job leaves unsettled or throws over', async () => {
    const serial = gatedSerialiser();
    let round = 0;
    const group = new GroupCommit<number, number>({
      schedule: serial.schedule,
      maxBatch: 100,
      commit: async (batch: readonly BatchEntry<number, number>[]) => {
        round++;
        if (round === 1) {
          batch[0]!.resolve(1);
          batch[1]!.reject(new Error('this one failed'));
          // batch[2] forgotten
          return;
        }
        batch[0]!.resolve(4);
        throw new Error('job failed');
      },
    });
    const [a, b, c] = [1, 2, 3].map((n) => group.submit(n));
    serial.open();
    assert.equal(await a, 1);
    await assert.rejects(b!, /this one failed/);
    await assert.rejects(c!, /without settling/);
    const [d, e] = [4, 5].map((n) => group.submit(n));
    assert.equal(await d, 4, 'settled before the job threw');
    await assert.rejects(e!, /job failed/);
  });
});
