import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Envelope } from '@posthorn/contracts';
import { encodeXtext } from '../src/client.ts';
import { Coalescer } from '../src/coalesce.ts';
import { contentNeeds } from '../src/content.ts';
import { orderMx } from '../src/mx.ts';
import { deriveEnhanced, parseRemoteReply, remoteVerdictReply } from '../src/replies.ts';
import { destinationOf, domainOf, routeTable } from '../src/routing.ts';
import { Semaphore } from '../src/semaphore.ts';

/** A fixed sequence of "random" numbers, for deterministic shuffles. */
function sequence(values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

describe('orderMx', () => {
  const records = [
    { exchange: 'c.test', priority: 20 },
    { exchange: 'a.test', priority: 10 },
    { exchange: 'b.test', priority: 10 },
    { exchange: 'A.test.', priority: 30 },
  ];

  it('orders by preference, drops duplicates and the trailing dot', () => {
    for (const random of [sequence([0]), sequence([0.99]), sequence([0.5, 0.1, 0.9])]) {
      const order = orderMx(records, random);
      assert.deepEqual(order.slice(2), ['c.test']);
      assert.deepEqual([...order.slice(0, 2)].sort(), ['a.test', 'b.test']);
    }
  });

  it('puts hosts of equal preference in random order', () => {
    const firsts = new Set<string>();
    for (const value of [0, 0.2, 0.4, 0.6, 0.8, 0.99]) firsts.add(orderMx(records, sequence([value]))[0]!);
    assert.deepEqual([...firsts].sort(), ['a.test', 'b.test']);
  });

  it('ignores a null MX among real ones', () => {
    assert.deepEqual(orderMx([{ exchange: '', priority: 0 }, { exchange: 'mx.test', priority: 10 }]), ['mx.test']);
  });
});

describe('remote replies', () => {
  it('parses code, enhanced code and every line', () => {
    assert.deepEqual(parseRemoteReply('550-5.1.1 first line\n550 5.1.1 second line'), { code: 550, enhanced: '5.1.1', lines: ['first line', 'second line'] });
    assert.deepEqual(parseRemoteReply('250 OK'), { code: 250, enhanced: undefined, lines: ['OK'] });
    assert.equal(parseRemoteReply('garbage'), undefined);
  });

  it('does not trust an enhanced code of the wrong class', () => {
    assert.equal(parseRemoteReply('550 4.2.2 mailbox full')?.enhanced, undefined);
  });

  it('derives only what the code says for certain; never 5.1.1', () => {
    assert.equal(deriveEnhanced(550, 'RCPT'), '5.0.0');
    assert.equal(deriveEnhanced(553, 'RCPT'), '5.0.0');
    assert.equal(deriveEnhanced(450, 'RCPT'), '4.0.0');
    assert.equal(deriveEnhanced(552, 'DATA'), '5.3.4');
    assert.equal(deriveEnhanced(421, 'connect'), '4.3.2');
  });

  it('names the host in the reply text and keeps the remote codes', () => {
    const reply = remoteVerdictReply(parseRemoteReply('550 5.7.1 Relay\x07 denied')!, 'RCPT', 'mx.test [192.0.2.1]');
    assert.equal(reply.code, 550);
    assert.equal(reply.enhanced, '5.7.1');
    assert.deepEqual(reply.lines, ['mx.test [192.0.2.1] said: 550 5.7.1 Relay  denied']);
  });

  it('reads 552 to RCPT as 452', () => {
    const reply = remoteVerdictReply(parseRemoteReply('552 5.5.3 too many recipients')!, 'RCPT', 'mx.test [192.0.2.1]');
    assert.equal(reply.code, 452);
    assert.equal(reply.enhanced, '4.5.3');
    const data = remoteVerdictReply(parseRemoteReply('552 message too big')!, 'DATA', 'mx.test [192.0.2.1]');
    assert.equal(data.code, 552);
    assert.equal(data.enhanced, '5.3.4');
  });
});

describe('xtext', () => {
  it('encodes +, = and anything outside printable ASCII', () => {
    assert.equal(encodeXtext('rfc822;a+b=c@x.test'), 'rfc822;a+2Bb+3Dc@x.test');
    assert.equal(encodeXtext('sp ace\u00e9'), 'sp+20ace+C3+A9');
  });
});

describe('routing', () => {
  const routes = routeTable({
    'Example.test': { host: 'a', tls: 'none' },
    '.corp.test': { host: 'b', tls: 'none' },
    '*': { host: 'c', tls: 'none' },
  });

  it('prefers the exact domain, then a parent domain entry, then *', () => {
    assert.equal(destinationOf('example.test', routes).key, 'route Example.test');
    assert.equal(destinationOf('eu.corp.test', routes).key, 'route .corp.test');
    assert.equal(destinationOf('corp.test', routes).key, 'route *');
    assert.equal(destinationOf('other.test', routeTable({})).key, 'mx other.test');
    assert.equal(destinationOf('[192.0.2.1]', routeTable({})).key, 'literal 192.0.2.1');
    assert.equal(destinationOf('[ipv6:2001:db8::1]', routeTable({})).key, 'literal 2001:db8::1');
  });

  it('takes the domain in lower case, as an A-label', () => {
    assert.equal(domainOf('Bob@Example.TEST'), 'example.test');
    assert.equal(domainOf('bob@b\u00fccher.test'), 'xn--bcher-kva.test');
    assert.equal(domainOf('postmaster'), undefined);
  });
});

describe('contentNeeds', () => {
  const envelope = (from: string, params: Record<string, string> = {}): Envelope => ({
    id: 'x',
    mailFrom: from,
    mailFromParams: params,
    recipients: [],
    receivedAt: new Date().toISOString(),
    origin: { listener: 'mx', role: 'mx', remoteAddress: '127.0.0.1', tls: false },
    notes: {},
  });

  it('sees 8-bit data, non-ASCII addresses and a requested SMTPUTF8', () => {
    assert.deepEqual(contentNeeds(envelope('a@x.test'), ['b@y.test'], Buffer.from('plain\r\n')), { eightBit: false, utf8Addresses: false, utf8Requested: false });
    assert.equal(contentNeeds(envelope('a@x.test'), ['b@y.test'], Buffer.from('caf\u00e9\r\n')).eightBit, true);
    assert.equal(contentNeeds(envelope('a@x.test'), ['j\u00f6rg@y.test'], Buffer.from('x')).utf8Addresses, true);
    assert.equal(contentNeeds(envelope('a@x.test', { SMTPUTF8: '' }), ['b@y.test'], Buffer.from('x')).utf8Requested, true);
  });
});

describe('Coalescer', () => {
  it('gathers calls of one turn per key, and gives each caller its own result', async () => {
    const batches: string[][] = [];
    const coalescer = new Coalescer<string, string>(async (key, items) => {
      batches.push([key, ...items]);
      return items.map((item) => `${item}!`);
    });
    const results = await Promise.all([coalescer.add('m1', 'a'), coalescer.add('m2', 'x'), coalescer.add('m1', 'b')]);
    assert.deepEqual(results, ['a!', 'x!', 'b!']);
    assert.deepEqual(batches, [['m1', 'a', 'b'], ['m2', 'x']]);
    // A later turn makes a new batch.
    assert.equal(await coalescer.add('m1', 'c'), 'c!');
    assert.deepEqual(batches.at(-1), ['m1', 'c']);
  });

  it('rejects every caller of a failed batch', async () => {
    const coalescer = new Coalescer<string, string>(async () => {
      throw new Error('boom');
    });
    const results = await Promise.allSettled([coalescer.add('k', 'a'), coalescer.add('k', 'b')]);
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
  });
});

describe('Semaphore', () => {
  it('hands permits to waiters first come, first served', async () => {
    const semaphore = new Semaphore(1);
    await semaphore.acquire();
    const order: number[] = [];
    const first = semaphore.acquire().then(() => order.push(1));
    const second = semaphore.acquire().then(() => order.push(2));
    assert.equal(semaphore.waiting, 2);
    semaphore.release();
    await first;
    semaphore.release();
    await second;
    assert.deepEqual(order, [1, 2]);
    semaphore.release();
    assert.equal(semaphore.idle, true);
  });
});
