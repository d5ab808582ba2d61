import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { NODE, rssKb } from '../lib/processes.ts';
import { waitFor } from '../lib/wait.ts';

const CLIENT = fileURLToPath(new URL('./idle-client.ts', import.meta.url));

export interface IdleMemory {
  readonly connections: number;
  /** Connections that got a greeting and were still open when the server was measured. */
  readonly open: number;
  readonly failed: number;
  readonly rssBeforeKb: number;
  readonly rssAfterKb: number;
  readonly perConnectionKb: number;
  /** RSS slope over the later steps, KB per connection. */
  readonly marginalKb: number;
  /** V8 heap in use per connection (process.memoryUsage().heapUsed), after a full GC. */
  readonly heapPerConnectionKb: number;
  readonly gc: boolean;
  readonly steps: readonly { open: number; rssKb: number }[];
}

/** The idle-client process, driven line by line. */
class IdleClients {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: AsyncIterator<string>;

  constructor(port: number) {
    this.#child = spawn(NODE, [CLIENT, String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#lines = createInterface({ input: this.#child.stdout })[Symbol.asyncIterator]();
  }

  async #ask(command: string, timeoutMs: number): Promise<Record<string, number>> {
    this.#child.stdin.write(`${command}\n`);
    const line = await Promise.race([this.#lines.next(), delay(timeoutMs, undefined, { ref: false }).then(() => undefined)]);
    if (!line || line.done) throw new Error(`the idle client process did not answer "${command}"`);
    return JSON.parse(line.value) as Record<string, number>;
  }

  /** Opens `count` more connections; resolves to how many failed and how many are open. */
  async open(count: number): Promise<{ failed: number; open: number }> {
    const answer = await this.#ask(`open ${count}`, 180_000);
    return { failed: answer.failed ?? 0, open: answer.open ?? 0 };
  }

  async stillOpen(): Promise<number> {
    return (await this.#ask('report', 10_000)).open ?? 0;
  }

  async close(): Promise<void> {
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.stdin.end();
    await Promise.race([exited, delay(10_000, undefined, { ref: false }).then(() => this.#child.kill('SIGKILL'))]);
  }
}

/**
 * Asks the server (through the GC preload) for a full collection and waits until it is done.
 * Resolves to the heap in use right after it, or undefined without the preload.
 */
async function collect(pid: number, ackFile: string | undefined): Promise<{ gc: boolean; heapUsed: number } | undefined> {
  if (!ackFile) return undefined;
  const before = await readFile(ackFile, 'utf8').catch(() => '');
  process.kill(pid, 'SIGUSR2');
  let text = before;
  await waitFor('the GC acknowledgement', async () => {
    text = await readFile(ackFile, 'utf8').catch(() => '');
    return text.length > before.length && text.endsWith('\n');
  }, 20_000);
  const [, kind = '', usage = '{}'] = /^\d+ (\S+) (.*)$/.exec(text.trim().split('\n').pop() ?? '') ?? [];
  return { gc: kind === 'gc', heapUsed: (JSON.parse(usage) as { heapUsed?: number }).heapUsed ?? Number.NaN };
}

/** RSS after a collection; measured twice and the lower kept (a collection can lag a beat). */
async function settledRss(pid: number, ackFile: string | undefined): Promise<{ kb: number; heapKb: number; gc: boolean }> {
  let gc = true;
  let heapKb = Number.NaN;
  const samples: number[] = [];
  for (let i = 0; i < 2; i++) {
    const collected = await collect(pid, ackFile);
    gc &&= Boolean(collected?.gc);
    heapKb = (collected?.heapUsed ?? Number.NaN) / 1024;
    await delay(500);
    samples.push(await rssKb(pid));
  }
  return { kb: Math.min(...samples), heapKb, gc };
}

/** Least-squares slope of y over x. */
function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const num = points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0);
  const den = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  return den > 0 ? num / den : Number.NaN;
}

/**
 * Memory per idle connection: RSS of a fresh server (after a small warm-up, so code loaded on
 * first use is in the baseline) before and after `connections` clients have connected, read
 * their greeting and gone quiet; delta / connections. The clients connect in four steps with a
 * reading at each, and the slope over the last three steps is reported beside it: it leaves
 * out what grows once under the first burst (V8's young generation, malloc arenas).
 */
export async function measureIdleMemory(options: { port: number; pid: number; connections: number; gcAckFile?: string }): Promise<IdleMemory> {
  const warm = new IdleClients(options.port);
  await warm.open(300);
  await warm.close();
  await delay(1000);
  const before = await settledRss(options.pid, options.gcAckFile);

  const clients = new IdleClients(options.port);
  try {
    const steps = 4;
    const points: { x: number; y: number }[] = [];
    let failed = 0;
    let after = before;
    let open = 0;
    for (let step = 1; step <= steps; step++) {
      const target = Math.round((options.connections * step) / steps);
      const opened = await clients.open(target - open);
      failed += opened.failed;
      open = opened.open;
      await delay(1000);
      after = await settledRss(options.pid, options.gcAckFile);
      points.push({ x: await clients.stillOpen(), y: after.kb });
    }
    open = await clients.stillOpen();
    return {
      connections: options.connections,
      open,
      failed,
      rssBeforeKb: before.kb,
      rssAfterKb: after.kb,
      perConnectionKb: open > 0 ? (after.kb - before.kb) / open : Number.NaN,
      marginalKb: slope(points.slice(1)),
      heapPerConnectionKb: open > 0 ? (after.heapKb - before.heapKb) / open : Number.NaN,
      gc: before.gc && after.gc,
      steps: points.map((p) => ({ open: p.x, rssKb: p.y })),
    };
  } finally {
    await clients.close();
  }
}
