import type { BenchResults, OutboundCell, SourceMode, ThroughputCell } from '../lib/results.ts';

export interface Column {
  readonly bytes: number;
  readonly sessions: number;
}

export function columns(results: BenchResults): Column[] {
  return results.sizes.flatMap((bytes) => results.sessions.map((sessions) => ({ bytes, sessions })));
}

export function cell(results: BenchResults, peer: string, mode: SourceMode, column: Column): ThroughputCell | undefined {
  return results.throughput.find((c) => c.peer === peer && c.mode === mode && c.bytes === column.bytes && c.sessions === column.sessions);
}

function rateOf(results: BenchResults, peer: string, mode: SourceMode, column: Column): number {
  const found = cell(results, peer, mode, column);
  return found && !found.error && found.rate > 0 ? found.rate : Number.NaN;
}

/** A peer's rate as a fraction of smtp-sink's rate in the same cell of the same run. */
export function ofSink(results: BenchResults, peer: string, mode: SourceMode, column: Column): number {
  return rateOf(results, peer, mode, column) / rateOf(results, 'smtp-sink', mode, column);
}

/** One peer's rate divided by another's, same cell. */
export function between(results: BenchResults, peer: string, other: string, mode: SourceMode, column: Column): number {
  return rateOf(results, peer, mode, column) / rateOf(results, other, mode, column);
}

export function memoryPerConnection(results: BenchResults, peer: string): number {
  const found = results.memory.find((m) => m.peer === peer);
  return found && !found.error ? found.perConnectionKb : Number.NaN;
}

export function fmt(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

export function sizeLabel(bytes: number): string {
  return `${Math.round(bytes / 1024)} KB`;
}

/** The project's acceptance targets, evaluated on one run. */
export function targets(results: BenchResults, mode: SourceMode): { throughput: number; memory: number; durable: boolean } {
  const posthorn = results.peers.find((p) => p.id === 'posthorn');
  return {
    throughput: between(results, 'posthorn', 'haraka-discard', mode, { bytes: 2048, sessions: 50 }),
    memory: memoryPerConnection(results, 'posthorn') / memoryPerConnection(results, 'haraka-discard'),
    durable: Boolean(posthorn && /queue-fs/.test(posthorn.label)),
  };
}

/** A peer's server CPU per message divided by another's, same cell. */
export function cpuBetween(results: BenchResults, peer: string, other: string, mode: SourceMode, column: Column): number {
  const of = (id: string) => {
    const found = cell(results, id, mode, column);
    return found && !found.error && found.cpuMsPerMessage !== undefined && found.cpuMsPerMessage > 0 ? found.cpuMsPerMessage : Number.NaN;
  };
  return of(peer) / of(other);
}

export function outboundCell(results: BenchResults, peer: string, mode: SourceMode, sessions: number): OutboundCell | undefined {
  return results.outbound?.cells.find((c) => c.peer === peer && c.mode === mode && c.sessions === sessions);
}

/** Posthorn's outbound rate (messages at the sink per second) divided by Postfix's, same cell. */
export function outboundRatio(results: BenchResults, mode: SourceMode, sessions: number): number {
  const rate = (peer: string) => {
    const found = outboundCell(results, peer, mode, sessions);
    return found && !found.error && found.outboundRate > 0 ? found.outboundRate : Number.NaN;
  };
  return rate('posthorn') / rate('postfix');
}

/** The (mode, sessions) cells of the outbound measurement, in the order they were measured. */
export function outboundColumns(results: BenchResults): { mode: SourceMode; sessions: number }[] {
  const seen = new Map<string, { mode: SourceMode; sessions: number }>();
  for (const c of results.outbound?.cells ?? []) seen.set(`${c.mode} ${c.sessions}`, { mode: c.mode, sessions: c.sessions });
  return [...seen.values()];
}

/** The outbound target: the lowest Posthorn ÷ Postfix ratio over every cell (each must be >= 1). */
export function outboundTarget(results: BenchResults): number {
  const ratios = outboundColumns(results).map(({ mode, sessions }) => outboundRatio(results, mode, sessions));
  return ratios.length && ratios.every(Number.isFinite) ? Math.min(...ratios) : Number.NaN;
}
