import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Resolver } from '@posthorn/contracts';
import { createResolver } from '@posthorn/core';
import { fixture, reverseName, SmtpClient, startDnsServer, startTestServer, tempDir, type TestDnsServer, type TestServer } from '@posthorn/testkit';
import { queued } from '@posthorn/testkit/fixtures/memory-queue.ts';
import { command, message, next, queueIdOf } from './helpers/replies.ts';

describe('DNS goes through the resolver service', () => {
  let dns: TestDnsServer;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: TestServer;

  before(async () => {
    dns = await startDnsServer({
      [reverseName('192.0.2.10')]: { PTR: ['ptr.example.org'] },
      'example.org': { MX: [{ exchange: 'mx1.example.org', priority: 10 }], TXT: ['v=spf1 -all', ['part one', 'part two']], A: ['192.0.2.10'] },
      'broken.example.org': { rcode: 'SERVFAIL' },
    });
    dir = await tempDir();
    server = await startTestServer(
      {
        dns: { servers: [dns.server], timeout: 1000, tries: 1 },
        listeners: [{ role: 'mx', reverseLookup: true }],
        plugins: [fixture('memory-queue')],
      },
      { dir: dir.path },
    );
  });
  after(async () => {
    await server.stop();
    await dir.remove();
    await dns.close();
  });

  it('the configured servers answer lookups made through app.services.get(Resolver)', async () => {
    const resolver = server.app.services.get(Resolver);
    assert.ok(resolver);
    assert.deepEqual(await resolver.reverse('192.0.2.10'), ['ptr.example.org']);
    assert.deepEqual(await resolver.resolveMx('example.org'), [{ exchange: 'mx1.example.org', priority: 10 }]);
    const txt = await resolver.resolveTxt('example.org');
    assert.deepEqual(txt.map((r) => r.join('')).sort(), ['part onepart two', 'v=spf1 -all']);
    assert.deepEqual(await resolver.resolve4('example.org'), ['192.0.2.10']);
    assert.ok(dns.queries.includes(`PTR ${reverseName('192.0.2.10')}`), dns.queries.join());
    assert.ok(dns.queries.includes('MX example.org'), dns.queries.join());
    assert.ok(dns.queries.includes('TXT example.org'), dns.queries.join());
  });

  it('reports a missing name and a server failure with node:dns error codes', async () => {
    const resolver = server.app.services.get(Resolver)!;
    await assert.rejects(resolver.resolveMx('nowhere.example.org'), (err: NodeJS.ErrnoException) => err.code === 'ENOTFOUND');
    await assert.rejects(resolver.resolveMx('broken.example.org'), (err: NodeJS.ErrnoException) => err.code === 'ESERVFAIL');
  });

  it('a connection from loopback makes no DNS query, even with reverse lookup on', async () => {
    const before = dns.queries.length;
    const client = await SmtpClient.open(server.port());
    await command(client, 'EHLO client.test', 250, '');
    await command(client, 'MAIL FROM:<a@example.org>', 250, '2.1.0');
    await command(client, 'RCPT TO:<bob@localhost>', 250, '2.1.5');
    await command(client, 'DATA', 354, '');
    client.write(`${message('loopback')}.\r\n`);
    const id = queueIdOf(await next(client, 250, '2.0.0'));
    client.close();
    assert.deepEqual(dns.queries.slice(before), []);
    const stored = queued.find((q) => q.envelope.id === id)!;
    assert.equal(stored.envelope.origin.remoteHostname, 'localhost');
    assert.match(stored.message.toString('latin1'), /^Received: from client\.test \(localhost \[127\.0\.0\.1\]\)/);
  });
});

describe('createResolver', () => {
  let dns: TestDnsServer;
  before(async () => {
    dns = await startDnsServer({ 'mail.test': { MX: [{ exchange: 'in.mail.test', priority: 5 }], TXT: ['hello'] }, [reverseName('198.51.100.1')]: { PTR: ['host.mail.test'] } });
  });
  after(() => dns.close());

  it('sends PTR, MX and TXT queries to the servers it is given', async () => {
    const resolver = createResolver({ servers: [dns.server], timeout: 1000, tries: 1 });
    assert.deepEqual(await resolver.reverse('198.51.100.1'), ['host.mail.test']);
    assert.deepEqual(await resolver.resolveMx('mail.test'), [{ exchange: 'in.mail.test', priority: 5 }]);
    assert.deepEqual(await resolver.resolveTxt('mail.test'), [['hello']]);
    // The generic lookup hands on what node:dns gives (later Node 24 releases add a `type`).
    const generic = (await resolver.resolve('mail.test', 'MX')) as { exchange: string; priority: number }[];
    assert.deepEqual(generic.map(({ exchange, priority }) => ({ exchange, priority })), [{ exchange: 'in.mail.test', priority: 5 }]);
    assert.deepEqual(dns.queries.slice(0, 3), [`PTR ${reverseName('198.51.100.1')}`, 'MX mail.test', 'TXT mail.test']);
  });

  it('asks the servers for PTR even where /etc/hosts knows the address, and handles IPv6', async () => {
    // c-ares' own reverse lookup reads /etc/hosts first; the service must ask the servers.
    dns.zone[reverseName('127.0.0.1')] = { PTR: ['from-dns.test'] };
    dns.zone['1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa'] = { PTR: ['six.test'] };
    const resolver = createResolver({ servers: [dns.server], timeout: 1000, tries: 1 });
    assert.deepEqual(await resolver.reverse('127.0.0.1'), ['from-dns.test']);
    assert.deepEqual(await resolver.reverse('2001:db8::1'), ['six.test']);
  });

  it('is frozen, so a plugin cannot swap a lookup for everybody', () => {
    const resolver = createResolver({ servers: [dns.server], timeout: 1000, tries: 1 });
    assert.ok(Object.isFrozen(resolver));
  });
});
