/**
 * The bench's own Posthorn plugin: accepts every recipient, and its deliver tap accepts (and
 * so discards) every delivery, so the durable queue drains as fast as the queue can run it.
 *
 * `clearMemoryQueue` goes with `--posthorn-queue memory` (Posthorn without a durable queue, to
 * see what the core costs on its own): the testkit's memory-queue fixture keeps every message in
 * an array, which the bench empties each second so a long run does not measure a growing heap.
 */
import { accept, definePlugin } from '@posthorn/core';

export default definePlugin<{ clearMemoryQueue: boolean }>({
  name: 'bench-accept-all',
  version: '0.1.0',
  core: '*',
  options: {
    type: 'object',
    additionalProperties: false,
    properties: { clearMemoryQueue: { type: 'boolean', default: false } },
  },
  setup(ctx, options) {
    ctx.on('rcpt', async () => accept());
    ctx.on('deliver', async () => accept());
    if (options.clearMemoryQueue) {
      let timer: NodeJS.Timeout | undefined;
      ctx.onStart(async () => {
        const fixture = (await import('@posthorn/testkit/fixtures/memory-queue.ts')) as { queued: unknown[] };
        timer = setInterval(() => (fixture.queued.length = 0), 1000);
        timer.unref();
      });
      ctx.onStop(() => clearInterval(timer));
    }
  },
});
