import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type SmtpSink, startDnsServer, startSmtpSink, tempDir, type TestDnsServer, type TestServer } from '@posthorn/testkit';
import { finalNotice } from './fixtures/probe.ts';
import { messageText, send, startOutboundServer } from './helpers.ts';

/** DSN parameters, 8BITMIME, SMTPUTF8 and SIZE towards servers that do or do not offer them. */
describe('outbound: ESMTP extensions', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let dns: TestDnsServer;
  let modern: SmtpSink;
  let old: SmtpSink;
  let small: SmtpSink;
  let server: TestServer;

  before(async () => {
    dir = await tempDir();
    modern = await startSmtpSink({ hostname: 'modern.test', dsn: true });
    old = await startSmtpSink({ hostname: 'old.test', eightBitMime: false, smtpUtf8: false });
    small = await startSmtpSink({ hostname: 'small.test', size: 200 });
    dns = await startDnsServer({});
    server = await startOutboundServer(dir.path, dns.server, {
      routes: {
        'modern.test': { host: '127.0.0.1', port: modern.port },
        'old.test': { host: '127.0.0.1', port: old.port },
        'small.test': { host: '127.0.0.1', port: small.port },
      },
    });
  });
  after(async () => {
    await server.stop();
    await Promise.all([modern.close(), old.close(), small.close(), dns.close()]);
    await dir.remove();
  });

  it('passes DSN parameters on to a DSN-capable server: RET and ENVID, and NOTIFY and ORCPT per recipient', async () => {
    const next = modern.nextMessage();
    const id = await send(server.port(), messageText('dsn'), {
      from: 'alice@local.test',
      to: ['x@modern.test', 'y@modern.test', 'z@modern.test'],
      mailParams: 'RET=HDRS ENVID=QQ+2B314',
      rcptParams: {
        'x@modern.test': 'NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;x@modern.test',
        'y@modern.test': 'NOTIFY=NEVER ORCPT=rfc822;Y+2Borig@modern.test',
      },
    });
    const got = await next;
    assert.equal(got.mailFrom.params.RET, 'HDRS');
    assert.equal(got.mailFrom.params.ENVID, 'QQ+314', 'xtext decoded on the way in, encoded again on the way out');
    assert.deepEqual(
      got.recipients.map((r) => [r.address, r.params.NOTIFY, r.params.ORCPT]),
      [
        ['x@modern.test', 'SUCCESS,FAILURE', 'rfc822;x@modern.test'],
        ['y@modern.test', 'NEVER', 'rfc822;Y+orig@modern.test'],
        ['z@modern.test', undefined, undefined],
      ],
    );
    assert.equal(modern.transactions.length, 1, 'one transaction for all three');
    for (const rcpt of ['x@modern.test', 'y@modern.test', 'z@modern.test']) assert.equal((await finalNotice(id, rcpt)).kind, 'delivered');
  });

  it('leaves DSN parameters out towards a server that does not offer DSN', async () => {
    const next = old.nextMessage();
    const id = await send(server.port(), messageText('nodsn'), {
      from: 'alice@local.test',
      to: ['x@old.test'],
      mailParams: 'RET=FULL ENVID=abc',
      rcptParams: { 'x@old.test': 'NOTIFY=FAILURE ORCPT=rfc822;x@old.test' },
    });
    const got = await next;
    assert.deepEqual(got.mailFrom.params, {});
    assert.deepEqual(got.recipients[0]!.params, {});
    assert.equal((await finalNotice(id, 'x@old.test')).kind, 'delivered');
  });

  it('sends 8-bit data with BODY=8BITMIME, and bounces it (554 5.6.3) where 8BITMIME is missing', async () => {
    const eightBit = Buffer.from('From: alice@local.test\r\nSubject: caf\xc3\xa9\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nd\xc3\xa9j\xc3\xa0 vu\r\n', 'latin1');
    const next = modern.nextMessage();
    const id = await send(server.port(), eightBit, { from: 'alice@local.test', to: ['x@modern.test', 'x@old.test'], mailParams: 'BODY=8BITMIME' });
    const got = await next;
    assert.equal(got.mailFrom.params.BODY, '8BITMIME');
    assert.ok(got.message.includes(Buffer.from('d\xc3\xa9j\xc3\xa0 vu', 'latin1')));
    assert.equal((await finalNotice(id, 'x@modern.test')).kind, 'delivered');
    const bounced = await finalNotice(id, 'x@old.test');
    assert.equal(bounced.kind, 'bounced');
    assert.equal(bounced.code, 554);
    assert.equal(bounced.enhanced, '5.6.3');
  });

  it('asks for SMTPUTF8 when the sender did, and bounces (554 5.6.7 / 5.6.9) where SMTPUTF8 is missing', async () => {
    const next = modern.nextMessage();
    const id = await send(server.port(), messageText('utf8'), { from: 'alice@local.test', to: ['j\u00f6rg@modern.test'], mailParams: 'SMTPUTF8' });
    const got = await next;
    assert.equal(got.mailFrom.params.SMTPUTF8, '');
    assert.deepEqual(got.recipients.map((r) => r.address), ['j\u00f6rg@modern.test']);
    assert.equal((await finalNotice(id, 'j\u00f6rg@modern.test')).kind, 'delivered');

    const address = await send(server.port(), messageText('utf8-old'), { from: 'alice@local.test', to: ['j\u00f6rg@old.test'], mailParams: 'SMTPUTF8' });
    const refused = await finalNotice(address, 'j\u00f6rg@old.test');
    assert.equal(refused.kind, 'bounced');
    assert.equal(refused.enhanced, '5.6.7');

    const header = await send(server.port(), messageText('utf8-header'), { from: 'alice@local.test', to: ['plain@old.test'], mailParams: 'SMTPUTF8' });
    const headerRefused = await finalNotice(header, 'plain@old.test');
    assert.equal(headerRefused.kind, 'bounced');
    assert.equal(headerRefused.enhanced, '5.6.9');
    assert.equal(old.messages.filter((m) => m.recipients.some((r) => r.address !== 'x@old.test')).length, 0);
  });

  it('bounces a message bigger than the SIZE the server announced (552 5.3.4) without sending it', async () => {
    const id = await send(server.port(), messageText('big', 'x'.repeat(500)), { from: 'alice@local.test', to: ['x@small.test'] });
    const notice = await finalNotice(id, 'x@small.test');
    assert.equal(notice.kind, 'bounced');
    assert.equal(notice.code, 552);
    assert.equal(notice.enhanced, '5.3.4');
    assert.match(notice.text, /at most 200 bytes/);
    assert.equal(small.transactions.length, 0);
  });
});
