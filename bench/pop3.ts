/**
 * `npm run bench:pop3`: Posthorn's POP3 server side by side with Dovecot's (Debian package
 * dovecot-pop3d, a private instance) on the same messages and the same password hashes: RETR
 * throughput at 2 KB and 100 KB, and the login rate with a cheap and a realistic Argon2id hash.
 * Writes the raw numbers to .bench/ and the ratios into docs/benchmarks.md (the bench:pop3
 * block). Not a test: nothing asserts on timing. See docs/benchmarks.md, "POP3".
 */
import { parseArgs } from 'node:util';
import { treeCpuSeconds } from './lib/cpu.ts';
import { MailBench, measureInTurns } from './lib/mail-bench.ts';
import { runLoad } from './pop3/client.ts';
import { type AccountGroup, argon2idPhc, dataset, HASHES, type HashKind, PASSWORD } from './pop3/dataset.ts';
import { dovecotPop3 } from './pop3/dovecot.ts';
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

const bench = await MailBench.open('pop3');
const { runDir, running } = bench;
const log = (line: string) => bench.log(line);

log(`POP3 bench in ${runDir} (${quick ? 'quick' : 'full'}, ${sessions} sessions)`);
const groups = dataset({ sessions, quick });
const group = (name: string) => groups.find((g) => g.name === name)!;
// One PHC string per cost, shared by every account of that cost in both servers.
const hashes = Object.fromEntries(Object.keys(HASHES).map((kind) => [kind, argon2idPhc(PASSWORD, kind as HashKind)])) as Record<HashKind, string>;

const infos = await bench.startPeers([posthornPop3(), dovecotPop3()], groups, hashes);

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
    const { rounds, runs } = await measureInTurns(
      ids,
      MEASURED_RUNS,
      async (id) => Math.max(1, Math.min(500, Math.round(TARGET_SECONDS / (await measure(id, plan, 1)).seconds))),
      (id, n) => measure(id, plan, n),
    );
    const cell: Pop3Cell = { name: plan.name, kind: plan.kind, label: plan.label, sessions: plan.sessions, rounds, runs };
    cells.push(cell);
    log(`  ${plan.label} ×${plan.sessions}: ${ids.map((id) => `${id} ${summary(cell, id).rate.toFixed(1)}/s`).join(', ')}`);
  } catch (err) {
    log(`  ${plan.label} ×${plan.sessions}: failed: ${(err as Error).message}`);
    cells.push({ name: plan.name, kind: plan.kind, label: plan.label, sessions: plan.sessions, rounds: {}, runs: [], error: (err as Error).message });
  }
}
const results: Pop3Results = {
  ...(await bench.stop(quick)),
  peers: infos,
  hashes: Object.fromEntries(Object.entries(HASHES).map(([kind, hash]) => [kind, hash.label])),
  cells,
};
await bench.finish(results, { write: !values['no-report'], keep: values.keep, updateDoc: () => updateDoc(results), block: () => renderBlock(results) });
