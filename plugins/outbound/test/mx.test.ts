import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type SmtpSink, startDnsServer, startSmtpSink, tempDir, type TestDnsServer, type TestServer } from '@posthorn/testkit';
import { finalNotice, queuedBytes, waitForNotice } from './fixtures/probe.ts';
import { messageText, send, startOutboundServer } from './helpers.ts';

/**
 * Routing by DNS: MX preference, dead hosts skipped, implicit MX, null MX, NXDOMAIN and
 * SERVFAIL. Every mail host listens on the same port (the `port` option), on different
 * loopback addresses: the primary sink on 127.0.0.1, the backup on 127.0.0.2.
 */
describe('outbound: delivery through MX records', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let dns: TestDnsServer;
  let primary: SmtpSink;
  let backup: SmtpSink;
  let server: TestServer;

  before(async () => {
    dir = await tempDir();
    primary = await startSmtpSink({ hostname: 'mx1.example.test', starttls: true });
    backup = await startSmtpSink({ host: '127.0.0.2', port: primary.port, hostname: 'mx2.example.test' });
    dns = await startDnsServer({
      'example.test': { MX: [{ exchange: 'mx2.example.test', priority: 20 }, { exchange: 'mx1.example.test', priority: 10 }] },
      'mx1.example.test': { A: ['127.0.0.1'] },
      'mx2.example.test': { A: ['127.0.0.2'] },
      // Primary MX on an address where nothing listens: it must be skipped.
      'deadfirst.test': { MX: [{ exchange: 'dead.deadfirst.test', priority: 5 }, { exchange: 'mx2.example.test', priority: 50 }] },
      'dead.deadfirst.test': { A: ['127.0.0.3'] },
      // MX host without any address record, then a working one.
      'noaddr.test': { MX: [{ exchange: 'ghost.noaddr.test', priority: 1 }, { exchange: 'mx2.example.test', priority: 2 }] },
      'implicit.test': { A: ['127.0.0.1'] },
      'nullmx.test': { MX: [{ exchange: '.', priority: 0 }], A: ['127.0.0.1'] },
      'broken.test': { rcode: 'SERVFAIL' },
      'nomail.test': { TXT: ['v=spf1 -all'] },
    });
    server = await startOutboundServer(dir.path, dns.server, { port: primary.port });
  });
  after(async () => {
    await server.stop();
    await Promise.all([primary.close(), backup.close(), dns.close()]);
    await dir.remove();
  });

  it('delivers to the most preferred MX, byte for byte, over STARTTLS with SNI', async () => {
    const next = primary.nextMessage();
    const id = await send(server.port(), messageText('first', 'line one\r\n.leading dot\r\nlast'), { from: 'alice@local.test', to: ['bob@example.test'] });
    const got = await next;
    assert.deepEqual(got.message, queuedBytes.get(id));
    assert.equal(got.mailFrom.address, 'alice@local.test');
    assert.deepEqual(got.recipients.map((r) => r.address), ['bob@example.test']);
    assert.equal(got.tls, true, 'STARTTLS offered, so used');
    assert.equal(got.servername, 'mx1.example.test', 'SNI names the MX host');
    assert.equal(got.helo, 'mx.test', 'EHLO with the server hostname');
    assert.equal(backup.messages.length, 0);
    const notice = await finalNotice(id, 'bob@example.test');
    assert.equal(notice.kind, 'delivered');
    assert.equal(notice.by, 'outbound');
    assert.match(notice.text, /^mx1\.example\.test \[127\.0\.0\.1\] said: 250 2\.0\.0 Ok: queued as sink-\d+$/);
  });

  it('delivers in plain text to a host that does not offer STARTTLS', async () => {
    const next = backup.nextMessage();
    const id = await send(server.port(), messageText('plain'), { from: 'alice@local.test', to: ['carol@deadfirst.test'] });
    const got = await next;
    assert.equal(got.tls, false);
    assert.deepEqual(got.message, queuedBytes.get(id));
    assert.equal((await finalNotice(id, 'carol@deadfirst.test')).kind, 'delivered');
  });

  it('skips a dead first MX and an MX host without addresses', async () => {
    const before = backup.messages.length;
    const id = await send(server.port(), messageText('ghost'), { from: 'alice@local.test', to: ['dave@noaddr.test'] });
    const notice = await finalNotice(id, 'dave@noaddr.test');
    assert.equal(notice.kind, 'delivered');
    assert.match(notice.text, /^mx2\.example\.test \[127\.0\.0\.2\] said: 250 /);
    assert.equal(backup.messages.length, before + 1);
  });

  it('uses the domain itself when it has no MX (implicit MX)', async () => {
    const next = primary.nextMessage();
    const id = await send(server.port(), messageText('implicit'), { from: 'alice@local.test', to: ['erin@implicit.test'] });
    assert.deepEqual((await next).recipients.map((r) => r.address), ['erin@implicit.test']);
    const notice = await finalNotice(id, 'erin@implicit.test');
    assert.match(notice.text, /^implicit\.test \[127\.0\.0\.1\] said: 250 /);
  });

  it('bounces a null MX domain at once with 556 5.1.10, without connecting', async () => {
    const connections = primary.connections.total + backup.connections.total;
    const id = await send(server.port(), messageText('nullmx'), { from: 'alice@local.test', to: ['frank@nullmx.test'] });
    const notice = await finalNotice(id, 'frank@nullmx.test');
    assert.equal(notice.kind, 'bounced');
    assert.equal(notice.reason, 'failed');
    assert.equal(notice.code, 556);
    assert.equal(notice.enhanced, '5.1.10');
    assert.equal(primary.connections.total + backup.connections.total, connections);
  });

  it('bounces a domain that does not exist with 550 5.1.2', async () => {
    const id = await send(server.port(), messageText('nxdomain'), { from: 'alice@local.test', to: ['gina@nowhere.test'] });
    const notice = await finalNotice(id, 'gina@nowhere.test');
    assert.equal(notice.kind, 'bounced');
    assert.equal(notice.code, 550);
    assert.equal(notice.enhanced, '5.1.2');
  });

  it('bounces a domain with neither MX nor address with 550 5.4.4', async () => {
    const id = await send(server.port(), messageText('nomail'), { from: 'alice@local.test', to: ['hal@nomail.test'] });
    const notice = await finalNotice(id, 'hal@nomail.test');
    assert.equal(notice.kind, 'bounced');
    assert.equal(notice.code, 550);
    assert.equal(notice.enhanced, '5.4.4');
  });

  it('defers on a DNS failure (SERVFAIL) with 451 4.4.3, then delivers once DNS answers', async () => {
    const id = await send(server.port(), messageText('servfail'), { from: 'alice@local.test', to: ['ivy@broken.test'] });
    const delayed = await waitForNotice((all) => all.find((n) => n.id === id && n.kind === 'delayed'), 'a deferral');
    assert.equal(delayed.code, 451);
    assert.equal(delayed.enhanced, '4.4.3');
    dns.zone['broken.test'] = { MX: [{ exchange: 'mx1.example.test', priority: 10 }] };
    const notice = await finalNotice(id, 'ivy@broken.test');
    assert.equal(notice.kind, 'delivered');
  });

  it('defers with 451 4.4.1 when no MX answers, and delivers when one comes back', async () => {
    dns.zone['down.test'] = { MX: [{ exchange: 'dead.deadfirst.test', priority: 10 }] };
    const id = await send(server.port(), messageText('down'), { from: 'alice@local.test', to: ['jack@down.test'] });
    const delayed = await waitForNotice((all) => all.find((n) => n.id === id && n.kind === 'delayed'), 'a deferral');
    assert.equal(delayed.code, 451);
    assert.equal(delayed.enhanced, '4.4.1');
    assert.match(delayed.text, /dead\.deadfirst\.test \[127\.0\.0\.3\]/);
    dns.zone['down.test'] = { MX: [{ exchange: 'dead.deadfirst.test', priority: 10 }, { exchange: 'mx2.example.test', priority: 20 }] };
    assert.equal((await finalNotice(id, 'jack@down.test')).kind, 'delivered');
  });

  it('falls back to the next MX when the preferred one is gone', async () => {
    await primary.close();
    const next = backup.nextMessage();
    const id = await send(server.port(), messageText('fallback'), { from: 'alice@local.test', to: ['kim@example.test'] });
    assert.deepEqual((await next).recipients.map((r) => r.address), ['kim@example.test']);
    assert.match((await finalNotice(id, 'kim@example.test')).text, /^mx2\.example\.test \[127\.0\.0\.2\] said: 250 /);
  });
});
