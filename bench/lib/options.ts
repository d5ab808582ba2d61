import { parseArgs } from 'node:util';
import type { SourceMode } from './results.ts';

export interface BenchOptions {
  /** Fewer and shorter measurements, fewer idle connections: for trying the bench out. */
  readonly quick: boolean;
  /** Peer ids to run (default: all). */
  readonly only: readonly string[] | undefined;
  readonly modes: readonly SourceMode[];
  readonly posthornQueue: 'auto' | 'fs' | 'memory';
  /** Posthorn's log level (default info, like Haraka's); for trying what logging costs. */
  readonly posthornLog: string;
  readonly throughput: boolean;
  readonly memory: boolean;
  /** Outbound delivery throughput, Posthorn against Postfix (`--only outbound` runs just that). */
  readonly outbound: boolean;
  /** Also run Posthorn once more under --cpu-prof at 2 KB, 50 sessions, and summarise. */
  readonly profile: boolean;
  /** Keep the scratch run directory (queues, logs, configs) instead of deleting it. */
  readonly keep: boolean;
  /** Do not rewrite docs/benchmarks.md (results still go to .bench/). */
  readonly noReport: boolean;
  /** Measure nothing: rewrite docs/benchmarks.md from .bench/latest.json. */
  readonly reportOnly: boolean;
}

const USAGE = `usage: npm run bench -- [--quick] [--only id,id,outbound] [--mode close|reuse|both]
       [--posthorn-queue auto|fs|memory] [--posthorn-log info|warn|...] [--no-throughput] [--no-memory] [--no-outbound] [--profile] [--keep] [--no-report] [--report-only]`;

export function parseOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      mode: { type: 'string', default: 'close' },
      'posthorn-queue': { type: 'string', default: 'auto' },
      'posthorn-log': { type: 'string', default: 'info' },
      'no-throughput': { type: 'boolean', default: false },
      'no-memory': { type: 'boolean', default: false },
      'no-outbound': { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      'no-report': { type: 'boolean', default: false },
      'report-only': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const mode = values.mode;
  if (mode !== 'close' && mode !== 'reuse' && mode !== 'both') throw new Error(`--mode must be close, reuse or both\n${USAGE}`);
  const queue = values['posthorn-queue'];
  if (queue !== 'auto' && queue !== 'fs' && queue !== 'memory') throw new Error(`--posthorn-queue must be auto, fs or memory\n${USAGE}`);
  const only = values.only ? values.only.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
  return {
    quick: values.quick,
    only,
    modes: mode === 'both' ? ['close', 'reuse'] : [mode],
    posthornQueue: queue,
    posthornLog: values['posthorn-log'],
    throughput: !values['no-throughput'],
    memory: !values['no-memory'],
    // "outbound" in --only is not a peer but the outbound measurement (Posthorn and Postfix).
    outbound: !values['no-outbound'] && (!only || only.includes('outbound')),
    profile: values.profile,
    keep: values.keep,
    noReport: values['no-report'],
    reportOnly: values['report-only'],
  };
}
