import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { captureLogs, type SmtpSink, startDnsServer, startSmtpSink, tempDir, type TestDnsServer, type TestServer } from '@posthorn/testkit';
import { finalNotice } from './fixtures/probe.ts';
import { messageText, send, startOutboundServer } from './helpers.ts';

function zoneFor(domains: string[]): Record<string, { MX?: { exchange: string; priority: number }[]; A?: string[] }> {
  const zone: Record<string, { MX?: { exchange: string; priority: number }[]; A?: string[] }> = { 'mx.shared.test': { A: ['127.0.0.1'] } };
  for (const domain of domains) zone[domain] = { MX: [{ exchange: 'mx.shared.test', priority: 10 }] };
  return zone;
}

describe('outbound: one transaction per message and destination, connection reuse', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let dns: TestDnsServer;
  let sink: SmtpSink;
  let server: TestServer;

  before(async () => {
    dir = await tempDir();
    sink = await startSmtpSink({ hostname: 'mx.shared.test' });
    dns = await startDnsServer(zoneFor(['example.test', 'other.test']));
    server = await startOutboundServer(dir.path, dns.server, { port: sink.port, idleTimeout: 30, maxMessagesPerConnection: 3 });
  });
  after(async () => {
    await server.stop();
    await Promise.all([sink.close(), dns.close()]);
    await dir.remove();
  });

  it('sends a message to three recipients of one domain as one transaction with three RCPTs', async () => {
    const before = sink.transactions.length;
    const to = ['a@example.test', 'b@example.test', 'c@example.test'];
    const id = await send(server.port(), messageText('three'), { from: 'alice@local.test', to });
    for (const rcpt of to) assert.equal((await finalNotice(id, rcpt)).kind, 'delivered');
    const sent = sink.transactions.slice(before);
    assert.equal(sent.length, 1, 'one transaction');
    assert.deepEqual(sent[0]!.recipients.map((r) => r.address), to);
  });

  it('sends one transaction per destination domain when a message goes to two domains', async () => {
    const before = sink.transactions.length;
    const to = ['a@example.test', 'x@other.test', 'b@example.test', 'y@other.test'];
    const id = await send(server.port(), messageText('two-domains'), { from: 'alice@local.test', to });
    for (const rcpt of to) assert.equal((await finalNotice(id, rcpt)).kind, 'delivered');
    const sent = sink.transactions.slice(before).map((t) => t.recipients.map((r) => r.address).sort());
    assert.deepEqual(sent.sort(), [['a@example.test', 'b@example.test'], ['x@other.test', 'y@other.test']]);
  });
});

describe('outbound: connection reuse', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let dns: TestDnsServer;
  let sink: SmtpSink;
  let server: TestServer;

  before(async () => {
    dir = await tempDir();
    sink = await startSmtpSink({ hostname: 'mx.shared.test' });
    dns = await startDnsServer(zoneFor(['example.test', 'other.test']));
    server = await startOutboundServer(dir.path, dns.server, { port: sink.port, idleTimeout: 30, maxMessagesPerConnection: 3 });
  });
  after(async () => {
    await server.stop();
    await Promise.all([sink.close(), dns.close()]);
    await dir.remove();
  });

  it('carries messages in a row over one connection (RSET between), a new one after maxMessagesPerConnection', async () => {
    const to = ['r0@example.test', 'r1@other.test', 'r2@example.test', 'r3@example.test'];
    for (const [i, rcpt] of to.entries()) {
      const id = await send(server.port(), messageText(`row-${i}`), { from: 'alice@local.test', to: [rcpt] });
      assert.equal((await finalNotice(id, rcpt)).kind, 'delivered');
    }
    assert.deepEqual(
      sink.transactions.map((t) => t.connection),
      [1, 1, 1, 2],
      'three transactions on the first connection (two domains sharing an MX), the fourth on a new one',
    );
    assert.equal(sink.connections.total, 2);
  });
});

describe('outbound: concurrency limit per destination', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let dns: TestDnsServer;
  let sink: SmtpSink;
  let server: TestServer;
  const logs = captureLogs('debug');
  let release: () => void = () => undefined;

  before(async () => {
    dir = await tempDir();
    sink = await startSmtpSink({ hostname: 'mx.shared.test' });
    dns = await startDnsServer(zoneFor(['busy.test']));
    server = await startOutboundServer(dir.path, dns.server, { port: sink.port, maxConnectionsPerDomain: 2 }, { logger: logs.logger });
  });
  afterEach(() => release());
  after(async () => {
    await server.stop();
    await Promise.all([sink.close(), dns.close()]);
    await dir.remove();
  });

  it('never has more than maxConnectionsPerDomain connections in use, and delivers everything', async () => {
    let held = 0;
    let twoHeld!: () => void;
    const bothHeld = new Promise<void>((resolveHeld) => (twoHeld = resolveHeld));
    const gate = new Promise<void>((open) => (release = open));
    sink.behaviour.onData = async () => {
      if (++held === 2) twoHeld();
      await gate;
      return undefined;
    };
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await send(server.port(), messageText(`busy-${i}`), { from: 'alice@local.test', to: [`u${i}@busy.test`] }));
    // Two deliveries sit in DATA at the sink; the other four wait for a slot (they say so).
    await bothHeld;
    const deadline = Date.now() + 10_000;
    while (logs.find('waiting for a connection slot for the destination').length < 4) {
      if (Date.now() > deadline) throw new Error('the other deliveries did not wait for a slot');
      await new Promise((resume) => setTimeout(resume, 10));
    }
    assert.equal(sink.connections.open, 2);
    release();
    for (const [i, id] of ids.entries()) assert.equal((await finalNotice(id, `u${i}@busy.test`)).kind, 'delivered');
    assert.equal(sink.messages.length, 6);
    assert.ok(sink.connections.maxOpen <= 2, `at most 2 connections at once, saw ${sink.connections.maxOpen}`);
  });
});

describe('outbound: overall connection limit', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let dns: TestDnsServer;
  let sink: SmtpSink;
  let server: TestServer;
  const logs = captureLogs('debug');
  let release: () => void = () => undefined;

  before(async () => {
    dir = await tempDir();
    sink = await startSmtpSink({ hostname: 'mx.shared.test' });
    dns = await startDnsServer(zoneFor(['one.test', 'two.test', 'three.test']));
    server = await startOutboundServer(dir.path, dns.server, { port: sink.port, maxConnections: 1, idleTimeout: 30 }, { logger: logs.logger });
  });
  afterEach(() => release());
  after(async () => {
    await server.stop();
    await Promise.all([sink.close(), dns.close()]);
    await dir.remove();
  });

  it('opens at most maxConnections connections over all destinations, and hands a busy slot on', async () => {
    let firstHeld!: () => void;
    const held = new Promise<void>((resolveHeld) => (firstHeld = resolveHeld));
    const gate = new Promise<void>((open) => (release = open));
    sink.behaviour.onData = async (tx) => {
      if (tx.recipients.some((r) => r.address === 'a@one.test')) {
        firstHeld();
        await gate;
      }
      return undefined;
    };
    const first = await send(server.port(), messageText('one'), { from: 'alice@local.test', to: ['a@one.test'] });
    await held;
    const second = await send(server.port(), messageText('two'), { from: 'alice@local.test', to: ['b@two.test'] });
    const third = await send(server.port(), messageText('three'), { from: 'alice@local.test', to: ['c@three.test'] });
    const deadline = Date.now() + 10_000;
    while (logs.find('waiting for a free connection (maxConnections)').length < 2) {
      if (Date.now() > deadline) throw new Error('the other deliveries did not wait for a connection');
      await new Promise((resume) => setTimeout(resume, 10));
    }
    assert.equal(sink.connections.total, 1, 'no second connection while the first is busy');
    release();
    assert.equal((await finalNotice(first, 'a@one.test')).kind, 'delivered');
    assert.equal((await finalNotice(second, 'b@two.test')).kind, 'delivered');
    assert.equal((await finalNotice(third, 'c@three.test')).kind, 'delivered');
    // (Not maxOpen: the sink may see the next connection before it sees the last one close.)
  });
});
