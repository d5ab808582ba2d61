import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ParseError, parseCommand } from '../src/protocol/parser.ts';
import { loggedInClient, type RawImapClient } from './client.ts';
import { ALICE, BOB, type ImapTestServer, message, PASSWORD, startImapServer } from './helpers.ts';

/**
 * A small, seed-fixed fuzz run: valid commands, mutated commands and random bytes over real
 * connections, and random input straight into the parser. The same seed gives the same run, so
 * a failure can be replayed; the seed is in the assertion messages.
 */

const SEED = 0x5eed1;

/** mulberry32: small, fast, and good enough to pick test input. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VALID = [
  'NOOP',
  'CAPABILITY',
  'CHECK',
  'NAMESPACE',
  'ID ("name" "fuzz" "version" "1")',
  'ID NIL',
  'ENABLE CONDSTORE',
  'SELECT INBOX',
  'EXAMINE INBOX',
  'SELECT INBOX (CONDSTORE)',
  'STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY UNSEEN HIGHESTMODSEQ SIZE)',
  'LIST "" "*"',
  'LIST (SUBSCRIBED RECURSIVEMATCH) "" ("*" "%") RETURN (CHILDREN SPECIAL-USE STATUS (MESSAGES))',
  'LSUB "" "*"',
  'CREATE fuzz/a',
  'RENAME fuzz/a fuzz/b',
  'DELETE fuzz/b',
  'SUBSCRIBE fuzz',
  'UNSUBSCRIBE fuzz',
  'FETCH 1:* (FLAGS UID INTERNALDATE RFC822.SIZE)',
  'FETCH 1 (ENVELOPE BODYSTRUCTURE BODY)',
  'FETCH 1:2 BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)]<0.20>',
  'FETCH * (BODY.PEEK[1.MIME] BINARY.PEEK[1] BINARY.SIZE[1])',
  'FETCH 1 (BODY[TEXT]<5.5> RFC822.HEADER)',
  'UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1)',
  'FETCH 1:* ALL',
  'SEARCH ALL',
  'SEARCH OR SUBJECT a FROM b NOT SEEN',
  'SEARCH CHARSET UTF-8 TEXT "x" SINCE 1-Jan-2020 LARGER 10',
  'SEARCH RETURN (MIN MAX COUNT ALL SAVE) UNDELETED',
  'UID SEARCH UID 1:* MODSEQ 1',
  'FETCH $ FLAGS',
  'STORE 1 +FLAGS (\\Seen $Fuzz)',
  'STORE 1:* -FLAGS.SILENT (\\Flagged)',
  'UID STORE 1:* (UNCHANGEDSINCE 5) FLAGS (\\Answered)',
  'COPY 1 Trash',
  'UID COPY 1:* Archive',
  'MOVE 1 Junk',
  'UID EXPUNGE 1:*',
  'EXPUNGE',
  'UNSELECT',
  'CLOSE',
  'IDLE',
  'GETQUOTAROOT INBOX',
  'GETQUOTA ""',
];

/** Bytes that matter to the grammar, over-represented on purpose. */
const SPECIALS = ['(', ')', '[', ']', '{', '}', '<', '>', '"', '\\', '*', '%', '~', '+', ' ', ' ', ':', ',', '.', '$', '\0', '\x7f', '\x80', '\xff', '&', '-', '0', '9', '{1}', '{0+}', '~{3}', 'NIL', 'BODY[', '<1.2>', '4294967296'];

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function randomBytes(random: () => number, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += String.fromCharCode(Math.floor(random() * 256));
  return text;
}

/** Whatever the mutation did, the line stays one line and announces no literal we do not send. */
function sanitise(line: string): string {
  const oneLine = line.replace(/[\r\n]/g, ' ');
  return oneLine.endsWith('}') ? `${oneLine}x` : oneLine;
}

function mutate(random: () => number, line: string): string {
  let text = line;
  const edits = 1 + Math.floor(random() * 4);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(random() * (text.length + 1));
    const choice = random();
    if (choice < 0.35) text = text.slice(0, at) + pick(random, SPECIALS) + text.slice(at);
    else if (choice < 0.6) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 5));
    else if (choice < 0.75) text = text.slice(0, at) + randomBytes(random, 1 + Math.floor(random() * 6)) + text.slice(at);
    else if (choice < 0.9) text = text.slice(0, at) + text.slice(Math.floor(random() * text.length), at) + text.slice(at);
    else text = text.slice(0, at) + text.slice(at).toLowerCase();
  }
  return text;
}

/** One unit of fuzz input: a line, optionally with literal data sent as LITERAL+ or after a `+`. */
interface Unit {
  readonly head: string;
  readonly literal?: { readonly data: string; readonly sync: boolean; readonly rest: string };
}

function nextUnit(random: () => number, index: number): Unit {
  const tag = random() < 0.9 ? `f${index}` : sanitise(randomBytes(random, 1 + Math.floor(random() * 4))).replace(/ /g, '');
  const choice = random();
  if (choice < 0.3) return { head: `${tag} ${pick(random, VALID)}` };
  if (choice < 0.7) return { head: sanitise(`${tag} ${mutate(random, pick(random, VALID))}`) };
  if (choice < 0.82) return { head: sanitise(randomBytes(random, Math.floor(random() * 200))) };
  if (choice < 0.84) return { head: sanitise(`${tag} NOOP ${'x'.repeat(70_000)}`) };
  // A literal: mostly small and LITERAL+; sometimes synchronising; rarely over the limit.
  const size = random() < 0.03 ? 70_000 : Math.floor(random() * 300);
  const sync = random() < 0.4;
  const command = pick(random, ['APPEND INBOX', 'APPEND INBOX (\\Seen)', 'SEARCH SUBJECT', 'STATUS', 'CREATE', 'LOGIN', 'FETCH 1', 'SELECT']);
  const data = random() < 0.5 ? message(`fuzz ${index}`).slice(0, size).padEnd(size, 'x') : randomBytes(random, size);
  const rest = random() < 0.5 ? '' : sanitise(` ${mutate(random, '(MESSAGES)')}`);
  return { head: `${tag} ${command} {${size}${sync ? '' : '+'}}`, literal: { data: data.slice(0, size), sync, rest } };
}

/** Reads one response line with the literals it announces folded in; undefined when closed. */
async function readResponse(client: RawImapClient): Promise<string | undefined> {
  let line = await client.readLine();
  if (line === undefined) return undefined;
  for (let match = /\{(\d+)\}$/.exec(line); match; match = /\{(\d+)\}$/.exec(line)) {
    const bytes = await client.readBytes(Number(match[1])).catch(() => undefined);
    if (!bytes) return undefined;
    const rest = await client.readLine();
    if (rest === undefined) return undefined;
    line += `<literal ${bytes.length}>${rest}`;
  }
  return line;
}

describe('imap fuzz', () => {
  let server: ImapTestServer;
  before(async () => {
    server = await startImapServer();
    await server.deliver(ALICE, message('one'));
    await server.deliver(ALICE, [
      'Subject: two', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary=x', '', '--x', 'Content-Type: text/plain', '', 'part', '--x', 'Content-Transfer-Encoding: base64', '', 'AAEC', '--x--', '',
    ].join('\r\n'));
  });
  after(async () => {
    await server?.stop();
  });

  it('2000 random and mutated command lines never crash the server and each gets an answer', { timeout: 120_000 }, async () => {
    const random = prng(SEED);
    let client: RawImapClient | undefined;
    let sentinel = 0;
    let reconnects = 0;
    /** Internal errors the session caught: not crashes, but bugs all the same. */
    const serverBugs: string[] = [];
    const open = async () => {
      client?.close();
      client = await loggedInClient(server.port, ALICE, PASSWORD);
      await client.command('SELECT INBOX');
      reconnects++;
    };
    await open();
    for (let index = 0; index < 2000; index++) {
      const unit = nextUnit(random, index);
      const where = `seed ${SEED}, unit ${index}: ${JSON.stringify(unit.head.slice(0, 120))}`;
      const c = client!;
      let answered = false;
      let closed = false;
      c.write(Buffer.from(`${unit.head}\r\n`, 'latin1'));
      if (unit.literal?.sync) {
        // Wait to be invited; a refusal answers the unit by itself.
        const first = await readResponse(c);
        if (first === undefined) closed = true;
        else if (first.startsWith('+')) c.write(Buffer.from(`${unit.literal.data}${unit.literal.rest}\r\n`, 'latin1'));
        else answered = true;
      } else if (unit.literal) {
        c.write(Buffer.from(`${unit.literal.data}${unit.literal.rest}\r\n`, 'latin1'));
      }
      // A NOOP with a tag of our own marks the end of the unit's answers (responses come in order).
      const sentinels = new Set<string>();
      let last = `S${++sentinel}`;
      sentinels.add(last);
      if (!closed) c.write(`${last} NOOP\r\n`);
      while (!closed) {
        const line = await readResponse(c);
        if (line === undefined) {
          closed = true;
          break;
        }
        const tag = line.split(' ', 1)[0]!;
        if (line.startsWith(`${last} `)) break;
        if (line.startsWith('+')) {
          // The unit was IDLE, AUTHENTICATE or a literal that ate the sentinel: send another.
          last = `S${++sentinel}`;
          sentinels.add(last);
          c.write(`${last} NOOP\r\n`);
          answered = true;
          continue;
        }
        if (line.includes('[SERVERBUG]')) serverBugs.push(`${where} -> ${line.slice(0, 200)}`);
        if (/^\* BYE /.test(line)) answered = true;
        if (!sentinels.has(tag) && / (OK|NO|BAD)( |$)/.test(line) && (tag !== '*' || /^\* BAD /.test(line))) answered = true;
      }
      if (closed) {
        // The server closes only after saying why (LOGOUT, an over-limit literal, too many errors).
        assert.ok(answered, `closed without a BYE after ${where}`);
        await open();
        continue;
      }
      assert.ok(answered, `no answer to ${where}`);
    }
    client?.close();
    assert.deepEqual(serverBugs, []);
    assert.ok(reconnects < 200, `too many reconnects: ${reconnects}`);
    // Still serving: a fresh client logs in and selects.
    const fresh = await loggedInClient(server.port, BOB, PASSWORD);
    try {
      assert.match((await fresh.command('SELECT INBOX')).tagged, /^t2 OK /);
      assert.match((await fresh.command('LOGOUT')).tagged, /^t3 OK /);
    } finally {
      fresh.close();
    }
    const alice = await loggedInClient(server.port, ALICE, PASSWORD);
    try {
      assert.match((await alice.command('SELECT INBOX')).tagged, /^t2 OK /);
      assert.match((await alice.command('FETCH 1:* (FLAGS)')).tagged, /^t3 OK /);
    } finally {
      alice.close();
    }
  });

  it('parseCommand() on random input only ever throws ParseError', () => {
    const random = prng(SEED ^ 0xabcdef);
    let parsed = 0;
    for (let i = 0; i < 20_000; i++) {
      const literalCount = random() < 0.7 ? 0 : 1 + Math.floor(random() * 3);
      const lines: Buffer[] = [];
      const literals: Buffer[] = [];
      const binary: boolean[] = [];
      for (let l = 0; l <= literalCount; l++) {
        const base = random() < 0.6 ? `t${i} ${mutate(random, pick(random, VALID))}` : randomBytes(random, Math.floor(random() * 80));
        // Lines before a literal end with its header, as the connection frames them (mostly).
        const header = l < literalCount && random() < 0.9 ? `${random() < 0.2 ? '~' : ''}{${Math.floor(random() * 20)}${random() < 0.5 ? '+' : ''}}` : '';
        lines.push(Buffer.from(`${l === 0 ? base : base.slice(0, 20)}${header ? ` ${header}` : ''}`, 'latin1'));
        if (l < literalCount) {
          literals.push(Buffer.from(randomBytes(random, Math.floor(random() * 20)), 'latin1'));
          binary.push(header.startsWith('~'));
        }
      }
      try {
        const command = parseCommand({ lines, literals, binary });
        assert.equal(typeof command.tag, 'string');
        assert.equal(typeof command.name, 'string');
        parsed++;
      } catch (err) {
        assert.ok(err instanceof ParseError, `seed ${SEED}, case ${i}: ${(err as Error)?.stack}\n${JSON.stringify(lines.map(String))}`);
      }
    }
    // The run must exercise both paths, or it tests nothing.
    assert.ok(parsed > 1000, `only ${parsed} inputs parsed`);
  });
});
