/**
 * `npm run bench`: Posthorn side by side with smtp-sink, Haraka, a bare smtp-server and Postfix,
 * in one run; then outbound delivery, Posthorn against Postfix relaying to an smtp-sink. Writes the raw numbers to .bench/ and the ratios to docs/benchmarks.md.
 * Not a test: nothing here asserts on timing. See docs/benchmarks.md for what is measured.
 */
import { cpus, freemem, release, totalmem } from 'node:os';
import { rm } from 'node:fs/promises';
import { readDnsAudit } from './lib/dns-audit.ts';
import { nodePeerSetup } from './lib/node-flags.ts';
import { parseOptions } from './lib/options.ts';
import type { BenchResults, MemoryCell, OutboundResults, PeerInfo, ThroughputCell } from './lib/results.ts';
import { load1 } from './lib/load.ts';
import { runDirectory } from './lib/scratch.ts';
import { type Contender, measureCell, plan } from './matrix.ts';
import { measurePeerMemory } from './memory.ts';
import { measureOutbound, type OutboundSetup, outboundPlan } from './outbound.ts';
import { harakaDiscard, harakaQueue } from './peers/haraka.ts';
import type { Peer, PeerContext, RunningPeer } from './peers/peer.ts';
import { postfix } from './peers/postfix.ts';
import { choosePosthorn, posthornPeer } from './peers/posthorn.ts';
import { smtpServerDiscard, smtpServerFsync } from './peers/smtp-server-bare.ts';
import { smtpSink, startSmtpSink } from './peers/smtp-sink.ts';
import { profilePosthorn, profilePosthornOutbound } from './profile.ts';
import { readLatestResults, writeResults } from './report/raw.ts';
import { updateBenchmarksDoc } from './report/markdown.ts';
import { printSummary } from './report/summary.ts';

const SIZES = [2 * 1024, 100 * 1024];
const MEMORY_PEERS = ['posthorn', 'haraka-discard', 'smtp-server-discard'];

const options = parseOptions(process.argv.slice(2));
if (options.reportOnly) {
  // Re-render docs/benchmarks.md from the last run's raw numbers (after editing the report code).
  const last = await readLatestResults();
  console.log(`report: ${await updateBenchmarksDoc(last)}`);
  printSummary(last, console.log);
  process.exit(0);
}
const began = performance.now();
const loadAtStart = load1();
const date = new Date();
const runDir = await runDirectory(date.toISOString().replace(/[:.]/g, '-'));
const log = (line: string) => console.log(line);

// Whatever is running gets stopped on the way out, also on Ctrl-C.
const running = new Set<RunningPeer>();
let relay: RunningPeer | undefined;
// Stop functions of what runs outside `running` (the outbound measurement's peers and sinks).
const stoppers = new Set<() => Promise<void>>();
async function stopAll(): Promise<void> {
  await Promise.all([...running].map((peer) => peer.stop().catch(() => {})));
  running.clear();
  await Promise.all([...stoppers].map((stop) => stop().catch(() => {})));
  stoppers.clear();
  await relay?.stop().catch(() => {});
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.log(`\n${signal}: stopping the peers`);
    void stopAll().finally(() => process.exit(130));
  });
}

relay = await startSmtpSink(runDir, 'relay-sink');
const choice = choosePosthorn(options.posthornQueue, options.posthornLog);
const posthorn = posthornPeer(choice);
const allPeers: Peer[] = [smtpSink, posthorn, harakaDiscard, harakaQueue, smtpServerDiscard, smtpServerFsync, postfix];
const peers = allPeers.filter((peer) => !options.only || options.only.includes(peer.id));
const base: Omit<PeerContext, 'nodeFlags' | 'nodeEnv'> = { runDir, relayPort: relay.port };
const matrix = plan(options.quick, options.modes);
const connections = options.quick ? 2000 : 10_000;

log(`bench run in ${runDir} (${options.quick ? 'quick' : 'full'}; smtp-source mode ${options.modes.join('+')}; Posthorn queue ${choice.queue})`);

const infos = new Map<string, PeerInfo>();
const notes = new Map<string, Set<string>>();
const dnsCalls = new Map<string, Map<string, number>>();
const throughput: ThroughputCell[] = [];
const memory: MemoryCell[] = [];
const unavailable = new Set<string>();

for (const peer of peers) {
  try {
    await peer.prepare?.({ ...base, nodeFlags: [], nodeEnv: {} });
    const version = await peer.version();
    infos.set(peer.id, { id: peer.id, label: peer.label, version, accepts: peer.accepts, notes: [] });
    notes.set(peer.id, new Set());
    dnsCalls.set(peer.id, new Map());
    log(`${peer.label}: ${version}`);
  } catch (err) {
    unavailable.add(peer.id);
    const reason = (err as Error).message;
    log(`${peer.label}: unavailable: ${reason}`);
    infos.set(peer.id, { id: peer.id, label: peer.label, version: 'n/a', accepts: peer.accepts, notes: [], unavailable: reason });
  }
}
const available = peers.filter((peer) => !unavailable.has(peer.id));

function failedCells(id: string, bytes: number, error: string): ThroughputCell[] {
  return matrix.sessions.flatMap((sessions) =>
    matrix.modes.map((mode) => ({ peer: id, bytes, sessions, mode, messages: 0, seconds: 0, rate: Number.NaN, runs: [], error, drained: false, settleSeconds: 0 })),
  );
}

if (options.throughput && available.length) {
  // Size by size, every peer up at once, cells measured peer after peer (see measureCell).
  for (const bytes of SIZES) {
    log(`${bytes / 1024} KB messages`);
    const contenders: Contender[] = [];
    const audits: { id: string; file: string }[] = [];
    for (const peer of available) {
      const setup = nodePeerSetup(runDir, `${peer.id}-${bytes}`);
      try {
        const instance = await peer.start({ ...base, nodeFlags: peer.node ? setup.flags : [], nodeEnv: peer.node ? setup.env : {} });
        running.add(instance);
        contenders.push({ id: peer.id, running: instance });
        // Ports and scratch paths change with every start; the report wants the shape.
        for (const note of instance.notes) notes.get(peer.id)?.add(note.replaceAll(runDir, '<run>').replace(/(127\.0\.0\.1\]?):\d+/g, '$1:<port>'));
        if (peer.node) audits.push({ id: peer.id, file: setup.dnsAudit });
      } catch (err) {
        log(`  ${peer.id}: cannot start: ${(err as Error).message}`);
        throughput.push(...failedCells(peer.id, bytes, `cannot start: ${(err as Error).message}`));
      }
    }
    try {
      for (const sessions of matrix.sessions) {
        for (const mode of matrix.modes) throughput.push(...(await measureCell(contenders, bytes, sessions, mode, matrix, log)));
      }
    } finally {
      for (const { running: instance } of contenders) {
        await instance.stop();
        running.delete(instance);
      }
    }
    for (const { id, file } of audits) await readDnsAudit(file, dnsCalls.get(id)!);
  }
}

let outbound: OutboundResults | undefined;
let outboundProfile: BenchResults['outboundProfile'];
if (options.outbound) {
  // Needs the Posthorn plugins and a private Postfix; each checked here, as --only may have left them out above.
  const check = async (peer: Peer): Promise<{ version?: string; unavailable?: string }> => {
    try {
      await peer.prepare?.({ ...base, nodeFlags: [], nodeEnv: {} });
      return { version: await peer.version() };
    } catch (err) {
      return { unavailable: (err as Error).message };
    }
  };
  const ph = await check(posthornPeer({ queue: 'fs', logLevel: options.posthornLog }));
  const pf = await check(postfix);
  const outboundSetup: OutboundSetup = {
    base: { runDir },
    versions: { posthorn: ph.version, postfix: pf.version },
    unavailable: { posthorn: ph.unavailable, postfix: pf.unavailable },
    posthornLog: options.posthornLog,
    plan: outboundPlan(options.quick),
    log,
    track: (stop) => {
      stoppers.add(stop);
      return () => stoppers.delete(stop);
    },
  };
  outbound = await measureOutbound(outboundSetup);
  if (options.profile && !ph.unavailable) {
    log('profiling Posthorn relaying at 2 KB, 10 sessions, one connection per message');
    outboundProfile = await profilePosthornOutbound(outboundSetup);
  }
}

if (options.memory && available.some((p) => MEMORY_PEERS.includes(p.id))) {
  log(`idle memory at ${connections} connections`);
  for (const peer of available.filter((p) => MEMORY_PEERS.includes(p.id))) {
    try {
      const cell = await measurePeerMemory(peer, base, connections, (instance) => {
        if (instance) running.add(instance);
        else running.clear();
      });
      memory.push(cell);
      log(`  ${peer.id}: ${cell.open} open, RSS ${cell.rssBeforeKb} -> ${cell.rssAfterKb} KB = ${cell.perConnectionKb.toFixed(2)} KB/connection (slope of the later steps ${cell.marginalKb.toFixed(2)} KB, V8 heap ${cell.heapPerConnectionKb.toFixed(2)} KB)${cell.gc ? '' : ' (no GC)'}`);
    } catch (err) {
      log(`  ${peer.id}: failed: ${(err as Error).message}`);
      memory.push({ peer: peer.id, connections, open: 0, failed: 0, rssBeforeKb: 0, rssAfterKb: 0, perConnectionKb: Number.NaN, marginalKb: Number.NaN, heapPerConnectionKb: Number.NaN, gc: false, steps: [], error: (err as Error).message });
    }
  }
}

let profile: BenchResults['profile'];
if (options.profile && available.some((peer) => peer.id === 'posthorn')) {
  log('profiling Posthorn at 2 KB, 50 sessions');
  profile = await profilePosthorn(posthorn, base, matrix, log, (instance) => {
    if (instance) running.add(instance);
    else running.clear();
  });
}

await stopAll();

const cpu = cpus();
const results: BenchResults = {
  date: date.toISOString(),
  quick: options.quick,
  machine: { cpus: cpu.length, cpuModel: cpu[0]?.model ?? 'unknown', memoryGb: Math.round(totalmem() / 2 ** 30), kernel: release(), node: process.versions.node },
  modes: options.modes,
  sizes: SIZES,
  sessions: matrix.sessions,
  peers: peers.map((peer) => {
    const info = infos.get(peer.id)!;
    const dns = dnsCalls.get(peer.id);
    return { ...info, notes: [...(notes.get(peer.id) ?? [])], ...(peer.node && dns ? { dns: Object.fromEntries(dns) } : {}) };
  }),
  throughput,
  memory,
  ...(outbound ? { outbound } : {}),
  durationSeconds: Math.round((performance.now() - began) / 1000),
  load: { atStart: loadAtStart, max: Math.max(loadAtStart, load1(), ...throughput.map((c) => c.load1 ?? 0), ...(outbound?.cells.map((c) => c.load1) ?? [])), atEnd: load1() },
  ...(profile ? { profile } : {}),
  ...(outboundProfile ? { outboundProfile } : {}),
};
const files = await writeResults(results);
log(`raw results: ${files.join(', ')}`);
if (!options.noReport && !options.only) {
  log(`report: ${await updateBenchmarksDoc(results)}`);
} else if (!options.noReport) {
  log('report not rewritten: --only runs leave docs/benchmarks.md alone');
}
printSummary(results, log);
if (!options.keep) await rm(runDir, { recursive: true, force: true });
log(`done in ${results.durationSeconds} s (free memory now ${Math.round(freemem() / 2 ** 20)} MB)`);
// Every peer is stopped; a leftover timer or pipe must not keep the command from returning.
process.exit(0);
