import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { captureLogs, tempDir } from '@posthorn/testkit';
import { control, deliveries, waitFor } from './fixtures/recorder.ts';
import { messageText, queuedOnDisk, send, startQueueServer, until } from './helpers.ts';

/** Holds deliveries to one address until released; tells when one is being held. */
function holdDeliveriesTo(address: string): { held: Promise<void>; release(): void } {
  let release!: () => void;
  const gate = new Promise<void>((open) => (release = open));
  let signal!: () => void;
  const held = new Promise<void>((resolve) => (signal = resolve));
  control.beforeDeliver = async (delivery) => {
    if (delivery.recipient.address !== address) return;
    signal();
    await gate;
  };
  return { held, release };
}

describe('queue-fs: stop', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;

  before(async () => {
    dir = await tempDir();
  });
  after(async () => {
    delete control.beforeDeliver;
    await dir.remove();
  });

  it('waits for a delivery in flight and records it, so the next start does not repeat it', async () => {
    const queueDir = join(dir.path, 'q1');
    const hold = holdDeliveriesTo('slow-1@example.test');
    const logs = captureLogs('info');
    const server = await startQueueServer(dir.path, { dir: queueDir, stopTimeout: 30 }, logs.logger);
    const id = await send(server.port(), messageText('slow'), { from: 'alice@example.org', to: ['slow-1@example.test'] });
    await hold.held;
    const stopped = server.stop();
    await until(() => logs.find('queue runner stopping').length > 0, 'the runner is stopping');
    hold.release();
    await stopped;
    assert.ok(!existsSync(join(queueDir, 'lock')), 'lock released');
    const state = (await queuedOnDisk(queueDir, id))?.state;
    assert.equal(state?.recipients[0]?.status, 'delivered', 'the outcome that came during the stop is saved');

    const again = await startQueueServer(dir.path, { dir: queueDir });
    try {
      await until(async () => (await queuedOnDisk(queueDir, id)) === undefined, 'the message is finished after the restart');
      assert.equal(deliveries.filter((d) => d.id === id).length, 1);
    } finally {
      await again.stop();
    }
  });

  it('gives up on a delivery that outlasts stopTimeout, and the next start attempts it again', async () => {
    const queueDir = join(dir.path, 'q2');
    const hold = holdDeliveriesTo('slow-2@example.test');
    const server = await startQueueServer(dir.path, { dir: queueDir, stopTimeout: 0.1 });
    const id = await send(server.port(), messageText('stuck'), { from: 'alice@example.org', to: ['slow-2@example.test'] });
    await hold.held;
    await server.stop();
    assert.ok(!existsSync(join(queueDir, 'lock')), 'lock released');
    delete control.beforeDeliver;
    const again = await startQueueServer(dir.path, { dir: queueDir });
    try {
      const redelivered = await waitFor(() => deliveries.find((d) => d.id === id), 10_000, 'the repeated attempt');
      assert.equal(redelivered.attempt, 1, 'the abandoned attempt was not recorded');
      hold.release();
      await until(async () => (await queuedOnDisk(queueDir, id)) === undefined, 'the message is finished');
    } finally {
      await again.stop();
    }
  });
});
