/**
 * `npm run bench:imap`: Posthorn's IMAP server side by side with Dovecot's (Debian package
 * dovecot-imapd, a private instance) on the same messages and the same cheap password hash:
 * the login rate, a session mix over one shared mailbox, and FETCH FLAGS and SEARCH over a
 * 10,000-message mailbox timed per command. Writes the raw numbers to .bench/ and the ratios
 * into docs/benchmarks.md (the bench:imap block). Not a test: nothing asserts on timing. See
 * docs/benchmarks.md, "IMAP".
 */
import { parseArgs } from 'node:util';
import { treeCpuSeconds } from './lib/cpu.ts';
import { MailBench, measureInTurns } from './lib/mail-bench.ts';
import { argon2idPhc, HASHES, type HashKind, PASSWORD } from './lib/mail-data.ts';
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

const bench = await MailBench.open('imap');
const { runDir, running } = bench;
const log = (line: string) => bench.log(line);

log(`IMAP bench in ${runDir} (${quick ? 'quick' : 'full'}, ${sessions} sessions)`);
const data = imapDataset({ sessions, quick });
const groups = [data.login, data.shared, data.big];
// One PHC string per cost, shared by every account of that cost in both servers (all are cheap here).
const hashes = Object.fromEntries(Object.keys(HASHES).map((kind) => [kind, argon2idPhc(PASSWORD, kind as HashKind)])) as Record<HashKind, string>;
const bigUser = data.big.users[0]!;
const sharedUser = data.shared.users[0]!;

// The same starting flags on both, set through IMAP; also Dovecot's first look at the big maildir.
const infos = await bench.startPeers([posthornImap(), dovecotImap()], groups, hashes, (instance) => markSeen(instance.port, bigUser, PASSWORD, data.bigSeen));

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
    const { rounds, runs } = await measureInTurns(
      ids,
      MEASURED_RUNS,
      async (id) => {
        if (plan.kind === 'command') await measure(id, plan, 2, MAX_SECONDS);
        const warm = await measure(id, plan, plan.kind === 'command' ? 2 : 1, MAX_SECONDS);
        const perRound = warm.seconds / (plan.kind === 'command' ? warm.operations : 1);
        return Math.max(plan.kind === 'command' ? 3 : 1, Math.min(MAX_ROUNDS, Math.round(TARGET_SECONDS / perRound)));
      },
      (id, n) => measure(id, plan, n, MAX_SECONDS),
    );
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
const results: ImapResults = {
  ...(await bench.stop(quick)),
  peers: infos,
  hash: HASHES.cheap.label,
  data: { loginMessages: data.login.messages.length, sharedMessages: data.shared.messages.length, bigMessages: data.big.messages.length, bigSeen: data.bigSeen, messageBytes: data.shared.bytes },
  cells,
};
await bench.finish(results, { write: !values['no-report'], keep: values.keep, updateDoc: () => updateDoc(results), block: () => renderBlock(results) });
