import { ImapClient } from './client.ts';

export interface LoadResult {
  /** What the cell counts: logins, sessions of the mix, or timed commands. */
  readonly operations: number;
  /** IMAP commands sent, LOGIN and LOGOUT included. */
  readonly commands: number;
  /** Bytes received from the server. */
  readonly bytes: number;
  readonly seconds: number;
}

interface Bounds {
  readonly port: number;
  readonly password: string;
  /** Rounds per session at most... */
  readonly rounds: number;
  /** ...and no new round once this many seconds have passed since the start. */
  readonly maxSeconds: number;
}

/** `sessions` loops in parallel, each running `body` for rounds 0, 1, ... within the bounds. */
async function parallel(sessions: number, bounds: Bounds, body: (session: number, round: number) => Promise<{ operations: number; commands: number; bytes: number }>): Promise<LoadResult> {
  const started = performance.now();
  const deadline = started + bounds.maxSeconds * 1000;
  // Settled, not all: when one session fails, the others still finish (or fail) before the
  // cell is given up, so no connection of this cell lingers into the next.
  const settled = await Promise.allSettled(
    Array.from({ length: sessions }, async (_, session) => {
      const sum = { operations: 0, commands: 0, bytes: 0 };
      for (let round = 0; round < bounds.rounds && (round === 0 || performance.now() < deadline); round++) {
        const done = await body(session, round);
        sum.operations += done.operations;
        sum.commands += done.commands;
        sum.bytes += done.bytes;
      }
      return sum;
    }),
  );
  const failure = settled.find((result) => result.status === 'rejected');
  if (failure) throw failure.reason;
  const totals = settled.map((result) => (result as PromiseFulfilledResult<{ operations: number; commands: number; bytes: number }>).value);
  return {
    operations: totals.reduce((n, t) => n + t.operations, 0),
    commands: totals.reduce((n, t) => n + t.commands, 0),
    bytes: totals.reduce((n, t) => n + t.bytes, 0),
    seconds: (performance.now() - started) / 1000,
  };
}

/** Connects, runs `work`, and drops the connection if it failed (then rethrows). */
async function session<T>(port: number, work: (client: ImapClient) => Promise<T>): Promise<T> {
  const client = await ImapClient.connect(port);
  try {
    return await work(client);
  } catch (err) {
    client.destroy();
    throw err;
  }
}

/** The login rate: per connection the greeting, LOGIN and LOGOUT; each session its own account. */
export function loginLoad(options: Bounds & { readonly users: readonly string[] }): Promise<LoadResult> {
  return parallel(options.users.length, options, (index) =>
    session(options.port, async (client) => {
      await client.login(options.users[index]!, options.password);
      await client.logout();
      return { operations: 1, commands: 2, bytes: client.bytes };
    }),
  );
}

/** A small deterministic generator, so that both servers get the very same choices. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** `count` distinct UIDs out of 1..`max`, none of `except`. */
function pick(next: () => number, max: number, count: number, except: readonly number[] = []): number[] {
  const chosen = new Set<number>();
  while (chosen.size < count) {
    const uid = 1 + Math.floor(next() * max);
    if (!except.includes(uid)) chosen.add(uid);
  }
  return [...chosen];
}

/**
 * The session mix, `sessions` at a time on one shared mailbox holding messages UID 1..`messages`:
 * LOGIN, SELECT INBOX, FETCH 1:* (FLAGS UID), UID FETCH of three messages' BODY.PEEK[], UID STORE
 * +FLAGS (\Seen) on those three and -FLAGS (\Seen) on three others (so that about as many
 * messages stay unseen from run to run), SEARCH UNSEEN, then APPEND of a message of its own, UID
 * STORE +FLAGS (\Deleted) and UID EXPUNGE of just that one (UIDPLUS), LOGOUT. Every session sees
 * the others' flag changes, appends and expunges as untagged responses.
 */
export function mixLoad(options: Bounds & { readonly user: string; readonly sessions: number; readonly messages: number; readonly own: (session: number) => Buffer }): Promise<LoadResult> {
  return parallel(options.sessions, options, (index, round) =>
    session(options.port, async (client) => {
      const next = random(index * 100_003 + round);
      await client.login(options.user, options.password);
      await client.command('SELECT INBOX');
      await client.command('FETCH 1:* (FLAGS UID)');
      const read = pick(next, options.messages, 3);
      const unread = pick(next, options.messages, 3, read);
      await client.command(`UID FETCH ${read.join(',')} (BODY.PEEK[])`);
      await client.command(`UID STORE ${read.join(',')} +FLAGS (\\Seen)`);
      await client.command(`UID STORE ${unread.join(',')} -FLAGS (\\Seen)`);
      await client.command('SEARCH UNSEEN');
      const uid = await client.append('INBOX', options.own(index));
      await client.command(`UID STORE ${uid} +FLAGS (\\Deleted)`);
      await client.command(`UID EXPUNGE ${uid}`);
      await client.logout();
      return { operations: 1, commands: 11, bytes: client.bytes };
    }),
  );
}

/**
 * One session on `user`'s INBOX: LOGIN and SELECT untimed, then `command` again and again (each
 * round one command, timed from the first to the last answer), LOGOUT. Each answer must hold at
 * least `expect` untagged responses (FETCH 1:* of a full mailbox: one per message).
 */
export async function commandLoad(options: Bounds & { readonly user: string; readonly command: string; readonly expect: number }): Promise<LoadResult> {
  return session(options.port, async (client) => {
    await client.login(options.user, options.password);
    await client.command('SELECT INBOX');
    const before = client.bytes;
    const started = performance.now();
    const deadline = started + options.maxSeconds * 1000;
    let operations = 0;
    while (operations < options.rounds && (operations === 0 || performance.now() < deadline)) {
      const reply = await client.command(options.command);
      if (reply.untagged < options.expect) throw new Error(`${options.command}: ${reply.untagged} untagged responses, expected ${options.expect} or more`);
      operations++;
    }
    const seconds = (performance.now() - started) / 1000;
    const bytes = client.bytes - before;
    await client.logout();
    return { operations, commands: operations, bytes, seconds };
  });
}

/** Marks messages 1..`seen` of `user`'s INBOX \Seen (once, before the timed commands). */
export async function markSeen(port: number, user: string, password: string, seen: number): Promise<void> {
  await session(port, async (client) => {
    await client.login(user, password);
    await client.command('SELECT INBOX');
    await client.command(`STORE 1:${seen} +FLAGS.SILENT (\\Seen)`);
    await client.logout();
  });
}
