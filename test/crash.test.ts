/**
 * The durability proof: SIGKILL under load, several times, then a restart on the same data
 * directory. The promise under test is the queue's: a 250 is given only once the message is
 * on disk, and a queued message is delivered to each recipient exactly once, whatever moment
 * the process dies at (during the SMTP transaction, between the 250 and delivery, between the
 * append to the Maildir and the queue's bookkeeping).
 *
 * Each round starts the server, runs concurrent clients that send messages with unique tokens
 * (some to two recipients) and records what the server answered for each token, and kills the
 * server with SIGKILL at a chosen moment while the clients are still sending: after a number of
 * 250s, or right after the server logged a number of deliveries. The next round starts on the
 * left-overs. At the end a last start delivers everything, and then:
 *  - every token that got a 250 is in each of its recipients' Maildirs exactly once;
 *  - a token without an answer (killed in flight) is in each Maildir at most once;
 *  - a token the server refused is nowhere; nothing is in a Maildir it was not sent to;
 *  - every stored message is the server's Received field plus exactly the bytes sent;
 *  - the queue is empty.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readInbox, splitReceived } from './helpers/maildir.ts';
import { type LedgerEntry, startLoad } from './helpers/load.ts';
import type { PosthornProcess } from '@posthorn/testkit';
import { createInstallation, explain, type Installation } from './helpers/posthorn.ts';
import { waitFor } from './helpers/wait.ts';

const ALICE = 'alice@localhost';
const BOB = 'bob@localhost';
const CLIENTS = 20;

/** When to kill, per round. */
type Trigger =
  /** At the count-th 250 of the round, from inside the client that got it. */
  | { readonly kill: 'acks'; readonly count: number }
  /** Right after the server logged its count-th local delivery, the clients still sending. */
  | { readonly kill: 'deliveries'; readonly count: number }
  /** The clients stop after `acks` 250s; then at the count-th delivery logged after that. */
  | { readonly kill: 'deliveries-after-load'; readonly acks: number; readonly count: number };

const ROUNDS: readonly Trigger[] = [
  // Early, while the clients ramp up and the queue fills.
  { kill: 'acks', count: 60 },
  // In the middle of delivery (of new messages and of what round 1 left), while clients send:
  // right after a Maildir append was logged, before the queue has removed its message.
  { kill: 'deliveries', count: 15 },
  // Late, with a backlog of accepted messages and redeliveries of the rounds before.
  { kill: 'acks', count: 150 },
  // During delivery alone: no SMTP load, so the runner goes at full speed and the kill most
  // likely lands between an append and the queue's bookkeeping.
  { kill: 'deliveries-after-load', acks: 100, count: 30 },
];

interface Tally {
  /** token -> mailbox address -> copies */
  readonly copies: Map<string, Map<string, number>>;
  readonly problems: string[];
}

/** Counts every token in both Maildirs and checks each stored message byte for byte. */
async function tally(install: Installation, ledger: Map<string, LedgerEntry>): Promise<Tally> {
  const copies = new Map<string, Map<string, number>>();
  const problems: string[] = [];
  for (const mailbox of [ALICE, BOB]) {
    for (const message of await readInbox(install.maildir(mailbox))) {
      const split = splitReceived(message.bytes);
      const token = split && /^Subject: crash (\S+)\r$/m.exec(split.rest.toString('latin1'))?.[1];
      const entry = token ? ledger.get(token) : undefined;
      if (!split || !token || !entry) {
        problems.push(`${message.file}: not a message this test sent`);
        continue;
      }
      if (!split.rest.equals(entry.bytes)) problems.push(`${message.file}: stored bytes differ from the bytes sent for ${token}`);
      const perBox = copies.get(token) ?? new Map<string, number>();
      perBox.set(mailbox, (perBox.get(mailbox) ?? 0) + 1);
      copies.set(token, perBox);
    }
  }
  return { copies, problems };
}

function countLogs(servers: readonly PosthornProcess[], msg: string): number {
  return servers.reduce((sum, server) => sum + server.logs().filter((line) => line.msg === msg).length, 0);
}

/** Queue segment files left in the queue directory (queue-fs keeps messages in `*.log` segments). */
async function queuedFiles(install: Installation): Promise<string[]> {
  const names = await readdir(join(install.dataDir, 'queue')).catch(() => [] as string[]);
  return names.filter((name) => name.endsWith('.log'));
}

describe('SIGKILL under load, then restart', () => {
  let install: Installation;
  const ledger = new Map<string, LedgerEntry>();

  before(async () => {
    install = await createInstallation({ users: [ALICE, BOB] });
  });
  after(() => install?.dispose());

  it(`loses and duplicates nothing over ${ROUNDS.length} kills`, { timeout: 120_000 }, async (t) => {
    const unexpected: string[] = [];
    const servers: PosthornProcess[] = [];
    for (const [index, trigger] of ROUNDS.entries()) {
      const round = index + 1;
      const server = index === 0 ? install.server : await install.start();
      servers.push(server);
      let killedAt: string | undefined;
      const kill = (why: string) => {
        if (killedAt) return;
        killedAt = why;
        // SIGKILL at once, from inside the event that triggered it.
        process.kill(server.pid, 'SIGKILL');
      };
      const load = startLoad(ledger, {
        port: server.ports.mx!,
        round,
        clients: CLIENTS,
        // Every third message also goes to bob: two recipients of one queued message.
        recipientsFor: (n) => (n % 3 === 2 ? [ALICE, BOB] : [ALICE]),
        onAck: (acked) => {
          if (trigger.kill === 'acks' && acked >= trigger.count) kill(`at the ${acked}th 250 of the round`);
          if (trigger.kill === 'deliveries-after-load' && acked >= trigger.acks) load.stop();
        },
      });
      if (trigger.kill !== 'acks') {
        if (trigger.kill === 'deliveries-after-load') await load.done;
        // Counted on the process's output as it arrives (lines are offered in order, once).
        const from = server.lines.length;
        let offered = 0;
        let delivered = 0;
        const isDelivery = (text: string) => offered++ >= from && text.includes('"msg":"delivered to the mailbox"') && ++delivered >= trigger.count;
        await server.waitForLine(isDelivery, 60_000);
        kill(`right after the ${delivered}th delivery logged${trigger.kill === 'deliveries' ? ' with clients sending' : ' after the clients stopped'}`);
      }
      // The clients see their connections drop and end on their own.
      await load.done;
      assert.ok(killedAt, `round ${round}: the clients ended before the kill: ${load.unexpected.join('; ') || 'no error'}`);
      const exit = await server.exited;
      unexpected.push(...load.unexpected.map((u) => `round ${round}: ${u}`));
      assert.equal(exit.signal, 'SIGKILL', `round ${round}: the server was killed, not ended otherwise (${JSON.stringify(exit)})`);
      const entries = [...ledger.values()].filter((e) => e.round === round);
      t.diagnostic(
        `round ${round}: killed ${killedAt}; ${entries.filter((e) => e.outcome === 'acked').length} acknowledged, ` +
          `${entries.filter((e) => e.outcome === 'in-doubt').length} in doubt, ${(await queuedFiles(install)).length} queue segment files left`,
      );
    }

    // The last start delivers what the kills left behind.
    const server = await install.start();
    servers.push(server);
    const acked = [...ledger.values()].filter((e) => e.outcome === 'acked');
    // A message leaves the queue directory only once every recipient is final, so an empty
    // directory means every delivery there will ever be has happened. Empty: no message, state
    // or temp file outlived its message (torn files from the kills are in corrupt/).
    const leftovers = async () => (await readdir(join(install.dataDir, 'queue'))).filter((name) => name !== 'lock' && name !== 'corrupt');
    await waitFor(async () => ((await leftovers()).length === 0 ? true : undefined), 'the queue to drain', 60_000, 100).catch(async (err: Error) => {
      const left = await leftovers();
      throw new Error(`${err.message}; ${left.length} files left, e.g. ${left.slice(0, 10).join(' ')}`);
    });

    // The server agrees that nothing is left.
    const listed = await install.cli(['queue', 'list', '--json']);
    assert.equal(listed.code, 0, explain(listed));
    assert.deepEqual(JSON.parse(listed.stdout), []);

    const { copies, problems } = await tally(install, ledger);
    const violations: string[] = [...problems];
    for (const entry of ledger.values()) {
      const found = copies.get(entry.token) ?? new Map<string, number>();
      for (const [mailbox, count] of found) {
        if (!entry.recipients.includes(mailbox)) violations.push(`${entry.token}: in ${mailbox}, which it was not sent to`);
        if (count > 1) violations.push(`${entry.token} (${entry.outcome}, round ${entry.round}): ${count} copies in ${mailbox}`);
      }
      for (const rcpt of entry.recipients) {
        const count = found.get(rcpt) ?? 0;
        if (entry.outcome === 'acked' && count === 0) violations.push(`${entry.token} (acked, round ${entry.round}): lost, not in ${rcpt}`);
        if (entry.outcome === 'refused' && count !== 0) violations.push(`${entry.token} (refused: ${entry.reply?.trim()}): delivered to ${rcpt}`);
      }
      // An in-doubt message with two recipients is one queue entry: both or neither.
      if (entry.outcome === 'in-doubt' && entry.recipients.length > 1) {
        const present = entry.recipients.filter((r) => found.has(r));
        if (present.length !== 0 && present.length !== entry.recipients.length) violations.push(`${entry.token} (in doubt): delivered to ${present.join(', ')} only`);
      }
    }
    const inDoubt = [...ledger.values()].filter((e) => e.outcome === 'in-doubt');
    t.diagnostic(
      `total: ${ledger.size} messages sent, ${acked.length} acknowledged (${acked.filter((e) => e.recipients.length > 1).length} to two recipients), ` +
        `${inDoubt.length} in doubt of which ${inDoubt.filter((e) => copies.has(e.token)).length} delivered; over all starts: ` +
        `${countLogs(servers, 'already delivered to the mailbox')} redeliveries caught by the dedupe key, ` +
        `${countLogs(servers, 'queue file set aside as corrupt')} torn queue files set aside`,
    );
    assert.equal(violations.length, 0, `${violations.length} violations:\n${violations.slice(0, 40).join('\n')}${violations.length > 40 ? '\n...' : ''}`);
    assert.deepEqual(unexpected, [], 'every client error came from a kill');
    assert.ok(acked.length >= ROUNDS.reduce((sum, r) => sum + (r.kill === 'acks' ? r.count : r.kill === 'deliveries-after-load' ? r.acks : 0), 0), 'the rounds reached their thresholds');

    // A clean stop after all this.
    const exit = await install.server.stop();
    assert.deepEqual(exit, { code: 0, signal: null });
  });
});
