/**
 * `npm run bench:pop3`: Posthorn's POP3 server side by side with Dovecot's (Debian package
 * dovecot-pop3d, a private instance) on the same messages and the same password hashes: RETR
 * throughput at 2 KB and 100 KB, and the login rate with a cheap and a realistic Argon2id hash.
 * Writes the raw numbers to .bench/ and the ratios into docs/benchmarks.md (the bench:pop3
 * block). Not a test: nothing asserts on timing. See docs/benchmarks.md, "POP3".
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { treeCpuSeconds } from './lib/cpu.ts';
import { load1 } from './lib/load.ts';
import { REPO } from './lib/repo.ts';
import { freshDir, runDirectory } from './lib/scratch.ts';
import { runLoad } from './pop3/client.ts';
import { type AccountGroup, argon2idPhc, dataset, HASHES, type HashKind, PASSWORD } from './pop3/dataset.ts';
import { dovecotPop3 } from './pop3/dovecot.ts';
import type { Pop3Peer, RunningPop3 } from './pop3/peer.ts';
import { posthornPop3 } from './pop3/posthorn.ts';
import { type Pop3Cell, type Pop3Results, type Pop3Run, renderBlock, summary, updateDoc } from './pop3/report.ts';

const USAGE = 'usage: npm run bench:pop3 -- [--quick] [--sessions N] [--keep] [--no-report]';
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
/** Each measured run is sized to take about this long, from the peer's own warm-up. */
const TARGET_SECONDS = quick ? 1 : 2.5;
const MEASURED_RUNS = 3;

const began = performance.now();
const date = new Date();
const load = { start: load1(), max: load1(), end: 0 };
const sampler = setInterval(() => (load.max = Math.max(load.max, load1())), 1000);
const runDir = await runDirectory(`pop3-${date.toISOString().replace(/[:.]/g, '-')}`);
const log = (line: string) => console.log(line);
const running = new Map<string, RunningPop3>();
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

log(`POP3 bench in ${runDir} (${quick ? 'quick' : 'full'}, ${sessions} sessions)`);
const groups = dataset({ sessions, quick });
const group = (name: string) => groups.find((g) => g.name === name)!;
// One PHC string per cost, shared by every account of that cost in both servers.
const hashes = Object.fromEntries(Object.keys(HASHES).map((kind) => [kind, argon2idPhc(PASSWORD, kind as HashKind)])) as Record<HashKind, string>;

const peers: Pop3Peer[] = [posthornPop3(), dovecotPop3()];
const infos: { id: string; label: string; version: string; notes: string[]; unavailable?: string }[] = [];
for (const peer of peers) {
  try {
    const version = await peer.version();
    log(`${peer.label}: ${version}; preparing ${groups.reduce((sum, g) => sum + g.users.length * g.messages.length, 0)} messages`);
    await peer.prepare(await freshDir(runDir, peer.id), groups, hashes);
    const instance = await peer.start();
    running.set(peer.id, instance);
    infos.push({ id: peer.id, label: peer.label, version, notes: [...instance.notes] });
  } catch (err) {
    log(`${peer.label}: unavailable: ${(err as Error).message}`);
    infos.push({ id: peer.id, label: peer.label, version: 'n/a', notes: [], unavailable: (err as Error).message });
  }
}

interface CellPlan {
  readonly name: string;
  readonly kind: 'retr' | 'login';
  readonly label: string;
  readonly group: AccountGroup;
  readonly sessions: number;
}
const plans: CellPlan[] = [];
for (const n of [...new Set([1, sessions])]) {
  plans.push({ name: `retr-2k-${n}`, kind: 'retr', label: 'RETR, 2 KB messages', group: group('retr-2k'), sessions: n });
  plans.push({ name: `retr-100k-${n}`, kind: 'retr', label: 'RETR, 100 KB messages', group: group('retr-100k'), sessions: n });
}
for (const n of [...new Set([1, sessions])]) {
  plans.push({ name: `login-${n}`, kind: 'login', label: `Login (${HASHES.cheap.label})`, group: group('login'), sessions: n });
  plans.push({ name: `login-owasp-${n}`, kind: 'login', label: `Login (${HASHES.owasp.label})`, group: group('login-owasp'), sessions: n });
}

/** One run of a cell against one server: the load, and the CPU its process tree used meanwhile. */
async function measure(id: string, plan: CellPlan, rounds: number): Promise<Pop3Run> {
  const peer = running.get(id)!;
  const cpuBefore = await treeCpuSeconds(peer.pid);
  const result = await runLoad({
    port: peer.port,
    users: plan.group.users.slice(0, plan.sessions),
    password: PASSWORD,
    rounds,
    messages: plan.kind === 'retr' ? plan.group.messages.length : 0,
  });
  // The server has answered QUIT of the last session: whatever it still does is not this run's.
  const cpuSeconds = (await treeCpuSeconds(peer.pid)) - cpuBefore;
  return { peer: id, operations: result.operations, bytes: result.bytes, seconds: result.seconds, cpuSeconds };
}

const cells: Pop3Cell[] = [];
const ids = [...running.keys()];
for (const plan of plans) {
  try {
    // Warm-up (Dovecot builds its index files on the first session of a maildrop); its time
    // sizes the measured runs of that peer.
    const rounds: Record<string, number> = {};
    for (const id of ids) {
      const warm = await measure(id, plan, 1);
      rounds[id] = Math.max(1, Math.min(500, Math.round(TARGET_SECONDS / warm.seconds)));
    }
    const runs: Pop3Run[] = [];
    // The servers take turns (A B, B A, A B), so a change in machine load does not land on one only.
    for (let i = 0; i < MEASURED_RUNS; i++) {
      for (const id of i % 2 ? [...ids].reverse() : ids) runs.push(await measure(id, plan, rounds[id]!));
    }
    const cell: Pop3Cell = { name: plan.name, kind: plan.kind, label: plan.label, sessions: plan.sessions, rounds, runs };
    cells.push(cell);
    log(`  ${plan.label} ×${plan.sessions}: ${ids.map((id) => `${id} ${summary(cell, id).rate.toFixed(1)}/s`).join(', ')}`);
  } catch (err) {
    log(`  ${plan.label} ×${plan.sessions}: failed: ${(err as Error).message}`);
    cells.push({ name: plan.name, kind: plan.kind, label: plan.label, sessions: plan.sessions, rounds: {}, runs: [], error: (err as Error).message });
  }
}
await stopAll();
clearInterval(sampler);
load.end = load1();

const results: Pop3Results = {
  date: date.toISOString(),
  quick,
  seconds: (performance.now() - began) / 1000,
  machine: `${cpus().length} cores (${cpus()[0]?.model.trim().split(' ').slice(0, 2).join(' ')}), ${Math.round(totalmem() / 2 ** 30)} GB RAM, kernel ${release()}, Node ${process.versions.node}`,
  load,
  peers: infos,
  hashes: Object.fromEntries(Object.entries(HASHES).map(([kind, hash]) => [kind, hash.label])),
  cells,
};
const dir = join(REPO, '.bench');
await mkdir(dir, { recursive: true });
const text = `${JSON.stringify(results, null, 2)}\n`;
await writeFile(join(dir, `pop3-${results.date.replace(/[:.]/g, '-')}.json`), text);
await writeFile(join(dir, 'pop3-latest.json'), text);
if (!values['no-report']) log(`report: ${await updateDoc(results)}`);
log('');
log(renderBlock(results));
if (!values.keep) await rm(runDir, { recursive: true, force: true });
else log(`kept ${runDir}`);
