/**
 * `npm run bench:imap`: Posthorn's IMAP server side by side with Dovecot's (Debian package
 * dovecot-imapd, a private instance) on the same messages and the same cheap password hash:
 * the login rate, a session mix over one shared mailbox, and FETCH FLAGS and SEARCH over a
 * 10,000-message mailbox timed per command. Writes the raw numbers to .bench/ and the ratios
 * into docs/benchmarks.md (the bench:imap block). Not a test: nothing asserts on timing. See
 * docs/benchmarks.md, "IMAP".
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { treeCpuSeconds } from './lib/cpu.ts';
import { load1 } from './lib/load.ts';
import { argon2idPhc, HASHES, type HashKind, PASSWORD } from './lib/mail-data.ts';
import type { MailPeer, RunningMailPeer } from './lib/mail-peer.ts';
import { REPO } from './lib/repo.ts';
import { freshDir, runDirectory } from './lib/scratch.ts';
import { imapDataset } from './imap/dataset.ts';
import { dovecotImap } from './imap/dovecot.ts';
import { commandLoad, type LoadResult, loginLoad, markSeen, mixLoad } from './imap/load.ts';
import { posthornImap } from './imap/posthorn.ts';
import { type ImapCell, type ImapResults, type ImapRun, renderBlock, summary, updateDoc } from './imap/report.ts';

const USAGE = 'usage: npm run bench:imap -- [--quick] [--sessions N] [--keep] [--no-report]';
const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    sessions: { type: 'string', default: '10' },
    keep: { type: 'boolean', default: false },
    'no-report': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const quick = values.quick;
const sessions = Number(values.sessions);
if (!Number.isInteger(sessions) || sessions < 1 || sessions > 100) throw new Error(`--sessions must be 1..100\n${USAGE}`);
/** Each measured run is sized to take about this long, from the peer's own warm-up... */
const TARGET_SECONDS = quick ? 1 : 2.5;
/** ...and stops starting new rounds after this long, whatever the warm-up said. */
const MAX_SECONDS = TARGET_SECONDS * 3;
const MAX_ROUNDS = 500;
const MEASURED_RUNS = 3;

const began = performance.now();
const date = new Date();
const load = { start: load1(), max: load1(), end: 0 };
const sampler = setInterval(() => (load.max = Math.max(load.max, load1())), 1000);
const runDir = await runDirectory(`imap-${date.toISOString().replace(/[:.]/g, '-')}`);
const log = (line: string) => console.log(line);
const running = new Map<string, RunningMailPeer>();
async function stopAll(): Promise<void> {
  await Promise.all([...running.values()].map((peer) => peer.stop().catch(() => undefined)));
  running.clear();
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.log(`\n${signal}: stopping the servers`);
    void stopAll().finally(() => process.exit(130));
  });
}

log(`IMAP bench in ${runDir} (${quick ? 'quick' : 'full'}, ${sessions} sessions)`);
const data = imapDataset({ sessions, quick });
const groups = [data.login, data.shared, data.big];
// One PHC string per cost, shared by every account of that cost in both servers (all are cheap here).
const hashes = Object.fromEntries(Object.keys(HASHES).map((kind) => [kind, argon2idPhc(PASSWORD, kind as HashKind)])) as Record<HashKind, string>;
const bigUser = data.big.users[0]!;
const sharedUser = data.shared.users[0]!;

const peers: MailPeer[] = [posthornImap(), dovecotImap()];
const infos: ImapResults['peers'][number][] = [];
for (const peer of peers) {
  try {
    const version = await peer.version();
    const started = performance.now();
    log(`${peer.label}: ${version}; preparing ${groups.reduce((sum, g) => sum + g.users.length * g.messages.length, 0)} messages`);
    await peer.prepare(await freshDir(runDir, peer.id), groups, hashes);
    const instance = await peer.start();
    running.set(peer.id, instance);
    // The same starting flags on both, set through IMAP; also Dovecot's first look at the big maildir.
    await markSeen(instance.port, bigUser, PASSWORD, data.bigSeen);
    log(`  ready on 127.0.0.1:${instance.port} after ${((performance.now() - started) / 1000).toFixed(1)} s`);
    infos.push({ id: peer.id, label: peer.label, version, notes: [...instance.notes] });
  } catch (err) {
    log(`${peer.label}: unavailable: ${(err as Error).message}`);
    infos.push({ id: peer.id, label: peer.label, version: 'n/a', notes: [], unavailable: (err as Error).message });
  }
}

interface CellPlan {
  readonly name: string;
  readonly kind: ImapCell['kind'];
  readonly label: string;
  readonly sessions: number;
  readonly run: (port: number, rounds: number, maxSeconds: number) => Promise<LoadResult>;
}
const plans: CellPlan[] = [];
const counts = [...new Set([1, sessions])];
for (const n of counts) {
  plans.push({
    name: `login-${n}`,
    kind: 'login',
    label: `Login (LOGIN, LOGOUT; ${HASHES.cheap.label})`,
    sessions: n,
    run: (port, rounds, maxSeconds) => loginLoad({ port, password: PASSWORD, rounds, maxSeconds, users: data.login.users.slice(0, n) }),
  });
}
for (const n of counts) {
  plans.push({
    name: `mix-${n}`,
    kind: 'mix',
    label: 'Session mix on a shared INBOX',
    sessions: n,
    run: (port, rounds, maxSeconds) => mixLoad({ port, password: PASSWORD, rounds, maxSeconds, user: sharedUser, sessions: n, messages: data.shared.messages.length, own: data.own }),
  });
}
const big = data.big.messages.length.toLocaleString('en');
for (const [name, command, expect] of [
  ['fetch-flags', 'FETCH 1:* (FLAGS)', data.big.messages.length],
  ['search-unseen', 'SEARCH UNSEEN', 1],
  ['search-subject', `SEARCH SUBJECT "bench message ${data.big.messages.length - 1}"`, 1],
] as const) {
  plans.push({
    name,
    kind: 'command',
    label: `\`${command}\`, ${big} messages`,
    sessions: 1,
    run: (port, rounds, maxSeconds) => commandLoad({ port, password: PASSWORD, rounds, maxSeconds, user: bigUser, command, expect }),
  });
}

/** One run of a cell against one server: the load, and the CPU its process tree used meanwhile. */
async function measure(id: string, plan: CellPlan, rounds: number, maxSeconds: number): Promise<ImapRun> {
  const peer = running.get(id)!;
  const cpuBefore = await treeCpuSeconds(peer.pid);
  const result = await plan.run(peer.port, rounds, maxSeconds);
  // The server has answered LOGOUT of the last session: whatever it still does is not this run's.
  const cpuSeconds = (await treeCpuSeconds(peer.pid)) - cpuBefore;
  return { peer: id, operations: result.operations, commands: result.commands, bytes: result.bytes, seconds: result.seconds, cpuSeconds };
}

const cells: ImapCell[] = [];
const ids = [...running.keys()];
for (const plan of plans) {
  const label = `${plan.label} ×${plan.sessions}`;
  try {
    // Warm-up (Dovecot builds and extends its index and cache files on first use, Posthorn
    // fills its message cache); its time per round sizes the measured runs of that peer. A
    // command cell warms up twice and is sized by the second: the first SEARCH over the big
    // INBOX reads every message file, which would size the runs to a handful of commands.
    const rounds: Record<string, number> = {};
    for (const id of ids) {
      if (plan.kind === 'command') await measure(id, plan, 2, MAX_SECONDS);
      const warm = await measure(id, plan, plan.kind === 'command' ? 2 : 1, MAX_SECONDS);
      const perRound = warm.seconds / (plan.kind === 'command' ? warm.operations : 1);
      rounds[id] = Math.max(plan.kind === 'command' ? 3 : 1, Math.min(MAX_ROUNDS, Math.round(TARGET_SECONDS / perRound)));
    }
    const runs: ImapRun[] = [];
    // The servers take turns (A B, B A, A B), so a change in machine load does not land on one only.
    for (let i = 0; i < MEASURED_RUNS; i++) {
      for (const id of i % 2 ? [...ids].reverse() : ids) runs.push(await measure(id, plan, rounds[id]!, MAX_SECONDS));
    }
    const cell: ImapCell = { name: plan.name, kind: plan.kind, label: plan.label, sessions: plan.sessions, rounds, runs };
    cells.push(cell);
    const shown = (peer: string) => {
      const s = summary(cell, peer);
      return plan.kind === 'command' ? `${peer} ${s.ms.toFixed(2)} ms` : `${peer} ${s.rate.toFixed(1)}/s`;
    };
    log(`  ${label}: ${ids.map(shown).join(', ')}`);
  } catch (err) {
    log(`  ${label}: failed: ${(err as Error).message}`);
    cells.push({ name: plan.name, kind: plan.kind, label: plan.label, sessions: plan.sessions, rounds: {}, runs: [], error: (err as Error).message });
  }
}
await stopAll();
clearInterval(sampler);
load.end = load1();

const results: ImapResults = {
  date: date.toISOString(),
  quick,
  seconds: (performance.now() - began) / 1000,
  machine: `${cpus().length} cores (${cpus()[0]?.model.trim().split(' ').slice(0, 2).join(' ')}), ${Math.round(totalmem() / 2 ** 30)} GB RAM, kernel ${release()}, Node ${process.versions.node}`,
  load,
  peers: infos,
  hash: HASHES.cheap.label,
  data: { loginMessages: data.login.messages.length, sharedMessages: data.shared.messages.length, bigMessages: data.big.messages.length, bigSeen: data.bigSeen, messageBytes: data.shared.bytes },
  cells,
};
const dir = join(REPO, '.bench');
await mkdir(dir, { recursive: true });
const text = `${JSON.stringify(results, null, 2)}\n`;
await writeFile(join(dir, `imap-${results.date.replace(/[:.]/g, '-')}.json`), text);
await writeFile(join(dir, 'imap-latest.json'), text);
if (!values['no-report']) log(`report: ${await updateDoc(results)}`);
log('');
log(renderBlock(results));
if (!values.keep) await rm(runDir, { recursive: true, force: true });
else log(`kept ${runDir}`);
