import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { captureLogs, type SmtpSink, startDnsServer, startSmtpSink, tempDir, type TestDnsServer, type TestServer } from '@posthorn/testkit';
import { finalNotice, notices, waitForNotice } from './fixtures/probe.ts';
import { messageText, send, startOutboundServer } from './helpers.ts';

describe('outbound: static routes and a smarthost with AUTH', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let dns: TestDnsServer;
  let mx: SmtpSink;
  let partner: SmtpSink;
  let smarthost: SmtpSink;
  let server: TestServer;

  before(async () => {
    dir = await tempDir();
    mx = await startSmtpSink({ hostname: 'mx.example.test' });
    partner = await startSmtpSink({ hostname: 'partner-gw.test' });
    smarthost = await startSmtpSink({ hostname: 'relay.provider.test', starttls: true, auth: { user: 'posthorn', pass: 's3cret' }, requireAuth: true });
    dns = await startDnsServer({
      // The route for example.test wins over its MX.
      'example.test': { MX: [{ exchange: 'mx.example.test', priority: 10 }] },
      'mx.example.test': { A: ['127.0.0.1'] },
      'relay.provider.test': { A: ['127.0.0.1'] },
    });
    server = await startOutboundServer(dir.path, dns.server, {
      port: mx.port,
      routes: {
        'example.test': { host: '127.0.0.1', port: partner.port, tls: 'none' },
        '.partner.test': { host: '127.0.0.1', port: partner.port },
        '*': { host: 'relay.provider.test', port: smarthost.port, auth: { user: 'posthorn', pass: 's3cret' } },
      },
    });
  });
  after(async () => {
    await server.stop();
    await Promise.all([mx.close(), partner.close(), smarthost.close(), dns.close()]);
    await dir.remove();
  });

  it('sends a routed domain to its route instead of its MX', async () => {
    const next = partner.nextMessage();
    const id = await send(server.port(), messageText('routed'), { from: 'alice@local.test', to: ['bob@example.test'] });
    assert.deepEqual((await next).recipients.map((r) => r.address), ['bob@example.test']);
    assert.equal((await finalNotice(id, 'bob@example.test')).kind, 'delivered');
    assert.equal(mx.messages.length, 0);
  });

  it('matches a `.parent` route for subdomains', async () => {
    const next = partner.nextMessage();
    const id = await send(server.port(), messageText('subdomain'), { from: 'alice@local.test', to: ['carol@eu.partner.test'] });
    assert.deepEqual((await next).recipients.map((r) => r.address), ['carol@eu.partner.test']);
    assert.match((await finalNotice(id, 'carol@eu.partner.test')).text, /^\[127\.0\.0\.1\] said: 250 /);
  });

  it('sends everything else to the smarthost, over STARTTLS, authenticated, one transaction for several domains', async () => {
    const next = smarthost.nextMessage();
    const to = ['dave@far.test', 'erin@away.test'];
    const id = await send(server.port(), messageText('smarthost'), { from: 'alice@local.test', to });
    const got = await next;
    assert.deepEqual(got.recipients.map((r) => r.address), to);
    assert.equal(got.user, 'posthorn');
    assert.equal(got.tls, true);
    assert.deepEqual(smarthost.authAttempts, [{ user: 'posthorn', ok: true, tls: true }]);
    for (const rcpt of to) assert.match((await finalNotice(id, rcpt)).text, /^relay\.provider\.test \[127\.0\.0\.1\] said: 250 /);
  });
});

describe('outbound: smarthost credentials', () => {
  const logs = captureLogs('debug');
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let dns: TestDnsServer;
  let tlsRelay: SmtpSink;
  let plainRelay: SmtpSink;
  let server: TestServer;

  before(async () => {
    dir = await tempDir();
    tlsRelay = await startSmtpSink({ hostname: 'relay.test', starttls: true, auth: { user: 'posthorn', pass: 'right' }, requireAuth: true });
    plainRelay = await startSmtpSink({ hostname: 'plain-relay.test', auth: { user: 'posthorn', pass: 'right' }, requireAuth: true });
    dns = await startDnsServer({});
    server = await startOutboundServer(dir.path, dns.server, {
      routes: {
        'wrongpass.test': { host: '127.0.0.1', port: tlsRelay.port, auth: { user: 'posthorn', pass: 'wrong-pw-never-logged' } },
        'notls.test': { host: '127.0.0.1', port: plainRelay.port, auth: { user: 'posthorn', pass: 'right' } },
        'cleartext.test': { host: '127.0.0.1', port: plainRelay.port, tls: 'none', auth: { user: 'posthorn', pass: 'right' } },
      },
    }, { logger: logs.logger });
  });
  after(async () => {
    await server.stop();
    await Promise.all([tlsRelay.close(), plainRelay.close(), dns.close()]);
    await dir.remove();
  });

  it('defers (454 4.7.0) rather than bounces when the smarthost refuses the password, and keeps retrying', async () => {
    const id = await send(server.port(), messageText('wrongpass'), { from: 'alice@local.test', to: ['a@wrongpass.test', 'b@wrongpass.test'] });
    const deferrals = await waitForNotice((all) => {
      const found = all.filter((n) => n.id === id && n.rcpt === 'a@wrongpass.test' && n.kind === 'delayed');
      return found.length >= 2 ? found : undefined;
    }, 'two deferrals');
    for (const notice of deferrals) {
      assert.equal(notice.code, 454);
      assert.equal(notice.enhanced, '4.7.0');
      assert.match(notice.text, /\[127\.0\.0\.1\] refused the route's credentials \(535 5\.7\.8 /);
    }
    assert.ok(tlsRelay.authAttempts.every((a) => a.user === 'posthorn' && !a.ok && a.tls));
    assert.equal(notices.filter((n) => n.id === id && n.kind === 'bounced').length, 0);
    assert.ok(logs.find('smarthost authentication failed').length >= 2);
    assert.ok(!JSON.stringify(logs.lines).includes('wrong-pw-never-logged'), 'the password is never logged');
  });

  it('never sends credentials in clear text unless the route says tls: none', async () => {
    const id = await send(server.port(), messageText('notls'), { from: 'alice@local.test', to: ['c@notls.test'] });
    const delayed = await waitForNotice((all) => all.find((n) => n.id === id && n.kind === 'delayed'), 'the deferral');
    assert.equal(delayed.code, 451);
    assert.equal(delayed.enhanced, '4.7.4', 'TLS required for AUTH and not available');
    assert.equal(plainRelay.authAttempts.length, 0);

    const next = plainRelay.nextMessage();
    const clear = await send(server.port(), messageText('cleartext'), { from: 'alice@local.test', to: ['d@cleartext.test'] });
    const got = await next;
    assert.equal(got.user, 'posthorn');
    assert.equal(got.tls, false);
    assert.equal((await finalNotice(clear, 'd@cleartext.test')).kind, 'delivered');
  });
});

describe('outbound: TLS policies', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let dns: TestDnsServer;
  let implicit: SmtpSink;
  let starttls: SmtpSink;
  let broken: SmtpSink;
  let server: TestServer;

  before(async () => {
    dir = await tempDir();
    broken = await startSmtpSink({ hostname: 'broken.test', brokenTls: true });
    implicit = await startSmtpSink({ hostname: 'submit.test', secure: true });
    starttls = await startSmtpSink({ hostname: 'secure.test', starttls: true });
    const caFile = join(dir.path, 'ca.pem');
    await writeFile(caFile, starttls.cert);
    dns = await startDnsServer({ 'secure.test': { A: ['127.0.0.1'] }, 'other-name.test': { A: ['127.0.0.1'] } });
    server = await startOutboundServer(dir.path, dns.server, {
      ca: caFile,
      routes: {
        'implicit.test': { host: '127.0.0.1', port: implicit.port, tls: 'implicit' },
        'verified.test': { host: 'secure.test', port: starttls.port, tls: 'required', verify: true },
        'mismatch.test': { host: 'other-name.test', port: starttls.port, tls: 'required', verify: true },
        'unverifiable.test': { host: '127.0.0.1', port: implicit.port, tls: 'implicit', verify: true },
        'opportunistic.test': { host: '127.0.0.1', port: broken.port, tls: 'opportunistic' },
        'required.test': { host: '127.0.0.1', port: broken.port, tls: 'required' },
      },
    });
  });
  after(async () => {
    await server.stop();
    await Promise.all([implicit.close(), starttls.close(), broken.close(), dns.close()]);
    await dir.remove();
  });

  it('speaks TLS from the first byte on an implicit TLS route', async () => {
    const next = implicit.nextMessage();
    const id = await send(server.port(), messageText('implicit'), { from: 'alice@local.test', to: ['a@implicit.test'] });
    assert.equal((await next).tls, true);
    assert.equal((await finalNotice(id, 'a@implicit.test')).kind, 'delivered');
  });

  it('verifies the certificate against the trusted CAs and the host name when asked', async () => {
    const next = starttls.nextMessage();
    const id = await send(server.port(), messageText('verified'), { from: 'alice@local.test', to: ['b@verified.test'] });
    assert.equal((await next).tls, true);
    assert.equal((await finalNotice(id, 'b@verified.test')).kind, 'delivered');
  });

  it('defers (4.7.5) when the certificate does not verify: wrong name, or not trusted', async () => {
    for (const rcpt of ['c@mismatch.test', 'd@unverifiable.test']) {
      const id = await send(server.port(), messageText('bad-cert'), { from: 'alice@local.test', to: [rcpt] });
      const delayed = await waitForNotice((all) => all.find((n) => n.id === id && n.kind === 'delayed'), `the deferral of ${rcpt}`);
      assert.equal(delayed.code, 451);
      assert.equal(delayed.enhanced, '4.7.5', delayed.text);
    }
    assert.equal(starttls.messages.length, 1);
    assert.equal(implicit.messages.length, 1);
  });

  it('falls back to plain text when an opportunistic STARTTLS handshake fails, but not when TLS is required', async () => {
    const next = broken.nextMessage();
    const id = await send(server.port(), messageText('fallback'), { from: 'alice@local.test', to: ['e@opportunistic.test'] });
    const got = await next;
    assert.equal(got.tls, false);
    assert.equal((await finalNotice(id, 'e@opportunistic.test')).kind, 'delivered');

    const required = await send(server.port(), messageText('required'), { from: 'alice@local.test', to: ['f@required.test'] });
    const delayed = await waitForNotice((all) => all.find((n) => n.id === required && n.kind === 'delayed'), 'the deferral');
    assert.equal(delayed.enhanced, '4.7.5');
    assert.equal(broken.messages.length, 1);
  });
});
