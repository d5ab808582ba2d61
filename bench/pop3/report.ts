import { replaceDocBlock } from '../lib/doc-block.ts';
import { median } from '../lib/stats.ts';

export const START = '<!-- bench:pop3:start (written by npm run bench:pop3; edits inside are overwritten) -->';
export const END = '<!-- bench:pop3:end -->';

export interface Pop3Run {
  readonly peer: string;
  readonly operations: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
}

export interface Pop3Cell {
  readonly name: string;
  /** `retr`: messages retrieved per second; `login`: logins (connect, USER, PASS, QUIT) per second. */
  readonly kind: 'retr' | 'login';
  readonly label: string;
  readonly sessions: number;
  readonly rounds: Readonly<Record<string, number>>;
  readonly runs: readonly Pop3Run[];
  readonly error?: string;
}

export interface Pop3Results {
  readonly date: string;
  readonly quick: boolean;
  readonly seconds: number;
  readonly machine: string;
  readonly load: { readonly start: number; readonly max: number; readonly end: number };
  readonly peers: readonly { readonly id: string; readonly label: string; readonly version: string; readonly notes: readonly string[]; readonly unavailable?: string }[];
  readonly hashes: Readonly<Record<string, string>>;
  readonly cells: readonly Pop3Cell[];
}

/** Median rate (operations/s), median throughput (MB/s) and CPU seconds per operation of a peer in a cell. */
export function summary(cell: Pop3Cell, peer: string): { rate: number; mbps: number; cpuPerOp: number } {
  const runs = cell.runs.filter((run) => run.peer === peer);
  const operations = runs.reduce((sum, run) => sum + run.operations, 0);
  return {
    rate: median(runs.map((run) => run.operations / run.seconds)),
    mbps: median(runs.map((run) => run.bytes / run.seconds / 1e6)),
    cpuPerOp: operations ? runs.reduce((sum, run) => sum + run.cpuSeconds, 0) / operations : Number.NaN,
  };
}

const fmt = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const rateText = (value: number) => (Number.isFinite(value) ? (value >= 100 ? value.toFixed(0) : value.toFixed(1)) : 'n/a');

export function renderBlock(results: Pop3Results): string {
  const lines: string[] = [];
  lines.push(
    `Run of ${results.date.slice(0, 10)} (${results.quick ? 'quick' : 'full'} run, ${Math.round(results.seconds)} s), on ${results.machine}. 1-minute load average ${results.load.start} at the start, ${results.load.max} at most, ${results.load.end} at the end (the bench itself keeps about 2 busy). Raw numbers: \`.bench/pop3-latest.json\` (git-ignored).`,
    '',
    '| Peer | Version |',
    '| --- | --- |',
    ...results.peers.map((peer) => `| ${peer.label} | ${peer.unavailable ? `unavailable: ${peer.unavailable}` : peer.version} |`),
    '',
    '| Measurement | Posthorn | Dovecot | **Posthorn ÷ Dovecot** | CPU per operation, Posthorn ÷ Dovecot |',
    '| --- | ---: | ---: | ---: | ---: |',
  );
  for (const cell of results.cells) {
    if (cell.error) {
      lines.push(`| ${cell.label} ×${cell.sessions} | failed | failed | ${cell.error} | |`);
      continue;
    }
    const p = summary(cell, 'posthorn');
    const d = summary(cell, 'dovecot');
    const value = (s: typeof p) => (cell.kind === 'retr' ? `${rateText(s.rate)} msg/s (${fmt(s.mbps, 1)} MB/s)` : `${rateText(s.rate)} logins/s`);
    lines.push(`| ${cell.label} ×${cell.sessions} | ${value(p)} | ${value(d)} | **${fmt(p.rate / d.rate)}** | ${fmt(p.cpuPerOp / d.cpuPerOp)} |`);
  }
  lines.push('', 'Password hashes (the same strings in both servers):', '');
  for (const [kind, label] of Object.entries(results.hashes)) lines.push(`- ${kind}: ${label}`);
  lines.push('', 'Run notes:', '');
  for (const peer of results.peers) for (const note of peer.notes) lines.push(`- ${peer.label}: \`${note}\``);
  return lines.join('\n');
}

/** Replaces what lies between the pop3 markers of docs/benchmarks.md; refuses if they are missing. */
export function updateDoc(results: Pop3Results): Promise<string> {
  return replaceDocBlock(START, END, renderBlock(results));
}
