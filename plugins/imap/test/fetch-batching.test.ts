import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MessageMeta } from '@posthorn/contracts';
import { flagListText, internalDateText, metaItemText } from '../src/message/fetch-meta.ts';
import type { FetchItem } from '../src/message/fetch-items.ts';
import { formatInternalDate } from '../src/message/fetch-values.ts';
import { atom, type ImapValue } from '../src/protocol/values.ts';
import { ResponseBuilder } from '../src/protocol/writer.ts';
import { untaggedLines } from './client.ts';
import { message, transcriptServer } from './helpers.ts';

/**
 * FETCH writes many responses through one ResponseBuilder per write batch and formats the
 * metadata items (FLAGS, UID, MODSEQ, RFC822.SIZE, INTERNALDATE) straight to text; both must
 * give the bytes the per-response, per-value writer gives.
 */

/** What the writer makes of one value. */
function written(value: ImapValue): string {
  return Buffer.concat(new ResponseBuilder().value(value).take()).toString('utf8');
}

/** Responses with text, quoted strings, strings that must be literals, literals and literal8s. */
const RESPONSES: readonly { readonly prefix: string; readonly values: readonly ImapValue[] }[] = [
  { prefix: '* 1 FETCH ', values: [atom('UID'), 1, atom('BODY[]'), Buffer.from('Subject: a\r\n\r\nhello\r\n'), atom('FLAGS'), [atom('\\Seen')]] },
  { prefix: '* 2 FETCH ', values: [atom('FLAGS'), [], atom('MODSEQ'), [12345678901234]] },
  { prefix: '* 3 FETCH ', values: [atom('BINARY[2]'), { literal8: Buffer.from([0, 1, 2, 3]) }, atom('ENVELOPE'), ['say "hi"', null, 'two\r\nlines', 'ünïcödé', 'back\\slash']] },
  { prefix: '* 4 FETCH ', values: [atom('BODY[TEXT]<100>'), Buffer.alloc(0), atom('BODYSTRUCTURE'), [['TEXT', 'PLAIN', null], ['APPLICATION', 'OCTET-STREAM', null], 'MIXED']] },
  { prefix: '* 5 FETCH ', values: [atom('UID'), 5, atom('RFC822.SIZE'), 2048] },
];

describe('ResponseBuilder: many responses in one builder', () => {
  it('gives the bytes of one builder per response, in fewer buffers', () => {
    const separate = RESPONSES.map(({ prefix, values }) => new ResponseBuilder().text(prefix).list(values).finish());
    const batch = new ResponseBuilder();
    for (const { prefix, values } of RESPONSES) batch.text(prefix).list(values).end();
    const chunks = batch.take();
    assert.equal(Buffer.concat(chunks).toString('latin1'), Buffer.concat(separate.flat()).toString('latin1'));
    assert.ok(chunks.length < separate.flat().length, `${chunks.length} buffers for the batch, ${separate.flat().length} separately`);
  });

  it('takes a batch at a time and starts over empty', () => {
    const whole = Buffer.concat(RESPONSES.flatMap(({ prefix, values }) => new ResponseBuilder().text(prefix).list(values).finish()));
    const builder = new ResponseBuilder();
    const taken: Buffer[] = [];
    for (const [i, { prefix, values }] of RESPONSES.entries()) {
      builder.text(prefix).list(values).end();
      if (i === 1 || i === 3) taken.push(...builder.take());
    }
    taken.push(...builder.take());
    assert.deepEqual(Buffer.concat(taken), whole);
    assert.equal(builder.size, 0);
    assert.deepEqual(builder.take(), []);
  });

  it('counts text and literal bytes in size', () => {
    const builder = new ResponseBuilder().text('* 1 FETCH (BODY[] ').value(Buffer.alloc(1000)).text(')').end();
    const expected = '* 1 FETCH (BODY[] {1000}\r\n'.length + 1000 + ')\r\n'.length;
    assert.equal(builder.size, expected);
    assert.equal(Buffer.concat(builder.take()).length, expected);
  });
});

describe('FETCH metadata as text', () => {
  const meta = (overrides: Partial<MessageMeta> = {}): MessageMeta => ({
    uid: 4242,
    id: 'id',
    flags: [],
    modseq: 9_007_199_254_740_991,
    internalDate: new Date(Date.UTC(2026, 10, 28, 9, 5, 7)),
    size: 123456,
    ...overrides,
  });

  it('FLAGS is the list of atoms the writer writes', () => {
    for (const flags of [[], ['\\Seen'], ['\\Seen', '\\Flagged'], ['\\Answered', '\\Seen', '$Label1', 'NonJunk', 'x'.repeat(255)]]) {
      assert.equal(flagListText(flags), written(flags.map(atom)));
    }
  });

  it('UID, RFC822.SIZE, MODSEQ and INTERNALDATE are the values the writer writes', () => {
    const m = meta();
    const items: readonly [FetchItem, ImapValue][] = [
      [{ kind: 'UID' }, m.uid],
      [{ kind: 'RFC822.SIZE' }, m.size],
      [{ kind: 'MODSEQ' }, [m.modseq]],
      [{ kind: 'INTERNALDATE' }, formatInternalDate(m.internalDate)],
    ];
    for (const [item, value] of items) assert.equal(metaItemText(item, m), written(value), item.kind);
  });

  it('leaves FLAGS and the message-derived items to others', () => {
    for (const kind of ['FLAGS', 'ENVELOPE', 'BODYSTRUCTURE', 'RFC822'] as const) assert.equal(metaItemText({ kind }, meta()), undefined, kind);
  });

  it('INTERNALDATE is formatInternalDate quoted, for any date and in any order', () => {
    const DAY = 86_400_000;
    const dates = [
      new Date(Number.NaN),
      new Date(0),
      new Date(-1),
      new Date(Date.UTC(2024, 1, 29, 23, 59, 59, 999)),
      new Date(Date.UTC(2024, 2, 1, 0, 0, 0, 0)),
      new Date(Date.UTC(999, 0, 1, 12, 0, 0)),
      new Date(Date.UTC(12345, 11, 31, 1, 2, 3)),
      new Date(-8.64e15),
      new Date(8.64e15),
    ];
    // Runs on the same day, then jumps back and forth across days and years.
    let seed = 7;
    const next = () => (seed = (seed * 48271) % 2147483647);
    for (let i = 0; i < 2000; i++) {
      const base = i % 3 === 0 ? next() * 1000 - 1e12 : dates.at(-1)!.getTime() + (next() % 3600) * 1000 + (next() % 1000);
      dates.push(new Date(i % 50 === 0 ? base - 400 * DAY : base));
    }
    for (const date of dates) assert.equal(internalDateText(date), `"${formatInternalDate(date)}"`, String(date.getTime()));
  });
});

describe('FETCH over several write batches', () => {
  const server = transcriptServer('batch', 4);

  /** INBOX selected by `user`, after another session took the messages' \Recent. */
  async function selected(user: string) {
    const first = await server.login(user);
    await first.command('SELECT INBOX');
    await first.command('LOGOUT');
    const client = await server.login(user);
    assert.match((await client.command('SELECT INBOX')).tagged, / OK /);
    return client;
  }

  // A response out of order leaves the client waiting for a literal that never ends: fail, not hang.
  it('metadata responses of more than one batch come out whole and in order', { timeout: 30_000 }, async () => {
    const user = server.freshUser();
    const count = 40;
    for (let i = 1; i <= count; i++) await server.deliver(user, message(`m${i}`));
    const client = await selected(user);
    // Long keywords make each response about 2.5 KB, so 40 of them span two 64 KB batches.
    const keywords = Array.from({ length: 25 }, (_, i) => `kw${i}-${'k'.repeat(90)}`);
    assert.match((await client.command(`STORE 1:${count} +FLAGS.SILENT (\\Flagged ${keywords.join(' ')})`)).tagged, / OK /);
    const reply = await client.command(`FETCH 1:${count} (UID FLAGS RFC822.SIZE)`);
    const metas = await server.store.listMessages({ user, mailbox: 'INBOX' });
    assert.equal(metas.length, count);
    const expected = metas.map((meta, i) => `* ${i + 1} FETCH (UID ${meta.uid} FLAGS (${meta.flags.join(' ')}) RFC822.SIZE ${meta.size})`);
    assert.ok(expected.join('\r\n').length > 64 * 1024);
    assert.deepEqual(untaggedLines(reply), expected);
    assert.match(reply.tagged, / OK FETCH completed$/);
  });

  it('body literals of more than one batch keep their place, with the FLAGS that \\Seen adds', { timeout: 30_000 }, async () => {
    const user = server.freshUser();
    const bodies = [30_000, 10, 45_000, 70_000, 0, 5].map((size, i) => message(`b${i}`, `${String.fromCharCode(97 + i).repeat(size)}\r\n`));
    for (const body of bodies) await server.deliver(user, body);
    const client = await selected(user);
    assert.match((await client.command('STORE 2 +FLAGS.SILENT (\\Seen)')).tagged, / OK /);
    const reply = await client.command(`FETCH 1:${bodies.length} (UID BODY[])`);
    const expected = bodies.map((body, i) => `* ${i + 1} FETCH (UID ${i + 1} BODY[] {${body.length}}\r\n${body} FLAGS (\\Seen))`);
    // Message 2 was \Seen already: reading it changes nothing, so FLAGS is not added.
    expected[1] = `* 2 FETCH (UID 2 BODY[] {${bodies[1]!.length}}\r\n${bodies[1]})`;
    assert.deepEqual(untaggedLines(reply), expected);
  });
});
