import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { type SmtpSink, startDnsServer, startSmtpSink, tempDir, type TestDnsServer, type TestServer } from '@posthorn/testkit';
import { finalNotice, notices, waitForNotice } from './fixtures/probe.ts';
import { messageText, send, startOutboundServer } from './helpers.ts';

/** How the remote's replies become each recipient's outcome: delivered, retried, or bounced. */
describe('outbound: classification of remote replies', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let dns: TestDnsServer;
  let sink: SmtpSink;
  let server: TestServer;

  before(async () => {
    dir = await tempDir();
    sink = await startSmtpSink({ hostname: 'mx.example.test' });
    dns = await startDnsServer({
      'example.test': { MX: [{ exchange: 'mx.example.test', priority: 10 }] },
      'mx.example.test': { A: ['127.0.0.1'] },
    });
    server = await startOutboundServer(dir.path, dns.server, { port: sink.port });
  });
  beforeEach(() => {
    sink.behaviour.onRcpt = undefined;
    sink.behaviour.onData = undefined;
    sink.behaviour.onMailFrom = undefined;
  });
  after(async () => {
    await server.stop();
    await Promise.all([sink.close(), dns.close()]);
    await dir.remove();
  });

  it('retries a 4xx and delivers when the remote takes the message later', async () => {
    let calls = 0;
    sink.behaviour.onRcpt = (rcpt) => (rcpt.address === 'grey@example.test' && ++calls === 1 ? { code: 451, message: '4.7.1 Greylisted, try again later' } : undefined);
    const id = await send(server.port(), messageText('grey'), { from: 'alice@local.test', to: ['grey@example.test'] });
    const delayed = await waitForNotice((all) => all.find((n) => n.id === id && n.kind === 'delayed'), 'the deferral');
    assert.equal(delayed.code, 451);
    assert.equal(delayed.enhanced, '4.7.1', "the remote's enhanced code is kept");
    assert.equal(delayed.text, 'mx.example.test [127.0.0.1] said: 451 4.7.1 Greylisted, try again later');
    const notice = await finalNotice(id, 'grey@example.test');
    assert.equal(notice.kind, 'delivered');
    assert.equal(calls, 2);
  });

  it('bounces a 5xx with the remote reply as it was', async () => {
    sink.behaviour.onRcpt = () => ({ code: 550, message: '5.1.1 <nobody@example.test>: Recipient address rejected: User unknown' });
    const id = await send(server.port(), messageText('unknown'), { from: 'alice@local.test', to: ['nobody@example.test'] });
    const notice = await finalNotice(id, 'nobody@example.test');
    assert.equal(notice.kind, 'bounced');
    assert.equal(notice.reason, 'failed');
    assert.equal(notice.code, 550);
    assert.equal(notice.enhanced, '5.1.1');
    assert.equal(notice.by, 'outbound');
    assert.equal(notice.text, 'mx.example.test [127.0.0.1] said: 550 5.1.1 <nobody@example.test>: Recipient address rejected: User unknown');
  });

  it('classifies each recipient of one transaction by its own reply', async () => {
    sink.behaviour.onRcpt = (rcpt) => (rcpt.address.startsWith('bad') ? { code: 550, message: '5.7.1 Policy says no' } : undefined);
    const next = sink.nextMessage();
    const id = await send(server.port(), messageText('mixed'), { from: 'alice@local.test', to: ['good@example.test', 'bad@example.test'] });
    const got = await next;
    assert.deepEqual(got.recipients.map((r) => r.address), ['good@example.test']);
    assert.deepEqual(got.rejected.map((r) => [r.address, r.code]), [['bad@example.test', 550]]);
    const good = await finalNotice(id, 'good@example.test');
    const bad = await finalNotice(id, 'bad@example.test');
    assert.equal(good.kind, 'delivered');
    assert.equal(bad.kind, 'bounced');
    assert.equal(bad.enhanced, '5.7.1');
  });

  it('does not invent 5.1.1 for a refusal without an enhanced code', async () => {
    sink.behaviour.onRcpt = () => ({ code: 550, message: 'Go away' });
    const id = await send(server.port(), messageText('bare'), { from: 'alice@local.test', to: ['bare@example.test'] });
    const notice = await finalNotice(id, 'bare@example.test');
    assert.equal(notice.code, 550);
    assert.equal(notice.enhanced, '5.0.0');
    assert.equal(notice.text, 'mx.example.test [127.0.0.1] said: 550 Go away');
  });

  it('treats 552 to RCPT as the temporary 452 (RFC 5321 4.5.3.1.10)', async () => {
    let calls = 0;
    sink.behaviour.onRcpt = () => (++calls === 1 ? { code: 552, message: '5.5.3 Too many recipients' } : undefined);
    const id = await send(server.port(), messageText('toomany'), { from: 'alice@local.test', to: ['many@example.test'] });
    const delayed = await waitForNotice((all) => all.find((n) => n.id === id && n.kind === 'delayed'), 'the deferral');
    assert.equal(delayed.code, 452);
    assert.equal(delayed.enhanced, '4.5.3');
    assert.equal((await finalNotice(id, 'many@example.test')).kind, 'delivered');
  });

  it('gives the reply to the end of DATA to every accepted recipient', async () => {
    sink.behaviour.onData = () => ({ code: 554, message: '5.7.1 Message rejected as spam' });
    const id = await send(server.port(), messageText('spam'), { from: 'alice@local.test', to: ['one@example.test', 'two@example.test'] });
    for (const rcpt of ['one@example.test', 'two@example.test']) {
      const notice = await finalNotice(id, rcpt);
      assert.equal(notice.kind, 'bounced');
      assert.equal(notice.code, 554);
      assert.equal(notice.enhanced, '5.7.1');
    }
  });

  it('gives a refused MAIL FROM to every recipient', async () => {
    let calls = 0;
    sink.behaviour.onMailFrom = () => (++calls === 1 ? { code: 450, message: '4.7.0 Sender temporarily blocked' } : undefined);
    const id = await send(server.port(), messageText('mailfrom'), { from: 'alice@local.test', to: ['m1@example.test', 'm2@example.test'] });
    const deferrals = await waitForNotice((all) => {
      const found = all.filter((n) => n.id === id && n.kind === 'delayed');
      return found.length === 2 ? found : undefined;
    }, 'two deferrals');
    for (const notice of deferrals) assert.equal(notice.enhanced, '4.7.0');
    assert.equal((await finalNotice(id, 'm1@example.test')).kind, 'delivered');
    assert.equal((await finalNotice(id, 'm2@example.test')).kind, 'delivered');
  });

  it('moves to the next attempt when the remote hangs up in the middle (no verdict from a dead connection)', async () => {
    let calls = 0;
    sink.behaviour.onData = () => (++calls === 1 ? { code: 421, message: '4.3.2 Shutting down' } : undefined);
    const id = await send(server.port(), messageText('421'), { from: 'alice@local.test', to: ['drop@example.test'] });
    const delayed = await waitForNotice((all) => all.find((n) => n.id === id && n.kind === 'delayed'), 'the deferral');
    assert.equal(delayed.code, 451);
    assert.match(delayed.text, /421 4\.3\.2 Shutting down/);
    assert.equal((await finalNotice(id, 'drop@example.test')).kind, 'delivered');
    assert.ok(notices.length > 0);
  });
});
