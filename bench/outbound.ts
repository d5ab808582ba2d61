import { setTimeout as delay } from 'node:timers/promises';
import { type CountingSink, startCountingSink } from './drivers/counting-sink.ts';
import { runSmtpSource } from './drivers/smtp-source.ts';
import { treeCpuSeconds } from './lib/cpu.ts';
import { readDnsAudit } from './lib/dns-audit.ts';
import { load1 } from './lib/load.ts';
import { nodePeerSetup } from './lib/node-flags.ts';
import type { OutboundCell, OutboundResults, OutboundRun, PeerInfo, SourceMode } from './lib/results.ts';
import type { PeerContext, RunningPeer } from './peers/peer.ts';
import { postfix } from './peers/postfix.ts';
import { POSTHORN_OUTBOUND_LABEL, REMOTE_DOMAIN, startPosthornOutbound } from './peers/posthorn-outbound.ts';

/**
 * Outbound delivery throughput (issue 3): the same smtp-source load relayed by Posthorn
 * (queue-fs + relay + outbound, a static route) and by the private Postfix (relayhost), each to
 * its own smtp-sink, counted at the sink. The rate that counts is messages received by the sink
 * per second, from the first message the peer accepted to the last one the sink received.
 */
export interface OutboundPlan {
  /**
   * Both smtp-source modes, whatever --mode says for the accept matrix: one connection per
   * message (inbound MX traffic: the accept side is the bottleneck and outbound must keep up)
   * and connections reused (-d, like a submission client or an application: accepts come
   * faster than one connection per message allows, so outbound is the bottleneck).
   */
  readonly modes: readonly SourceMode[];
  readonly sessions: readonly number[];
  readonly bytes: number;
  /** Messages per measured run, the same for both peers. */
  readonly messages: number;
  /** Per cell and peer, before its measured runs (new connection pattern, caches). */
  readonly warmupMessages: number;
  /**
   * Once per peer before the first cell: Posthorn's CPU per message still falls for about the
   * first 2,000 messages (V8 compiling the hot paths), so a short warm-up would charge that to
   * whichever cell came first.
   */
  readonly firstWarmupMessages: number;
  /** Measured runs per peer and cell, peers taking turns; the cell is their median. */
  readonly repeats: number;
}

export function outboundPlan(quick: boolean): OutboundPlan {
  return quick
    ? { modes: ['close', 'reuse'], sessions: [10, 50], bytes: 2048, messages: 1000, warmupMessages: 200, firstWarmupMessages: 2000, repeats: 1 }
    : { modes: ['close', 'reuse'], sessions: [10, 50], bytes: 2048, messages: 2000, warmupMessages: 200, firstWarmupMessages: 3000, repeats: 3 };
}

interface Contender {
  readonly info: PeerInfo;
  readonly start: (ctx: PeerContext) => Promise<RunningPeer>;
  sink?: CountingSink;
  /** Where the DNS audit preload writes (Node peers). */
  dnsAudit?: string;
  running?: RunningPeer;
  failed?: string;
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

function median(values: readonly number[]): number {
  if (!values.length) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface OutboundSetup {
  readonly base: Omit<PeerContext, 'nodeFlags' | 'nodeEnv' | 'relayPort'>;
  /** Version strings the orchestrator already has (posthorn, postfix); undefined: not available. */
  readonly versions: { readonly posthorn?: string; readonly postfix?: string };
  readonly unavailable: { readonly posthorn?: string; readonly postfix?: string };
  readonly posthornLog: string;
  readonly plan: OutboundPlan;
  readonly log: (line: string) => void;
  /** Extra node flags for Posthorn (--cpu-prof), and leaving Postfix out (for a profile of Posthorn alone). */
  readonly posthornFlags?: readonly string[];
  readonly posthornOnly?: boolean;
  /** Lets the orchestrator stop what is running on Ctrl-C. */
  readonly track: (stop: () => Promise<void>) => () => void;
}

/** One smtp-source run against one contender, timed at the contender's sink. */
async function measureRun(c: Contender, p: OutboundPlan, sessions: number, count: number, mode: SourceMode): Promise<{ run?: OutboundRun; cpuSeconds: number; error?: string }> {
  const sink = c.sink!;
  const running = c.running!;
  const before = sink.count();
  const cpuBefore = await treeCpuSeconds(running.pid);
  const source = await runSmtpSource({ port: running.port, sessions, bytes: p.bytes, count, reuse: mode === 'reuse', to: `someone@${REMOTE_DOMAIN}`, timeoutMs: 120_000 });
  let error = source.error ?? (source.timedOut ? `smtp-source timed out after ${source.messages} messages` : undefined);
  let lastAt = Number.NaN;
  try {
    lastAt = await sink.reached(before + source.messages, 120_000);
  } catch (err) {
    error ??= (err as Error).message;
  }
  const settled = await running.settle(120_000);
  if (!settled.drained) error ??= `queue not drained (${settled.left} left)`;
  const cpuSeconds = (await treeCpuSeconds(running.pid)) - cpuBefore;
  if (error) return { cpuSeconds, error };
  return {
    cpuSeconds,
    run: {
      acceptRate: source.rate,
      outboundRate: source.messages / ((lastAt - source.firstAcceptedAt) / 1000),
      lagSeconds: Math.max(0, (lastAt - source.endedAt) / 1000),
    },
  };
}

interface Tally {
  readonly runs: OutboundRun[];
  cpuSeconds: number;
  messages: number;
  error?: string;
}

/** One cell (mode, sessions) for every contender: a warm-up each, then `repeats` rounds of turns. */
async function measureCell(contenders: readonly Contender[], p: OutboundPlan, mode: SourceMode, sessions: number, log: (line: string) => void): Promise<OutboundCell[]> {
  const tallies = new Map<string, Tally>();
  for (const c of contenders) {
    const t: Tally = { runs: [], cpuSeconds: 0, messages: 0 };
    tallies.set(c.info.id, t);
    if (c.info.unavailable || c.failed) {
      t.error = c.failed ?? `unavailable: ${c.info.unavailable}`;
      continue;
    }
    // Warm-up (JIT, connection caches, a first queue segment); not counted.
    const warm = await measureRun(c, p, sessions, p.warmupMessages, mode);
    if (warm.error) t.error = `warm-up: ${warm.error}`;
  }
  for (let r = 0; r < p.repeats; r++) {
    for (const c of contenders) {
      const t = tallies.get(c.info.id)!;
      if (t.error) continue;
      const result = await measureRun(c, p, sessions, p.messages, mode);
      t.cpuSeconds += result.cpuSeconds;
      t.messages += p.messages;
      if (result.error) t.error = result.error;
      else t.runs.push(result.run!);
    }
  }
  return contenders.map((c) => {
    const { runs, error, cpuSeconds, messages } = tallies.get(c.info.id)!;
    const of = (pick: (run: OutboundRun) => number) => (error ? Number.NaN : median(runs.map(pick)));
    log(
      `  ${c.info.id.padEnd(9)} 2 KB x${sessions} ${mode}: outbound ${runs.map((run) => run.outboundRate.toFixed(0)).join(' / ')} msg/s` +
        ` (accept ${runs.map((run) => run.acceptRate.toFixed(0)).join(' / ')}; last delivery ${runs.map((run) => run.lagSeconds.toFixed(2)).join(' / ')} s after the last accept)` +
        `${error ? ` [${error}]` : ''}`,
    );
    return {
      peer: c.info.id,
      bytes: p.bytes,
      sessions,
      mode,
      messages: p.messages,
      runs: runs.map((run) => ({ acceptRate: round(run.acceptRate), outboundRate: round(run.outboundRate), lagSeconds: round(run.lagSeconds, 3) })),
      acceptRate: of((run) => run.acceptRate),
      outboundRate: of((run) => run.outboundRate),
      lagSeconds: of((run) => run.lagSeconds),
      cpuMsPerMessage: messages > 0 ? round((1000 * cpuSeconds) / messages, 3) : Number.NaN,
      ...(error ? { error } : {}),
      load1: load1(),
    };
  });
}

export async function measureOutbound(setup: OutboundSetup): Promise<OutboundResults> {
  const { plan: p, log } = setup;
  const contenders: Contender[] = [
    {
      info: { id: 'posthorn', label: POSTHORN_OUTBOUND_LABEL, version: setup.versions.posthorn ?? 'n/a', accepts: 'the queue-fs record is synced (group commit); outbound then delivers it over a pooled connection', notes: [], ...(setup.unavailable.posthorn ? { unavailable: setup.unavailable.posthorn } : {}) },
      start: (ctx) => startPosthornOutbound(ctx, setup.posthornLog),
    },
    {
      info: { id: 'postfix', label: 'Postfix, relayhost = the sink', version: setup.versions.postfix ?? 'n/a', accepts: 'the queue file is fsynced by cleanup(8); qmgr then hands it to smtp(8), which caches connections', notes: [], ...(setup.unavailable.postfix ? { unavailable: setup.unavailable.postfix } : {}) },
      start: (ctx) => postfix.start({ ...ctx, dirName: 'postfix-outbound' }),
    },
  ];
  const notes = new Map<string, Set<string>>(contenders.map((c) => [c.info.id, new Set<string>()]));
  const cells: OutboundCell[] = [];
  if (setup.posthornOnly) contenders.splice(1);
  const live = contenders.filter((c) => !c.info.unavailable);
  log(`outbound delivery: ${p.bytes / 1024} KB to someone@${REMOTE_DOMAIN}, ${p.messages} messages per run, sessions ${p.sessions.join('/')}, smtp-source modes ${p.modes.join('+')}`);
  const stopAll = async () => {
    for (const c of live) {
      const { running, sink } = c;
      c.running = undefined;
      c.sink = undefined;
      await running?.stop().catch(() => {});
      if (sink && running) {
        // The peer's last connections end with it; the sink counts a session when it ends.
        await delay(300);
        notes.get(c.info.id)!.add(`the sink received ${sink.count()} messages over ${sink.sessions()} connections (warm-ups included)`);
      }
      await sink?.stop().catch(() => {});
    }
  };
  const untrack = setup.track(stopAll);
  try {
    for (const c of live) {
      try {
        c.sink = await startCountingSink(setup.base.runDir, `outbound-sink-${c.info.id}`);
        const flags = c.info.id === 'posthorn' ? nodePeerSetup(setup.base.runDir, `posthorn-outbound${setup.posthornFlags ? '-profile' : ''}`, setup.posthornFlags) : undefined;
        c.dnsAudit = flags?.dnsAudit;
        c.running = await c.start({ ...setup.base, relayPort: c.sink.port, nodeFlags: flags?.flags ?? [], nodeEnv: flags?.env ?? {} });
        for (const note of c.running.notes) notes.get(c.info.id)!.add(note.replaceAll(setup.base.runDir, '<run>').replace(/(127\.0\.0\.1\]?):\d+/g, '$1:<port>'));
      } catch (err) {
        c.failed = `cannot start: ${(err as Error).message}`;
        log(`  ${c.info.id}: ${c.failed}`);
        continue;
      }
      const warm = await measureRun(c, p, p.sessions[0] ?? 10, p.firstWarmupMessages, p.modes[0] ?? 'close');
      if (warm.error) {
        c.failed = `warm-up: ${warm.error}`;
        log(`  ${c.info.id}: ${c.failed}`);
      }
    }
    for (const mode of p.modes) {
      for (const sessions of p.sessions) cells.push(...(await measureCell(contenders, p, mode, sessions, log)));
    }
  } finally {
    await stopAll();
    untrack();
  }
  const peers: PeerInfo[] = [];
  for (const c of contenders) {
    const dns = new Map<string, number>();
    if (c.dnsAudit) await readDnsAudit(c.dnsAudit, dns);
    peers.push({ ...c.info, notes: [...notes.get(c.info.id)!], ...(c.dnsAudit ? { dns: Object.fromEntries(dns) } : {}) });
  }
  return { peers, cells };
}
