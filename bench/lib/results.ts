/** Everything one bench run produced; written as JSON to .bench/ and read by the report writer. */
export type SourceMode = 'close' | 'reuse';

export interface ThroughputCell {
  readonly peer: string;
  readonly bytes: number;
  readonly sessions: number;
  /** close: one connection per message (smtp-source default); reuse: smtp-source -d. */
  readonly mode: SourceMode;
  readonly messages: number;
  readonly seconds: number;
  /** Messages per second, the median of `runs`; NaN when the measurement failed. */
  readonly rate: number;
  /** The rate of each measured run. */
  readonly runs: readonly number[];
  readonly error?: string;
  /** Whether the peer's queue drained after every run, and the longest wait for it. */
  readonly drained: boolean;
  readonly settleSeconds: number;
  /**
   * CPU time of the server's process tree per message, from the start of each run until its
   * queue had drained (the relay sink's and smtp-source's CPU not included). Unlike the rate it
   * barely moves when other work shares the machine.
   */
  readonly cpuMsPerMessage?: number;
  /** 1-minute load average when the cell was done (other work on the machine shows here). */
  readonly load1?: number;
}

export interface MemoryCell {
  readonly peer: string;
  readonly connections: number;
  readonly open: number;
  readonly failed: number;
  readonly rssBeforeKb: number;
  readonly rssAfterKb: number;
  /** (RSS after - RSS before) / open connections: the headline number. */
  readonly perConnectionKb: number;
  /** RSS slope over the later steps (leaves out one-time growth under the first burst). */
  readonly marginalKb: number;
  /** V8 heapUsed delta per connection, after a full GC. */
  readonly heapPerConnectionKb: number;
  readonly gc: boolean;
  readonly steps: readonly { readonly open: number; readonly rssKb: number }[];
  readonly error?: string;
}

/** One smtp-source run of the outbound measurement. */
export interface OutboundRun {
  /** Messages accepted per second: smtp-source's count over its wall time. */
  readonly acceptRate: number;
  /** Messages received by the sink per second, from the first accepted to the last received. */
  readonly outboundRate: number;
  /** Seconds from smtp-source's exit (the last message accepted) to the last one at the sink. */
  readonly lagSeconds: number;
}

/** Queue-to-remote delivery: smtp-source -> peer -> smtp-sink, counted at the sink. */
export interface OutboundCell {
  /** posthorn or postfix (ids of OutboundResults.peers). */
  readonly peer: string;
  readonly bytes: number;
  readonly sessions: number;
  readonly mode: SourceMode;
  /** Messages per measured run (the same for every peer). */
  readonly messages: number;
  readonly runs: readonly OutboundRun[];
  /** Medians of the runs; NaN when the measurement failed. */
  readonly acceptRate: number;
  readonly outboundRate: number;
  readonly lagSeconds: number;
  /** CPU of the peer's process tree per message, from the start of a run until its queue had drained. */
  readonly cpuMsPerMessage: number;
  readonly error?: string;
  readonly load1: number;
}

export interface OutboundResults {
  readonly peers: readonly PeerInfo[];
  readonly cells: readonly OutboundCell[];
}

export interface PeerInfo {
  readonly id: string;
  readonly label: string;
  readonly version: string;
  readonly accepts: string;
  readonly notes: readonly string[];
  /** Why the peer could not be measured, when it could not. */
  readonly unavailable?: string;
  /** DNS calls seen by the audit preload (Node peers): "fn arg" -> count. */
  readonly dns?: Readonly<Record<string, number>>;
}

export interface BenchResults {
  readonly date: string;
  readonly quick: boolean;
  readonly machine: { readonly cpus: number; readonly cpuModel: string; readonly memoryGb: number; readonly kernel: string; readonly node: string };
  readonly modes: readonly SourceMode[];
  readonly sizes: readonly number[];
  readonly sessions: readonly number[];
  readonly peers: readonly PeerInfo[];
  readonly throughput: readonly ThroughputCell[];
  readonly memory: readonly MemoryCell[];
  /** Outbound delivery throughput, Posthorn against Postfix (absent when not measured). */
  readonly outbound?: OutboundResults;
  readonly durationSeconds: number;
  /** 1-minute load averages seen during the run (the bench itself accounts for about 2). */
  readonly load: { readonly atStart: number; readonly max: number; readonly atEnd: number };
  readonly profile?: { readonly file: string; readonly summary: string };
  /** --profile with the outbound measurement: Posthorn relaying, 2 KB x10, one connection per message. */
  readonly outboundProfile?: { readonly file: string; readonly summary: string };
}
