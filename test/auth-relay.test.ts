/**
 * Who may send through the sending example, with the real binary: passwords only over TLS
 * (AUTH is not even offered before STARTTLS), wrong passwords slowed down and then locked out,
 * every relay trick of the relay plugin's README refused on the mx listener and without AUTH
 * on submission, authenticated users' mail never relayed to a domain other than the one the
 * address names, and clients of a listed network relaying without AUTH.
 *
 * remote.test's MX is a sink on 127.0.0.1, elsewhere.test's a sink on 127.0.0.2: a message
 * that reached the wrong mail exchanger would show up at the wrong sink.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import nodemailer from 'nodemailer';
import { type Reply, SmtpClient } from '@posthorn/testkit';
import { waitForToken } from './helpers/maildir.ts';
import { command, expectReply, queueIdOf } from './helpers/replies.ts';
import { DOMAIN, plainResponse, type SendingServer, startSendingServer, submissionClient, waitForLog } from './helpers/sending.ts';

const ALICE = `alice@${DOMAIN}`;
const BOB = `bob@${DOMAIN}`;
const CAROL = `carol@${DOMAIN}`;

/** Sends a command line in UTF-8 (SmtpClient.command writes latin1) and reads the reply. */
function utf8Command(client: SmtpClient, line: string): Promise<Reply> {
  client.write(Buffer.from(`${line}\r\n`, 'utf8'));
  return client.reply();
}

/** What the relay README's table says each address gets; `code` only where the table gives none. */
interface Trick {
  readonly rcpt: string;
  readonly code: number;
  readonly enhanced: string;
}

describe('authentication and relay policy of the sending example', () => {
  let install: SendingServer;

  before(async () => {
    install = await startSendingServer({
      sinks: [
        { name: 'remote', host: '127.0.0.1', options: { hostname: 'mx.remote.test', starttls: true } },
        { name: 'elsewhere', host: '127.0.0.2', options: { hostname: 'mx.elsewhere.test', starttls: true } },
      ],
      zone: {
        'remote.test': { MX: [{ exchange: 'mx.remote.test', priority: 10 }] },
        'mx.remote.test': { A: ['127.0.0.1'] },
        'elsewhere.test': { MX: [{ exchange: 'mx.elsewhere.test', priority: 10 }] },
        'mx.elsewhere.test': { A: ['127.0.0.2'] },
      },
      users: [{ address: ALICE, name: 'Alice Example' }, { address: BOB }, { address: CAROL }],
      // One host may relay without AUTH: 127.0.0.2 (the tests below connect from 127.0.0.1).
      relayNetworks: ['127.0.0.2/32'],
      // Small numbers so that lockouts happen within the test; delays stay on, but short.
      auth: { maxFailuresPerLogin: 3, maxFailuresPerIp: 6, windowSeconds: 120, lockoutSeconds: 120, baseDelayMs: 20, maxDelayMs: 80 },
    });
  });
  after(() => install?.dispose());

  it('takes no password before TLS on submission: AUTH not offered, a forced AUTH gets 538 5.7.11, MAIL gets 530', async () => {
    const client = await SmtpClient.open(install.port('submission'));
    try {
      const ehlo = await command(client, 'EHLO client.test', 250, '');
      assert.ok(ehlo.lines.includes('STARTTLS'), ehlo.raw);
      assert.ok(!ehlo.lines.some((line) => /^AUTH\b/i.test(line)), `AUTH offered in clear text: ${ehlo.raw}`);
      await command(client, `AUTH PLAIN ${plainResponse(ALICE, install.password(ALICE))}`, 538, '5.7.11');
      await command(client, 'AUTH LOGIN', 538, '5.7.11');
      await command(client, `MAIL FROM:<${ALICE}>`, 530, '5.7.0');
      // After STARTTLS the same server offers it, and the same password works.
      assert.equal((await client.startTls()).code, 220);
      const secure = await command(client, 'EHLO client.test', 250, '');
      assert.ok(secure.lines.includes('AUTH PLAIN LOGIN'), secure.raw);
      await command(client, `AUTH PLAIN ${plainResponse(ALICE, install.password(ALICE))}`, 235, '2.7.0');
      await command(client, 'QUIT', 221, '2.0.0');
    } finally {
      client.close();
    }
    // The mx listener never offers AUTH, TLS or not.
    const mx = await SmtpClient.open(install.port('mx'));
    try {
      const ehlo = await command(mx, 'EHLO client.test', 250, '');
      assert.ok(!ehlo.lines.some((line) => /^AUTH\b/i.test(line)), ehlo.raw);
      await command(mx, `AUTH PLAIN ${plainResponse(ALICE, install.password(ALICE))}`, 500, '5.5.1');
    } finally {
      mx.close();
    }
  });

  it('answers wrong passwords with 535 5.7.8, then locks the login out with 454 4.7.0, right password included', async () => {
    const wrong = plainResponse(CAROL, 'not the password');
    for (const listener of ['submission', 'submission', 'submissions'] as const) {
      const client = await submissionClient(install, { listener });
      try {
        await command(client, `AUTH PLAIN ${wrong}`, 535, '5.7.8');
      } finally {
        client.close();
      }
    }
    // Three failures for carol: locked out, whatever the password and the listener.
    for (const listener of ['submission', 'submissions'] as const) {
      const client = await submissionClient(install, { listener });
      try {
        const reply = await command(client, `AUTH PLAIN ${plainResponse(CAROL, install.password(CAROL))}`, 454, '4.7.0');
        assert.match(reply.raw, /Too many failed authentication attempts, try again later/);
        await command(client, `MAIL FROM:<${CAROL}>`, 530, '5.7.0');
      } finally {
        client.close();
      }
    }
    // Only carol's name: alice logs in from the same address.
    const alice = await submissionClient(install, { login: ALICE });
    alice.close();
    await waitForLog(install.server, (l) => l.msg === 'auth lockout started');
    assert.ok(!install.server.lines.some((line) => line.includes(install.password(CAROL)) || line.includes('not the password')), 'passwords never reach the log');
  });

  it('locks out a client address that tries many logins (maxFailuresPerIp)', async () => {
    // From 127.0.0.5, with nodemailer over implicit TLS: six different wrong logins, then a
    // right one, which is refused too because the address is locked out.
    const attempt = async (user: string, pass: string): Promise<{ code?: number; message: string }> => {
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: install.port('submissions'), secure: true, localAddress: '127.0.0.5', auth: { user, pass }, tls: { rejectUnauthorized: false } });
      try {
        await transport.verify();
        return { message: 'ok' };
      } catch (err) {
        const e = err as { responseCode?: number; response?: string; message: string };
        return { ...(e.responseCode ? { code: e.responseCode } : {}), message: e.response ?? e.message };
      } finally {
        transport.close();
      }
    };
    for (let i = 1; i <= 6; i++) {
      const result = await attempt(`guess${i}@${DOMAIN}`, 'password');
      assert.equal(result.code, 535, result.message);
    }
    const locked = await attempt(BOB, install.password(BOB));
    assert.equal(locked.code, 454, locked.message);
    assert.match(locked.message, /^454 4\.7\.0 /);
  });

  it('refuses every relay trick on the mx listener, and relays nothing', async () => {
    const tricks: Trick[] = [
      { rcpt: 'someone@remote.test', code: 550, enhanced: '5.7.1' },
      { rcpt: 'Someone@REMOTE.TEST', code: 550, enhanced: '5.7.1' },
      { rcpt: 'someone@example.test.remote.test', code: 550, enhanced: '5.7.1' },
      // Source route: dropped, what is left is remote.
      { rcpt: '@example.test:someone@remote.test', code: 550, enhanced: '5.7.1' },
      // Percent hack and bang paths: local addresses that do not exist.
      { rcpt: 'someone%remote.test@example.test', code: 550, enhanced: '5.1.1' },
      { rcpt: 'remote.test!someone@example.test', code: 550, enhanced: '5.1.1' },
      { rcpt: 'someone!remote.test@example.test', code: 550, enhanced: '5.1.1' },
      // More than one @, quoted or not; a trailing dot.
      { rcpt: 'someone@remote.test@example.test', code: 501, enhanced: '5.1.3' },
      { rcpt: '"someone@remote.test"@example.test', code: 501, enhanced: '5.1.3' },
      { rcpt: 'someone@remote.test.', code: 501, enhanced: '5.1.3' },
      // Address literals and addresses that are IP addresses in disguise.
      { rcpt: 'someone@[127.0.0.1]', code: 550, enhanced: '5.7.1' },
      { rcpt: 'someone@[IPv6:::1]', code: 550, enhanced: '5.7.1' },
      { rcpt: 'someone@127.0.0.1', code: 550, enhanced: '5.7.1' },
      { rcpt: 'someone@0x7f.1', code: 550, enhanced: '5.7.1' },
    ];
    const client = await SmtpClient.open(install.port('mx'));
    try {
      await command(client, 'EHLO client.test', 250, '');
      await command(client, 'MAIL FROM:<sender@client.test>', 250, '2.1.0');
      for (const trick of tricks) {
        const reply = await client.command(`RCPT TO:<${trick.rcpt}>`);
        assert.equal(`${reply.code} ${reply.enhanced}`, `${trick.code} ${trick.enhanced}`, `RCPT TO:<${trick.rcpt}>: ${reply.raw}`);
      }
      // Names that are not in canonical form (IDNA would map them to another name).
      for (const rcpt of ['someone@ｒｅｍｏｔｅ.test', 'someone@remote。test']) {
        const reply = await utf8Command(client, `RCPT TO:<${rcpt}>`);
        assert.ok(reply.code >= 500 && reply.code < 600, `RCPT TO:<${rcpt}>: ${reply.raw}`);
      }
      // No recipient was accepted.
      await command(client, 'DATA', 503, '5.5.1');
      await command(client, 'QUIT', 221, '2.0.0');
    } finally {
      client.close();
    }
    await install.queueEmpty();
    assert.equal(install.sinks.remote!.connections.total + install.sinks.elsewhere!.connections.total, 0);
  });

  it('refuses MAIL and RCPT without AUTH on submission (530 5.7.0), TLS or not', async () => {
    const client = await submissionClient(install);
    try {
      await command(client, 'MAIL FROM:<sender@client.test>', 530, '5.7.0');
      await command(client, 'RCPT TO:<someone@remote.test>', 530, '5.7.0');
    } finally {
      client.close();
    }
    const implicit = await submissionClient(install, { listener: 'submissions' });
    try {
      await command(implicit, `MAIL FROM:<${ALICE}>`, 530, '5.7.0');
    } finally {
      implicit.close();
    }
  });

  it('relays an authenticated user’s mail only to the domain the address names', async () => {
    const token = randomUUID();
    const refused: Trick[] = [
      // Percent hack and bang paths in a local domain are local addresses: no such user.
      { rcpt: 'someone%elsewhere.test@example.test', code: 550, enhanced: '5.1.1' },
      { rcpt: 'elsewhere.test!someone@example.test', code: 550, enhanced: '5.1.1' },
      { rcpt: 'someone!elsewhere.test@example.test', code: 550, enhanced: '5.1.1' },
      { rcpt: 'someone@elsewhere.test@remote.test', code: 501, enhanced: '5.1.3' },
      { rcpt: '"someone@elsewhere.test"@remote.test', code: 501, enhanced: '5.1.3' },
      { rcpt: 'someone@elsewhere.test.', code: 501, enhanced: '5.1.3' },
      { rcpt: 'someone@[127.0.0.2]', code: 550, enhanced: '5.7.1' },
      { rcpt: 'someone@127.0.0.2', code: 501, enhanced: '5.1.3' },
      { rcpt: 'someone@0x7f.2', code: 501, enhanced: '5.1.3' },
      { rcpt: 'someone@-elsewhere.test', code: 501, enhanced: '5.1.3' },
      { rcpt: 'someone@elsewhere..test', code: 501, enhanced: '5.1.3' },
      { rcpt: 'someone@else_where.test', code: 501, enhanced: '5.1.3' },
    ];
    const client = await submissionClient(install, { login: ALICE });
    let queueId: string;
    try {
      await command(client, `MAIL FROM:<${ALICE}>`, 250, '2.1.0');
      for (const trick of refused) {
        const reply = await client.command(`RCPT TO:<${trick.rcpt}>`);
        assert.equal(`${reply.code} ${reply.enhanced}`, `${trick.code} ${trick.enhanced}`, `RCPT TO:<${trick.rcpt}>: ${reply.raw}`);
      }
      for (const rcpt of ['someone@ｅｌｓｅｗｈｅｒｅ.test', 'someone@ＥＬＳＥＷＨＥＲＥ.test']) {
        expectReply(await utf8Command(client, `RCPT TO:<${rcpt}>`), 501, '5.1.3');
      }
      // RFC 6531 3.5: a non-ASCII local part only with SMTPUTF8, which this MAIL FROM lacks.
      expectReply(await utf8Command(client, 'RCPT TO:<üser@elsewhere.test>'), 553, '5.6.7');
      // Accepted: a percent hack in a remote domain goes to that domain; a source route is
      // dropped, leaving bob, who is local; the domain's case does not matter.
      await command(client, 'RCPT TO:<someone%elsewhere.test@remote.test>', 250, '2.1.5');
      await command(client, `RCPT TO:<@remote.test,@elsewhere.test:${BOB}>`, 250, '2.1.5');
      await command(client, 'RCPT TO:<Other@REMOTE.test>', 250, '2.1.5');
      await command(client, 'DATA', 354, '');
      client.write(`From: ${ALICE}\r\nTo: undisclosed-recipients:;\r\nSubject: ${token}\r\n\r\ntoken ${token}\r\n.\r\n`);
      const reply = await client.reply(20_000);
      assert.equal(reply.code, 250, reply.raw);
      queueId = queueIdOf(reply.raw);
      await command(client, 'QUIT', 221, '2.0.0');
    } finally {
      client.close();
    }
    // An ideographic full stop (U+3002) is a label separator to IDNA: smtp-server's punycode
    // step already turns it into '.', so the address is elsewhere.test, the name it routes to.
    // (The relay README lists `user@example。com` as 501 5.1.3; the plugin never sees that form.)
    const again = await submissionClient(install, { login: ALICE });
    try {
      await command(again, `MAIL FROM:<${ALICE}>`, 250, '2.1.0');
      expectReply(await utf8Command(again, 'RCPT TO:<someone@elsewhere。test>'), 250, '2.1.5');
      await command(again, 'RSET', 250, '2.0.0');
    } finally {
      again.close();
    }
    await waitForLog(install.server, (l) => l.msg === 'relay: accepted' && l.rcpt === 'someone@elsewhere.test' && l.domain === 'elsewhere.test');

    const remote = await install.sinks.remote!.waitFor((s) => s.messages.find((m) => m.message.includes(token)), 20_000, 'the message at remote.test');
    assert.deepEqual(remote.recipients.map((r) => r.address).sort(), ['Other@REMOTE.test', 'someone%elsewhere.test@remote.test'].sort());
    const [local] = await waitForToken(install.maildir(BOB), token);
    assert.ok(local!.bytes.includes(`id ${queueId}`));
    await install.queueEmpty();
    assert.equal(install.sinks.elsewhere!.connections.total, 0, 'nothing went to elsewhere.test');
  });

  it('relays for a listed network without AUTH, still never to an address literal', async () => {
    const token = randomUUID();
    // From 127.0.0.2, the one listed address, to the mx listener.
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: install.port('mx'), localAddress: '127.0.0.2', ignoreTLS: true });
    try {
      const info = await transport.sendMail({ envelope: { from: 'app@client2.test', to: ['someone@elsewhere.test'] }, raw: `From: app@client2.test\r\nTo: someone@elsewhere.test\r\nSubject: ${token}\r\n\r\nfrom the web application\r\n` });
      assert.match(info.response, /^250 2\.0\.0 /);
      await assert.rejects(
        transport.sendMail({ envelope: { from: 'app@client2.test', to: ['someone@[127.0.0.2]'] }, raw: `Subject: literal ${token}\r\n\r\nno\r\n` }),
        (err: { responseCode?: number; response?: string }) => err.responseCode === 550 && /^550 5\.7\.1 /.test(err.response ?? ''),
      );
    } finally {
      transport.close();
    }
    const got = await install.sinks.elsewhere!.waitFor((s) => s.messages.find((m) => m.message.includes(token)), 20_000, 'the relayed message');
    assert.deepEqual(got.recipients.map((r) => r.address), ['someone@elsewhere.test']);
    assert.equal(got.mailFrom.address, 'app@client2.test');
    // Mail from a relaying network is not a user's: no DKIM signature, no header changes.
    assert.ok(!got.message.includes('DKIM-Signature'), 'not signed');
    await install.queueEmpty();
  });
});
