import type { BenchResults } from '../lib/results.ts';
import { between, columns, cpuBetween, fmt, memoryPerConnection, ofSink, outboundCell, outboundColumns, outboundRatio, outboundTarget, sizeLabel, targets } from './ratios.ts';

/** The ratio tables on the terminal, at the end of a run. */
export function printSummary(results: BenchResults, log: (line: string) => void): void {
  const cols = columns(results);
  for (const mode of results.throughput.length ? results.modes : []) {
    log(`\nfraction of smtp-sink's rate (${mode === 'close' ? 'one connection per message' : 'connections reused, smtp-source -d'}):`);
    log(`${''.padEnd(38)}${cols.map((c) => `${sizeLabel(c.bytes)} x${c.sessions}`.padStart(12)).join('')}`);
    for (const peer of results.peers) {
      if (peer.id === 'smtp-sink') continue;
      log(`${peer.label.padEnd(38)}${cols.map((c) => fmt(ofSink(results, peer.id, mode, c)).padStart(12)).join('')}`);
    }
    log(`${'Posthorn / Haraka discard'.padEnd(38)}${cols.map((c) => fmt(between(results, 'posthorn', 'haraka-discard', mode, c)).padStart(12)).join('')}`);
    log(`${'CPU/msg Posthorn / Haraka discard'.padEnd(38)}${cols.map((c) => fmt(cpuBetween(results, 'posthorn', 'haraka-discard', mode, c)).padStart(12)).join('')}`);
    const t = targets(results, mode);
    log(`target: 2 KB x50 Posthorn ${t.durable ? 'durable' : 'NOT durable'} / Haraka discard = ${fmt(t.throughput)} (>= 1.5 wanted)`);
  }
  if (results.outbound) {
    const cols = outboundColumns(results);
    log('\noutbound delivery, 2 KB, messages at the sink per second (accepted per second):');
    log(`${''.padEnd(12)}${cols.map((c) => `x${c.sessions} ${c.mode}`.padStart(18)).join('')}`);
    for (const peer of ['posthorn', 'postfix']) {
      log(`${peer.padEnd(12)}${cols.map((c) => {
        const found = outboundCell(results, peer, c.mode, c.sessions);
        return (found?.error ? 'failed' : `${fmt(found?.outboundRate ?? Number.NaN, 0)} (${fmt(found?.acceptRate ?? Number.NaN, 0)})`).padStart(18);
      }).join('')}`);
    }
    log(`${'ratio'.padEnd(12)}${cols.map((c) => fmt(outboundRatio(results, c.mode, c.sessions)).padStart(18)).join('')}`);
    log(`target: outbound Posthorn / Postfix = ${fmt(outboundTarget(results))} at the lowest (>= 1 wanted)`);
  }
  if (results.memory.length) {
    log('\nidle memory per connection:');
    for (const m of results.memory) log(`  ${m.peer.padEnd(22)} ${fmt(m.perConnectionKb)} KB (${m.open} open)${m.error ? ` ${m.error}` : ''}`);
    log(`  Posthorn / Haraka: ${fmt(memoryPerConnection(results, 'posthorn') / memoryPerConnection(results, 'haraka-discard'))} (<= 1 wanted)`);
  }
}
