/**
 * Preloaded (`--expose-gc --import`) into Node peers for the idle-memory measurement: SIGUSR2
 * runs a full garbage collection, then appends a line to BENCH_GC_ACK so the bench knows the
 * collection is done before it reads the resident set size, with process.memoryUsage() after it.
 */
import { appendFileSync } from 'node:fs';

const ack = process.env.BENCH_GC_ACK;
let collections = 0;
process.on('SIGUSR2', () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) gc();
  collections += 1;
  // The heap figures let the report split RSS into V8 heap and everything else.
  if (ack) appendFileSync(ack, `${collections} ${gc ? 'gc' : 'no-gc'} ${JSON.stringify(process.memoryUsage())}\n`);
});
