import { replaceDocBlock } from '../lib/doc-block.ts';
import { median } from '../lib/stats.ts';

export const START = '<!-- bench:imap:start (written by npm run bench:imap; edits inside are overwritten) -->';
export const END = '<!-- bench:imap:end -->';

export interface ImapRun {
  readonly peer: string;
  readonly operations: number;
  readonly commands: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
}

export interface ImapCell {
  readonly name: string;
  /**
   * `login`: logins (connect, LOGIN, LOGOUT) per second; `mix`: sessions of the mix per second;
   * `command`: one command on the big mailbox, timed per command.
   */
  readonly kind: 'login' | 'mix' | 'command';
  readonly label: string;
  readonly sessions: number;
  readonly rounds: Readonly<Record<string, number>>;
  readonly runs: readonly ImapRun[];
  readonly error?: string;
}

export interface ImapResults {
  readonly date: string;
  readonly quick: boolean;
  readonly seconds: number;
  readonly machine: string;
  readonly load: { readonly start: number; readonly max: number; readonly end: number };
  readonly peers: readonly { readonly id: string; readonly label: string; readonly version: string; readonly notes: readonly string[]; readonly unavailable?: string }[];
  readonly hash: string;
  readonly data: { readonly loginMessages: number; readonly sharedMessages: number; readonly bigMessages: number; readonly bigSeen: number; readonly messageBytes: number };
  readonly cells: readonly ImapCell[];
}

/** Median rate (operations/s), median time per operation (ms), commands/s and CPU seconds per operation of a peer in a cell. */
export function summary(cell: ImapCell, peer: string): { rate: number; ms: number; commandRate: number; cpuPerOp: number } {
  const runs = cell.runs.filter((run) => run.peer === peer);
  const operations = runs.reduce((sum, run) => sum + run.operations, 0);
  return {
    rate: median(runs.map((run) => run.operations / run.seconds)),
    ms: median(runs.map((run) => (1000 * run.seconds) / run.operations)),
    commandRate: median(runs.map((run) => run.commands / run.seconds)),
    cpuPerOp: operations ? runs.reduce((sum, run) => sum + run.cpuSeconds, 0) / operations : Number.NaN,
  };
}

const fmt = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const rateText = (value: number) => (Number.isFinite(value) ? (value >= 100 ? value.toFixed(0) : value.toFixed(1)) : 'n/a');
const msText = (value: number) => (Number.isFinite(value) ? (value >= 10 ? value.toFixed(1) : value.toFixed(2)) : 'n/a');

export function renderBlock(results: ImapResults): string {
  const lines: string[] = [];
  const d = results.data;
  lines.push(
    `Run of ${results.date.slice(0, 10)} (${results.quick ? 'quick' : 'full'} run, ${Math.round(results.seconds)} s), on ${results.machine}. 1-minute load average ${results.load.start} at the start, ${results.load.max} at most, ${results.load.end} at the end (the bench itself keeps about 2 busy). Raw numbers: \`.bench/imap-latest.json\` (git-ignored).`,
    '',
    `Data: ${d.sharedMessages} messages in the shared INBOX, ${d.bigMessages} in the big one (${d.bigSeen} of them \\Seen), ${d.loginMessages} in each login account; about ${d.messageBytes} bytes each. Password hash of every account: ${results.hash}.`,
    '',
    '| Peer | Version |',
    '| --- | --- |',
    ...results.peers.map((peer) => `| ${peer.label} | ${peer.unavailable ? `unavailable: ${peer.unavailable}` : peer.version} |`),
    '',
    'Throughput (**Posthorn ÷ Dovecot > 1: Posthorn faster**):',
    '',
    '| Measurement | Posthorn | Dovecot | **Posthorn ÷ Dovecot** | CPU per operation, Posthorn ÷ Dovecot |',
    '| --- | ---: | ---: | ---: | ---: |',
  );
  const failed = (cell: ImapCell) => `| ${cell.label} ×${cell.sessions} | failed | failed | ${cell.error} | |`;
  for (const cell of results.cells.filter((c) => c.kind !== 'command')) {
    if (cell.error) {
      lines.push(failed(cell));
      continue;
    }
    const p = summary(cell, 'posthorn');
    const o = summary(cell, 'dovecot');
    const value = (s: typeof p) => (cell.kind === 'login' ? `${rateText(s.rate)} logins/s` : `${rateText(s.rate)} sessions/s (${rateText(s.commandRate)} commands/s)`);
    lines.push(`| ${cell.label} ×${cell.sessions} | ${value(p)} | ${value(o)} | **${fmt(p.rate / o.rate)}** | ${fmt(p.cpuPerOp / o.cpuPerOp)} |`);
  }
  lines.push(
    '',
    `Time per command on the big INBOX, one session (**Posthorn ÷ Dovecot < 1: Posthorn faster**):`,
    '',
    '| Command | Posthorn | Dovecot | **Posthorn ÷ Dovecot (time)** | CPU per command, Posthorn ÷ Dovecot |',
    '| --- | ---: | ---: | ---: | ---: |',
  );
  for (const cell of results.cells.filter((c) => c.kind === 'command')) {
    if (cell.error) {
      lines.push(failed(cell));
      continue;
    }
    const p = summary(cell, 'posthorn');
    const o = summary(cell, 'dovecot');
    lines.push(`| ${cell.label} | ${msText(p.ms)} ms | ${msText(o.ms)} ms | **${fmt(p.ms / o.ms)}** | ${fmt(p.cpuPerOp / o.cpuPerOp)} |`);
  }
  lines.push('', 'Run notes:', '');
  for (const peer of results.peers) for (const note of peer.notes) lines.push(`- ${peer.label}: \`${note}\``);
  return lines.join('\n');
}

/** Replaces what lies between the imap markers of docs/benchmarks.md; refuses if they are missing. */
export function updateDoc(results: ImapResults): Promise<string> {
  return replaceDocBlock(START, END, renderBlock(results));
}
