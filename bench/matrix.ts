import { runSmtpSource } from './drivers/smtp-source.ts';
import type { SourceMode, ThroughputCell } from './lib/results.ts';
import { treeCpuSeconds } from './lib/cpu.ts';
import { load1 } from './lib/load.ts';
import type { RunningPeer } from './peers/peer.ts';

export interface MatrixPlan {
  readonly sessions: readonly number[];
  readonly modes: readonly SourceMode[];
  /** Aim for this many seconds per measured run. */
  readonly targetSeconds: number;
  readonly maxMessages: number;
  readonly warmupMessages: number;
  /** Measured runs per peer and cell; the cell's rate is their median. */
  readonly repeats: number;
}

export function plan(quick: boolean, modes: readonly SourceMode[]): MatrixPlan {
  return quick
    ? { sessions: [1, 10, 50], modes, targetSeconds: 1.5, maxMessages: 4000, warmupMessages: 50, repeats: 1 }
    : { sessions: [1, 10, 50], modes, targetSeconds: 2.5, maxMessages: 30_000, warmupMessages: 200, repeats: 3 };
}

/** A peer that is up for the current message size. */
export interface Contender {
  readonly id: string;
  readonly running: RunningPeer;
}

const round = (n: number) => Math.round(n * 10) / 10;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

interface Tally {
  count: number;
  rates: number[];
  messages: number;
  seconds: number;
  error: string | undefined;
  drained: boolean;
  settleSeconds: number;
  cpuSeconds: number;
}

/**
 * Measures one cell (message size, sessions, mode) for every peer, interleaved: a warm-up run
 * per peer (its rate sizes the measured runs so each takes about `targetSeconds`), then
 * `repeats` rounds in which each peer runs once, every run followed by a wait for that peer's
 * queue to drain. Interleaving keeps a slow drift in machine load (other work on a shared
 * machine) from landing on one peer only. A cell's rate is the median of its runs.
 */
export async function measureCell(
  contenders: readonly Contender[],
  bytes: number,
  sessions: number,
  mode: SourceMode,
  p: MatrixPlan,
  log: (line: string) => void,
): Promise<ThroughputCell[]> {
  const reuse = mode === 'reuse';
  const tallies = new Map<string, Tally>();
  for (const { id, running } of contenders) {
    const warm = await runSmtpSource({ port: running.port, sessions, bytes, count: Math.max(p.warmupMessages, sessions * 4), reuse, timeoutMs: 60_000 });
    await running.settle(60_000);
    const estimate = warm.error || !(warm.rate > 0) ? 50 : warm.rate;
    tallies.set(id, {
      count: Math.min(p.maxMessages, Math.max(sessions * 10, Math.round(estimate * p.targetSeconds))),
      rates: [],
      messages: 0,
      seconds: 0,
      error: warm.error,
      drained: true,
      settleSeconds: 0,
      cpuSeconds: 0,
    });
  }
  for (let round_ = 0; round_ < p.repeats; round_++) {
    for (const { id, running } of contenders) {
      const t = tallies.get(id)!;
      if (t.error) continue;
      const cpuBefore = await treeCpuSeconds(running.pid);
      const run = await runSmtpSource({ port: running.port, sessions, bytes, count: t.count, reuse, timeoutMs: p.targetSeconds * 5000 + 15_000 });
      t.messages += run.messages;
      t.seconds += run.seconds;
      t.error = run.error ?? (run.timedOut ? `timed out after ${run.messages} messages` : undefined);
      if (!t.error) t.rates.push(run.rate);
      const settleStart = performance.now();
      const settled = await running.settle(120_000);
      t.settleSeconds = Math.max(t.settleSeconds, (performance.now() - settleStart) / 1000);
      t.drained &&= settled.drained;
      // Until the queue has drained: the delivery work a durable peer does belongs to the cost.
      t.cpuSeconds += (await treeCpuSeconds(running.pid)) - cpuBefore;
    }
  }
  const cells: ThroughputCell[] = [];
  for (const { id } of contenders) {
    const t = tallies.get(id)!;
    const rate = t.error || !t.rates.length ? Number.NaN : median(t.rates);
    cells.push({
      peer: id,
      bytes,
      sessions,
      mode,
      messages: t.messages,
      seconds: round(t.seconds),
      rate,
      runs: t.rates.map(round),
      ...(t.error ? { error: t.error } : {}),
      drained: t.drained,
      settleSeconds: round(t.settleSeconds),
      cpuMsPerMessage: t.messages > 0 ? Math.round((1e6 * t.cpuSeconds) / t.messages) / 1000 : Number.NaN,
      load1: load1(),
    });
    log(
      `  ${id.padEnd(20)} ${bytes / 1024} KB x${sessions} ${mode}: ${t.rates.map((r) => r.toFixed(0)).join(' / ')} msg/s` +
        `${t.error ? ` [${t.error}]` : ''}${t.drained ? '' : ' [queue not drained]'}`,
    );
  }
  return cells;
}
