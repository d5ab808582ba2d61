/**
 * Users submit mail with real mail programs (nodemailer over STARTTLS, swaks over STARTTLS and
 * over implicit TLS) to the real binary running config/examples/sending.yaml; the message
 * reaches the remote mail exchanger (an SMTP sink found through the test DNS server's MX
 * records) completed (Date, Message-ID, From from the account), without Bcc, with our
 * Received field on top, and with a DKIM signature that mailauth and dkimpy (python3-dkim)
 * both verify against the record `posthorn dkim keygen` printed. Blind copies reach their
 * recipients through the envelope only. Users cannot send as someone else.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import nodemailer from 'nodemailer';
import { dkimpyMissing, dkimpyVerify, mailauthVerify, type SinkTransaction, type SmtpSink } from '@posthorn/testkit';
import { recordingLogger } from './helpers/nodemailer.ts';
import { explain } from './helpers/posthorn.ts';
import { describeRun, onPath, runProgram } from './helpers/programs.ts';
import { command, queueIdOf } from './helpers/replies.ts';
import { DOMAIN, fieldValues, headerFields, HOSTNAME, printedTxt, type SendingServer, SELECTOR, startSendingServer, submissionClient } from './helpers/sending.ts';

const ALICE = `alice@${DOMAIN}`;
const BOB = `bob@${DOMAIN}`;
const noSwaks = onPath('swaks') ? false : 'swaks is not on PATH (CI installs it: apt-get install swaks)';
const noDkimpy = dkimpyMissing();

/** The transaction of the message with `token` at `sink`, once it arrived. */
function arrival(sink: SmtpSink, token: string): Promise<SinkTransaction> {
  return sink.waitFor((s) => s.messages.find((m) => m.message.includes(token)), 20_000, `a message with ${token}`);
}

describe('submission of a user’s mail to a remote domain', () => {
  let install: SendingServer;
  /** Every signed message the mail exchangers received, as they received it. */
  const signed: Buffer[] = [];

  before(async () => {
    install = await startSendingServer({
      sinks: [
        { name: 'remote', host: '127.0.0.1', options: { hostname: 'mx1.remote.test', starttls: true } },
        { name: 'blind', host: '127.0.0.2', options: { hostname: 'mx.blind.test', starttls: true } },
      ],
      zone: {
        'remote.test': { MX: [{ exchange: 'mx1.remote.test', priority: 10 }] },
        'mx1.remote.test': { A: ['127.0.0.1'] },
        'blind.test': { MX: [{ exchange: 'mx.blind.test', priority: 10 }] },
        'mx.blind.test': { A: ['127.0.0.2'] },
      },
      users: [{ address: ALICE, name: 'Alice Example' }, { address: BOB }],
    });
  });
  after(() => install?.dispose());

  /**
   * What every submitted message must look like when it leaves: on top the DKIM signature
   * (prepended last, at signing) and our Received field (without the user's address: the
   * example hides it on submission), exactly one Date and one Message-ID of ours, no Bcc, and
   * the signature of example.test verifies.
   */
  async function assertCompleted(message: Buffer, queueId: string): Promise<void> {
    const fields = headerFields(message);
    assert.match(fields[0]!, /^DKIM-Signature: /, fields[0]);
    assert.match(fields[1]!, new RegExp(`^Received: by ${HOSTNAME.replace(/\./g, '\\.')} \\(Posthorn\\) with ESMTPSA \\(TLS[^)]*\\) id ${queueId}(\\s+for <[^>]+>)?; `), fields[1]);
    assert.doesNotMatch(fields[1]!, /127\.0\.0\.1|client\.test/, 'hideClientAddress keeps the client out of the Received field');
    const dates = fieldValues(message, 'Date');
    assert.equal(dates.length, 1, `one Date: ${dates}`);
    assert.match(dates[0]!, /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
    assert.ok(Math.abs(Date.parse(dates[0]!) - Date.now()) < 10 * 60_000, `Date is now: ${dates[0]}`);
    const ids = fieldValues(message, 'Message-ID');
    assert.equal(ids.length, 1, `one Message-ID: ${ids}`);
    assert.match(ids[0]!, new RegExp(`^<[0-9a-z]+\\.[0-9a-f]+@${HOSTNAME.replace(/\./g, '\\.')}>$`));
    assert.deepEqual(fieldValues(message, 'Bcc'), []);

    const signatures = fieldValues(message, 'DKIM-Signature');
    assert.equal(signatures.length, 1, 'one key, one signature');
    assert.match(signatures[0]!, /(^|;)\s*d=example\.test\s*;/);
    assert.match(signatures[0]!, new RegExp(`(^|;)\\s*s=${SELECTOR}\\s*;`));
    const [verdict] = await mailauthVerify(message, install.dns.server);
    assert.equal(verdict?.status.result, 'pass', JSON.stringify(verdict));
    assert.equal(verdict?.signingDomain, DOMAIN);
    // dkimpy checks them too, in a test of its own (skipped, with the reason, without python3-dkim).
    signed.push(message);
  }

  it('nodemailer over STARTTLS with AUTH: completed, signed, Bcc removed, blind copies by envelope only', async () => {
    const token = randomUUID();
    const log = recordingLogger();
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: install.port('submission'),
      secure: false,
      requireTLS: true,
      auth: { user: ALICE, pass: install.password(ALICE) },
      tls: { rejectUnauthorized: false },
      logger: log.logger,
      transactionLog: true,
    });
    // A trace field from an earlier hop (a web application's local relay, say) stays below ours.
    const raw = [
      'Received: from app.client.test by relay.client.test; Sat, 29 Nov 2025 10:00:00 +0000',
      'From: Alice Example <alice@example.test>',
      'To: Someone <someone@remote.test>',
      'Bcc: hidden1@blind.test, hidden2@blind.test',
      `Subject: nodemailer ${token}`,
      '',
      'Hello from a mail program that left Date and Message-ID to the server.',
      '',
    ].join('\r\n');
    try {
      const info = await transport.sendMail({ envelope: { from: ALICE, to: ['someone@remote.test', 'hidden1@blind.test', 'hidden2@blind.test'] }, raw });
      const queueId = queueIdOf(info.response);
      assert.ok(log.commands.indexOf('STARTTLS') !== -1 && log.commands.indexOf('STARTTLS') < log.commands.findIndex((c) => /^AUTH /.test(c)), log.commands.join('\n'));

      const [remote, blind] = await Promise.all([arrival(install.sinks.remote!, token), arrival(install.sinks.blind!, token)]);
      assert.deepEqual(remote.recipients.map((r) => r.address), ['someone@remote.test']);
      assert.deepEqual(blind.recipients.map((r) => r.address).sort(), ['hidden1@blind.test', 'hidden2@blind.test'], 'one transaction to the blind domain');
      assert.equal(remote.mailFrom.address, ALICE);
      assert.equal(remote.tls, true, 'outbound used the STARTTLS the mail exchanger offered');
      assert.equal(remote.helo, HOSTNAME);
      // One queued message, the same bytes to both mail exchangers: nobody's copy names a blind recipient.
      assert.deepEqual(blind.message, remote.message);
      assert.ok(!remote.message.includes('hidden1') && !remote.message.includes('hidden2'), remote.message.toString('latin1'));
      assert.ok(!remote.message.includes('blind.test'));

      await assertCompleted(remote.message, queueId);
      const fields = headerFields(remote.message);
      assert.equal(fields[2], 'Received: from app.client.test by relay.client.test; Sat, 29 Nov 2025 10:00:00 +0000', 'the earlier hop stays below ours');
      assert.deepEqual(fieldValues(remote.message, 'From'), ['Alice Example <alice@example.test>']);
      assert.match(remote.message.toString('latin1'), /\r\n\r\nHello from a mail program that left Date and Message-ID to the server\.\r\n$/);
    } finally {
      transport.close();
    }
  });

  it('swaks over STARTTLS with AUTH PLAIN', { skip: noSwaks }, async () => {
    const token = randomUUID();
    const file = join(install.dir, `swaks-${token}.eml`);
    // swaks adds the final CRLF itself.
    await writeFile(file, ['From: alice@example.test', 'To: someone@remote.test', 'Bcc: hidden1@blind.test', `Subject: swaks ${token}`, '', 'Sent with swaks.'].join('\r\n'));
    const result = await runProgram('swaks', [
      '--server', `127.0.0.1:${install.port('submission')}`,
      '--ehlo', 'client.test',
      '--from', ALICE,
      '--to', 'someone@remote.test,hidden1@blind.test',
      '--auth', 'PLAIN', '--auth-user', ALICE, '--auth-password', install.password(ALICE),
      '-tls',
      '--data', `@${file}`,
      '--timeout', '30',
    ]);
    assert.equal(result.code, 0, describeRun(result));
    assert.match(result.stdout, /-> STARTTLS[\s\S]*~> AUTH PLAIN/, 'AUTH only after STARTTLS');
    const queueId = /<~ {2}250 2\.0\.0 Ok: queued as (\S+)/.exec(result.stdout)?.[1];
    assert.ok(queueId, result.stdout);
    const [remote, blind] = await Promise.all([arrival(install.sinks.remote!, token), arrival(install.sinks.blind!, token)]);
    assert.deepEqual(blind.recipients.map((r) => r.address), ['hidden1@blind.test']);
    assert.ok(!remote.message.includes('hidden1'));
    await assertCompleted(remote.message, queueId);
    assert.deepEqual(fieldValues(remote.message, 'From'), ['alice@example.test'], 'a From that is there is left alone');
  });

  it('swaks over implicit TLS on the submissions port, AUTH LOGIN, no From: the account’s is added', { skip: noSwaks }, async () => {
    const token = randomUUID();
    const file = join(install.dir, `swaks-${token}.eml`);
    await writeFile(file, ['To: someone@remote.test', `Subject: implicit ${token}`, '', 'No From, no Date, no Message-ID.'].join('\r\n'));
    const result = await runProgram('swaks', [
      '--server', `127.0.0.1:${install.port('submissions')}`,
      '--tls-on-connect',
      '--ehlo', 'client.test',
      '--from', ALICE,
      '--to', 'someone@remote.test',
      '--auth', 'LOGIN', '--auth-user', ALICE, '--auth-password', install.password(ALICE),
      '--data', `@${file}`,
      '--timeout', '30',
    ]);
    assert.equal(result.code, 0, describeRun(result));
    const queueId = /<~ {2}250 2\.0\.0 Ok: queued as (\S+)/.exec(result.stdout)?.[1];
    assert.ok(queueId, result.stdout);
    const remote = await arrival(install.sinks.remote!, token);
    await assertCompleted(remote.message, queueId);
    // From the account: its id and its display name (given with `user add --name`).
    assert.deepEqual(fieldValues(remote.message, 'From'), ['Alice Example <alice@example.test>']);
    const signed = fieldValues(remote.message, 'DKIM-Signature')[0]!.replace(/\s+/g, '');
    assert.match(signed, /;h=[^;]*\bfrom\b/i, 'the added From is signed');
  });

  it('python3-dkim (dkimpy) verifies every signature too', { skip: noDkimpy }, async () => {
    const expected = noSwaks ? 1 : 3;
    assert.equal(signed.length, expected, 'the messages of the tests above');
    for (const message of signed) {
      const dkimpy = await dkimpyVerify(message, install.dns.port);
      assert.equal(dkimpy.output, 'ok', dkimpy.errors);
    }
  });

  it("refuses to send as someone else's address: 553 5.7.1 for MAIL FROM, 550 5.7.1 for the From field", async () => {
    const token = randomUUID();
    const client = await submissionClient(install, { login: ALICE });
    try {
      await command(client, `MAIL FROM:<${BOB}>`, 553, '5.7.1');
      await command(client, 'MAIL FROM:<ceo@remote.test>', 553, '5.7.1');
      await command(client, 'MAIL FROM:<>', 553, '5.7.1');
      // Her own address in the envelope, Bob's in the header.
      await command(client, `MAIL FROM:<${ALICE}>`, 250, '2.1.0');
      await command(client, 'RCPT TO:<someone@remote.test>', 250, '2.1.5');
      await command(client, 'DATA', 354, '');
      client.write(`From: Bob <${BOB}>\r\nTo: someone@remote.test\r\nSubject: ${token}\r\n\r\nnot from Bob\r\n.\r\n`);
      const refused = await client.reply(20_000);
      assert.equal(refused.code, 550, refused.raw);
      assert.equal(refused.enhanced, '5.7.1', refused.raw);
      // Her sub-address is hers.
      await command(client, `MAIL FROM:<alice+lists@${DOMAIN}>`, 250, '2.1.0');
      await command(client, 'RSET', 250, '2.0.0');
      await command(client, 'QUIT', 221, '2.0.0');
    } finally {
      client.close();
    }
    // Refused at DATA: nothing was queued, so nothing can leave.
    await install.queueEmpty();
    assert.ok(!install.sinks.remote!.transactions.some((t) => t.message.includes(token)));
  });

  it('posthorn dns-records prints MX, SPF, DMARC, PTR advice and the DKIM record that verified the signatures', async () => {
    const result = await install.cli(['dns-records', DOMAIN]);
    assert.equal(result.code, 0, explain(result));
    const lines = result.stdout.split('\n');
    assert.ok(lines.includes(`${DOMAIN}.\tIN\tMX\t10 ${HOSTNAME}.`), result.stdout);
    assert.ok(lines.includes(`${DOMAIN}.\tIN\tTXT\t"v=spf1 mx -all"`), result.stdout);
    assert.ok(lines.some((l) => l.startsWith(`_dmarc.${DOMAIN}.\tIN\tTXT\t"v=DMARC1; p=`)), result.stdout);
    assert.ok(lines.some((l) => l.startsWith(`${HOSTNAME}.\tIN\tA/AAAA\t`)), result.stdout);
    assert.ok(lines.some((l) => /\tIN\tPTR\tmail\.example\.test\.$/.test(l)), result.stdout);
    assert.deepEqual(printedTxt(result.stdout, `${SELECTOR}._domainkey.${DOMAIN}.`), install.dkimRecord);
    assert.match(install.dkimRecord.join(''), /^v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]+$/);
  });
});
