import { setTimeout as delay } from 'node:timers/promises';
import type { Settled } from '../peers/peer.ts';

/** Polls a queue-size probe until it reads 0 or the time is up. */
export async function settleBy(queued: () => Promise<number>, timeoutMs: number): Promise<Settled> {
  const deadline = Date.now() + timeoutMs;
  let left = await queued();
  while (left > 0 && Date.now() < deadline) {
    await delay(200);
    left = await queued();
  }
  return { drained: left === 0, left };
}
