/**
 * queue-fs: Posthorn's embedded durable queue. Taps `queue` (a 250 only once message and
 * envelope are on disk, directory entry included), provides the Queue service, and runs
 * deliveries through the `deliver` hook with retries, expiry and bounces.
 */
import { join } from 'node:path';
import { type MessageQueue, Queue } from '@posthorn/contracts';
import { accept, definePlugin, reply } from '@posthorn/core';
import { QueueLock } from './lock.ts';
import { optionsSchema, type QueueFsOptions, retryPolicy } from './options.ts';
import { Runner } from './runner.ts';
import { ensureDirectories } from './segment-files.ts';
import { adminQueue, serverQueue } from './service.ts';
import { QueueLog, type QueueLogOptions } from './store.ts';

export type { QueueFsOptions } from './options.ts';

export default definePlugin<QueueFsOptions>({
  name: 'queue-fs',
  version: '0.1.0',
  core: '^0.1.0',
  description: 'Embedded durable queue on the local filesystem, with a delivery runner, retries and bounces',
  options: optionsSchema,
  provides: [Queue],
  async setup(ctx, options) {
    const dir = options.dir ? ctx.resolvePath(options.dir) : join(ctx.dataDir, 'queue');
    const logOptions: QueueLogOptions = {
      dir,
      log: ctx.log,
      segmentSize: options.segmentSize,
      segmentAgeMs: options.segmentAge * 1000,
      compactIntervalMs: options.compactInterval * 1000,
    };

    const tapQueue = (queue: MessageQueue): void => {
      // Tapped in admin mode too, so `posthorn plugins` shows the same hook order as a server.
      ctx.on('queue', async (request) => {
        await queue.enqueue(request.envelope, request.message);
        return accept(reply(250, '2.0.0', `Ok: queued as ${request.envelope.id}`));
      });
    };

    if (ctx.mode === 'admin') {
      // A CLI command: no lock, no deliveries; the log is read (and, with the lock, appended to) directly.
      const queue = adminQueue(logOptions);
      ctx.provide(Queue, queue);
      tapQueue(queue);
      return;
    }

    const store = new QueueLog(logOptions);
    const runner = new Runner({ store, lifecycle: ctx.lifecycle, log: ctx.log, policy: retryPolicy(options), concurrency: options.concurrency });
    const queue = serverQueue(store, runner);
    ctx.provide(Queue, queue);
    tapQueue(queue);

    let lock: QueueLock | undefined;
    ctx.onStart(async () => {
      await ensureDirectories(dir);
      lock = await QueueLock.acquire(dir, ctx.log);
      try {
        const recovered = await store.open();
        for (const message of recovered) runner.add(message.envelope, message.size, message.state);
        runner.start();
        ctx.log.info({ dir, messages: recovered.length }, 'queue started');
      } catch (err) {
        await lock.release();
        lock = undefined;
        throw err;
      }
    });
    ctx.onStop(async () => {
      await runner.stop(options.stopTimeout * 1000);
      await store.close();
      ctx.log.info({ dir, ...store.stats }, 'queue stopped');
      await lock?.release();
      lock = undefined;
    });
  },
});
