import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO } from '../lib/repo.ts';
import type { BenchResults, SourceMode } from '../lib/results.ts';
import { between, cell, columns, cpuBetween, fmt, memoryPerConnection, ofSink, outboundCell, outboundColumns, outboundRatio, outboundTarget, sizeLabel, targets } from './ratios.ts';

const START_PREFIX = '<!-- bench:results:start';
export const START = `${START_PREFIX} (written by npm run bench; edits inside are overwritten) -->`;
export const END = '<!-- bench:results:end -->';

/** Earlier measurements on this kind of machine, as fractions of smtp-sink (from the brief). */
const REFERENCE: readonly [string, string, string][] = [
  ['postfix', 'Postfix, durable', '0.05-0.07'],
  ['haraka-discard', 'Haraka, discarding', '0.21'],
  ['smtp-server-fsync', 'bare smtp-server, fsync per message', '0.27'],
  ['smtp-server-discard', 'bare smtp-server, discarding', '0.75'],
];

const MODE_TITLE: Record<SourceMode, string> = {
  close: 'one connection per message (smtp-source default)',
  reuse: 'one connection per session, reused for every message (smtp-source -d)',
};

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function throughputTable(results: BenchResults, mode: SourceMode): string[] {
  const cols = columns(results);
  const lines = [
    row(['Peer (rate ÷ smtp-sink rate)', ...cols.map((c) => `${sizeLabel(c.bytes)} ×${c.sessions}`)]),
    row(['---', ...cols.map(() => '---:')]),
  ];
  for (const peer of results.peers) {
    if (peer.id === 'smtp-sink') continue;
    const values = cols.map((c) => {
      const found = cell(results, peer.id, mode, c);
      if (peer.unavailable) return 'n/a';
      if (found?.error) return 'failed';
      return fmt(ofSink(results, peer.id, mode, c));
    });
    lines.push(row([peer.label, ...values]));
  }
  lines.push(row(['**Posthorn ÷ Haraka discard**', ...cols.map((c) => `**${fmt(between(results, 'posthorn', 'haraka-discard', mode, c))}**`)]));
  lines.push(row(['Posthorn ÷ Haraka outbound queue', ...cols.map((c) => fmt(between(results, 'posthorn', 'haraka-queue', mode, c)))]));
  return lines;
}

/** Server CPU per message relative to Haraka's discarding setup (lower is cheaper). */
function cpuTable(results: BenchResults, mode: SourceMode): string[] {
  const cols = columns(results);
  const lines = [
    row(['Peer (CPU per message ÷ Haraka discard\'s)', ...cols.map((c) => `${sizeLabel(c.bytes)} ×${c.sessions}`)]),
    row(['---', ...cols.map(() => '---:')]),
  ];
  for (const peer of results.peers) {
    if (peer.id === 'haraka-discard' || peer.unavailable) continue;
    lines.push(row([peer.id === 'posthorn' ? `**${peer.label}**` : peer.label, ...cols.map((c) => fmt(cpuBetween(results, peer.id, 'haraka-discard', mode, c)))]));
  }
  return lines;
}

/** Outbound delivery, Posthorn against Postfix: rates at the sink, accept rates, lag, CPU. */
function outboundSection(results: BenchResults): string[] {
  const out = results.outbound!;
  const cols = outboundColumns(results);
  const heading = cols.map(({ mode, sessions }) => `×${sessions} ${mode === 'reuse' ? 'reused (-d)' : 'one per message'}`);
  const posthorn = out.peers.find((p) => p.id === 'posthorn');
  const postfix = out.peers.find((p) => p.id === 'postfix');
  const lines = [
    `${out.cells[0]?.messages.toLocaleString('en-US') ?? 'n/a'} messages of 2 KB per run to \`someone@remote.test\`, relayed to an smtp-sink that counts them; ` +
      'the rate is messages received by the sink per second, from the first message the peer accepted to the last one the sink received ' +
      '(median of the runs; every value in msg/s, runs separated by /).',
    '',
    row(['2 KB', ...heading]),
    row(['---', ...cols.map(() => '---:')]),
  ];
  const value = (peer: string, pick: (c: NonNullable<ReturnType<typeof outboundCell>>) => string) =>
    cols.map(({ mode, sessions }) => {
      const c = outboundCell(results, peer, mode, sessions);
      if (!c) return 'n/a';
      return c.error ? 'failed' : pick(c);
    });
  for (const [id, label] of [['posthorn', posthorn?.label ?? 'Posthorn'], ['postfix', postfix?.label ?? 'Postfix']] as const) {
    lines.push(row([`${label}: delivered to the sink`, ...value(id, (c) => (c.runs.length > 1 ? `${fmt(c.outboundRate, 0)} (${c.runs.map((r) => fmt(r.outboundRate, 0)).join(' / ')})` : fmt(c.outboundRate, 0)))]));
  }
  lines.push(row(['**Posthorn ÷ Postfix, delivered**', ...cols.map(({ mode, sessions }) => `**${fmt(outboundRatio(results, mode, sessions))}**`)]));
  for (const [id, name] of [['posthorn', 'Posthorn'], ['postfix', 'Postfix']] as const) {
    lines.push(row([`${name}: accepted from smtp-source`, ...value(id, (c) => fmt(c.acceptRate, 0))]));
  }
  for (const [id, name] of [['posthorn', 'Posthorn'], ['postfix', 'Postfix']] as const) {
    lines.push(row([`${name}: last delivery after the last accept (s)`, ...value(id, (c) => fmt(c.lagSeconds))]));
  }
  for (const [id, name] of [['posthorn', 'Posthorn'], ['postfix', 'Postfix']] as const) {
    lines.push(row([`${name}: CPU ms per message, accept + delivery`, ...value(id, (c) => fmt(c.cpuMsPerMessage))]));
  }
  const load = out.cells.map((c) => c.load1);
  lines.push('');
  lines.push(`1-minute load average during this part: ${Math.min(...load)} to ${Math.max(...load)}.`);
  return lines;
}

function verdict(value: number, ok: boolean): string {
  if (!Number.isFinite(value)) return 'not measured';
  return ok ? '**met**' : '**not met**';
}

/** The generated part of docs/benchmarks.md. */
export function resultsMarkdown(results: BenchResults): string {
  const out: string[] = [];
  const m = results.machine;
  out.push(`Run of ${results.date.slice(0, 10)} (${results.quick ? '**quick run**: fewer messages and 2,000 idle connections, not for quoting' : 'full run'}, ${results.durationSeconds} s), ` +
    `on ${m.cpus} cores (${m.cpuModel}), ${m.memoryGb} GB RAM, kernel ${m.kernel}, Node ${m.node}. ` +
    `1-minute load average ${results.load.atStart} at the start, ${results.load.max} at most, ${results.load.atEnd} at the end ` +
    `(the bench itself keeps about 2 busy; more means other work shared the machine). Raw numbers: \`.bench/latest.json\` (git-ignored).`);
  out.push('');
  out.push(row(['Peer', 'Version', 'A 250 after DATA means']));
  out.push(row(['---', '---', '---']));
  for (const peer of results.peers) out.push(row([peer.label, peer.unavailable ? `n/a: ${peer.unavailable}` : peer.version, peer.accepts]));
  out.push('');

  for (const mode of results.modes) {
    out.push(`### Durable accept throughput, ${MODE_TITLE[mode]}`);
    out.push('');
    out.push(...throughputTable(results, mode));
    out.push('');
    if (results.throughput.some((c) => c.mode === mode && c.cpuMsPerMessage !== undefined)) {
      out.push('CPU time of the server\'s process tree per message (from the start of each run until its queue had drained), ' +
        'as a fraction of Haraka discard\'s in the same cell. Unlike the rates it barely depends on other load on the machine:');
      out.push('');
      out.push(...cpuTable(results, mode));
      out.push('');
    }
  }

  if (results.outbound) {
    out.push('### Outbound delivery throughput, queue to an smtp-sink remote');
    out.push('');
    out.push(...outboundSection(results));
    out.push('');
  }

  const mode = results.modes[0] ?? 'close';
  const t = targets(results, mode);
  const perConn = memoryPerConnection(results, 'posthorn') / memoryPerConnection(results, 'haraka-discard');
  out.push('### Idle memory per connection');
  out.push('');
  out.push(row(['Peer', 'RSS per idle connection (KB)', 'RSS slope, later steps (KB)', 'V8 heap per connection (KB)', 'connections open when measured', 'full GC before each reading']));
  out.push(row(['---', '---:', '---:', '---:', '---:', '---']));
  for (const cellOf of results.memory) {
    const label = results.peers.find((p) => p.id === cellOf.peer)?.label ?? cellOf.peer;
    out.push(row([label, cellOf.error ? `failed: ${cellOf.error}` : fmt(cellOf.perConnectionKb), fmt(cellOf.marginalKb), fmt(cellOf.heapPerConnectionKb), String(cellOf.open), cellOf.gc ? 'yes' : 'no']));
  }
  const ratioOf = (pick: (c: BenchResults['memory'][number]) => number) => {
    const p = results.memory.find((c) => c.peer === 'posthorn');
    const h = results.memory.find((c) => c.peer === 'haraka-discard');
    return p && h ? fmt(pick(p) / pick(h)) : 'n/a';
  };
  out.push(row(['**Posthorn ÷ Haraka**', `**${fmt(perConn)}**`, ratioOf((c) => c.marginalKb), ratioOf((c) => c.heapPerConnectionKb), '', '']));
  out.push('');

  out.push('### Targets');
  out.push('');
  out.push(`- 2 KB, 50 sessions: Posthorn ${t.durable ? 'durable (queue-fs)' : '**not durable** (memory-queue fixture)'} ÷ Haraka discard = ` +
    `**${fmt(t.throughput)}** (target ≥ 1.5): ${verdict(t.throughput, t.throughput >= 1.5 && t.durable)}${t.durable ? '' : ' (not comparable until queue-fs is measured)'}`);
  if (results.outbound) {
    const o = outboundTarget(results);
    out.push(`- Outbound delivery, 2 KB, every cell above: Posthorn ÷ Postfix = **${fmt(o)}** at the lowest (target ≥ 1): ${verdict(o, o >= 1)}`);
  }
  out.push(`- Idle memory per connection at ${results.memory[0]?.connections.toLocaleString('en-US') ?? 'n/a'} connections: Posthorn ÷ Haraka = **${fmt(perConn)}** (target ≤ 1): ${verdict(perConn, perConn <= 1)}`);
  out.push('');

  out.push('### Against the earlier reference points');
  out.push('');
  out.push(row(['Peer (fraction of smtp-sink)', 'earlier', `this run, 2 KB ×1 / ×10 / ×50 (${mode})`]));
  out.push(row(['---', '---:', '---:']));
  for (const [id, label, earlier] of REFERENCE) {
    const values = results.sessions.map((sessions) => fmt(ofSink(results, id, mode, { bytes: 2048, sessions })));
    out.push(row([label, earlier, values.join(' / ')]));
  }
  out.push(row(['Haraka idle memory per connection (KB)', '8.4', fmt(memoryPerConnection(results, 'haraka-discard'))]));
  out.push('');

  const problems = results.throughput.filter((c) => c.error || !c.drained);
  out.push('### Run notes');
  out.push('');
  const notePeers = [...results.peers, ...(results.outbound?.peers.map((p) => ({ ...p, label: `Outbound, ${p.label}` })) ?? [])];
  for (const peer of notePeers) {
    for (const note of new Set(peer.notes.map((n) => n.replace(/(127\.0\.0\.1\]?):\d+/g, '$1:<port>')))) out.push(`- ${peer.label}: \`${note}\``);
    if (peer.dns) {
      const calls = Object.entries(peer.dns);
      out.push(`- ${peer.label}, DNS calls through node:dns: ${calls.length ? calls.map(([k, n]) => `\`${k}\` ×${n}`).join(', ') : 'none'}`);
    }
  }
  for (const c of problems) {
    out.push(`- ${c.peer} ${sizeLabel(c.bytes)} ×${c.sessions} (${c.mode}): ${c.error ?? ''}${c.drained ? '' : ' queue had not drained 120 s after the measurement'}`);
  }
  if (results.profile) out.push(`- CPU profile of Posthorn (2 KB ×50): \`${results.profile.file.replace(REPO, '')}\``);
  if (results.outboundProfile) out.push(`- CPU profile of Posthorn relaying (2 KB ×10, one connection per message): \`${results.outboundProfile.file.replace(REPO, '')}\``);
  return out.join('\n');
}

/** Replaces the generated block in docs/benchmarks.md (appends one when the markers are missing). */
export async function updateBenchmarksDoc(results: BenchResults): Promise<string> {
  const file = join(REPO, 'docs', 'benchmarks.md');
  let text = await readFile(file, 'utf8').catch(() => '# Benchmarks\n');
  const block = `${START}\n${resultsMarkdown(results)}\n${END}`;
  const start = text.indexOf(START_PREFIX);
  const end = text.indexOf(END);
  text = start >= 0 && end > start ? text.slice(0, start) + block + text.slice(end + END.length) : `${text.trimEnd()}\n\n## Results\n\n${block}\n`;
  await writeFile(file, text);
  return file;
}
