/**
 * Remote delivery as the sending example runs it, with the real binary: MX records from the
 * test DNS server, SMTP sinks as the remote mail exchangers, queue-fs retrying within the test.
 * A dead first MX is skipped; a 4xx is retried and then delivered (and shows up in
 * `posthorn queue list --json` meanwhile); a 5xx gives the sender exactly one failure notice in
 * her mailbox; mail from the null sender is never bounced; a null MX bounces at once without
 * a connection; the DSN parameters of the submission reach a DSN-capable mail exchanger.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SmtpClient, type SinkAddress, type SinkVerdict } from '@posthorn/testkit';
import { readInbox, type StoredMessage, waitForToken } from './helpers/maildir.ts';
import { explain } from './helpers/posthorn.ts';
import { command, queueIdOf } from './helpers/replies.ts';
import { DOMAIN, fieldValues, HOSTNAME, type SendingServer, startSendingServer, submissionClient, waitForLog } from './helpers/sending.ts';
import { waitFor } from './helpers/wait.ts';

const ALICE = `alice@${DOMAIN}`;

/** A queue entry as `posthorn queue list --json` prints it. */
interface ListedMessage {
  id: string;
  from: string;
  nextAttemptAt: string | null;
  recipients: { address: string; status: string; attempts: number; nextAttemptAt: string | null; lastReply: string | null; lastReplyBy: string | null }[];
}

/** The delivery-status part of a notice, unfolded, as field lines. */
function statusFields(notice: Buffer): string[] {
  const text = notice.toString('latin1');
  const start = text.indexOf('Content-Type: message/delivery-status');
  assert.ok(start !== -1, `no delivery-status part:\n${text}`);
  const body = text.slice(text.indexOf('\r\n\r\n', start) + 4);
  return body
    .slice(0, body.indexOf('\r\n--'))
    .replace(/\r\n[ \t]+/g, ' ')
    .split('\r\n')
    .filter(Boolean);
}

describe('outbound delivery, retries and bounces with the sending example', () => {
  let install: SendingServer;
  /** Per recipient of the `remote` sink: what to answer to its RCPT on the n-th attempt (1-based). */
  const rules = new Map<string, (attempt: number) => SinkVerdict>();
  const attempts = new Map<string, number>();

  before(async () => {
    install = await startSendingServer({
      sinks: [
        {
          name: 'remote',
          host: '127.0.0.1',
          options: {
            hostname: 'mx2.remote.test',
            starttls: true,
            onRcpt: (recipient: SinkAddress) => {
              const address = recipient.address.toLowerCase();
              const attempt = (attempts.get(address) ?? 0) + 1;
              attempts.set(address, attempt);
              return rules.get(address)?.(attempt);
            },
          },
        },
        { name: 'dsn', host: '127.0.0.2', options: { hostname: 'mx.dsn.test', starttls: true, dsn: true } },
      ],
      zone: {
        // The preferred MX is an address where nothing listens (the sinks hold the port on
        // 127.0.0.1 and 127.0.0.2 only): its connection is refused.
        'remote.test': { MX: [{ exchange: 'mx1.remote.test', priority: 10 }, { exchange: 'mx2.remote.test', priority: 20 }] },
        'mx1.remote.test': { A: ['127.0.0.3'] },
        'mx2.remote.test': { A: ['127.0.0.1'] },
        'dsn.test': { MX: [{ exchange: 'mx.dsn.test', priority: 10 }] },
        'mx.dsn.test': { A: ['127.0.0.2'] },
        // RFC 7505: this domain takes no mail.
        'nullmx.test': { MX: [{ exchange: '.', priority: 0 }], A: ['127.0.0.1'] },
      },
      users: [{ address: ALICE, name: 'Alice Example' }],
      // Clients on loopback may relay through the mx listener without AUTH (a web
      // application on the same host, say): how a null-sender message gets in below.
      relayNetworks: ['127.0.0.0/8'],
    });
  });
  after(() => install?.dispose());

  /** Alice submits a message over STARTTLS + AUTH; returns the queue id. */
  async function submit(token: string, to: readonly string[], params: { mail?: string; rcpt?: Readonly<Record<string, string>> } = {}): Promise<string> {
    const client = await submissionClient(install, { login: ALICE });
    try {
      await command(client, `MAIL FROM:<${ALICE}>${params.mail ? ` ${params.mail}` : ''}`, 250, '2.1.0');
      for (const rcpt of to) await command(client, `RCPT TO:<${rcpt}>${params.rcpt?.[rcpt] ? ` ${params.rcpt[rcpt]}` : ''}`, 250, '2.1.5');
      await command(client, 'DATA', 354, '');
      client.write(`From: Alice Example <${ALICE}>\r\nTo: ${to.join(', ')}\r\nSubject: ${token}\r\n\r\ntoken ${token}\r\n.\r\n`);
      const reply = await client.reply(20_000);
      assert.equal(reply.code, 250, reply.raw);
      await command(client, 'QUIT', 221, '2.0.0');
      return queueIdOf(reply.raw);
    } finally {
      client.close();
    }
  }

  /** Notices in Alice's INBOX about the message with `token` (their attached header names it). */
  async function noticesAbout(token: string): Promise<StoredMessage[]> {
    return (await readInbox(install.maildir(ALICE))).filter((m) => m.bytes.includes(token) && m.bytes.includes('multipart/report'));
  }

  it('skips a dead first MX and delivers to the second', async () => {
    const token = randomUUID();
    const queueId = await submit(token, ['someone@remote.test']);
    const got = await install.sinks.remote!.waitFor((s) => s.messages.find((m) => m.message.includes(token)), 20_000, 'the message at mx2');
    assert.deepEqual(got.recipients.map((r) => r.address), ['someone@remote.test']);
    assert.equal(got.mailFrom.address, ALICE);
    assert.equal(got.servername, 'mx2.remote.test', 'STARTTLS with the MX host name as SNI');
    // mx1 was looked up and tried first (its address refused the connection).
    assert.ok(install.dns.queries.includes('A mx1.remote.test'), install.dns.queries.join('\n'));
    await install.queueEmpty();
    const delivered = await waitForLog(install.server, (l) => l.msg === 'remote delivery' && l.rcpt === 'someone@remote.test' && l.result === 'delivered');
    assert.equal(delivered.host, 'mx2.remote.test', JSON.stringify(delivered));
    await waitForLog(install.server, (l) => l.msg === 'delivered' && l.tid === queueId);
  });

  it('retries a 4xx and delivers on the next attempt, without a notice to the sender', async () => {
    const token = randomUUID();
    rules.set('later@remote.test', (attempt) => (attempt === 1 ? { code: 451, message: '4.3.2 Not now, try again later' } : undefined));
    await submit(token, ['later@remote.test']);
    const got = await install.sinks.remote!.waitFor((s) => s.messages.find((m) => m.message.includes(token)), 20_000, 'the retried message');
    assert.deepEqual(got.recipients.map((r) => r.address), ['later@remote.test']);
    assert.equal(attempts.get('later@remote.test'), 2, 'refused once, accepted at the second attempt');
    await install.queueEmpty();
    assert.deepEqual(await noticesAbout(token), [], 'a deferral under delayWarning.after sends nothing');
    await waitForLog(install.server, (l) => l.msg === 'remote delivery' && l.rcpt === 'later@remote.test' && l.result === 'deferred' && l.code === 451);
  });

  it('shows a deferred recipient with its last error and next attempt in posthorn queue list --json', async () => {
    const token = randomUUID();
    let greylisting = true;
    rules.set('stuck@remote.test', () => (greylisting ? { code: 451, message: '4.7.1 Greylisted, come back later' } : undefined));
    const queueId = await submit(token, ['stuck@remote.test']);
    try {
      // Two refusals: the first attempt's outcome is recorded by then.
      await waitFor(() => ((attempts.get('stuck@remote.test') ?? 0) >= 2 ? true : undefined), 'two attempts refused with 451');
      const result = await install.cli(['queue', 'list', '--json']);
      assert.equal(result.code, 0, explain(result));
      const listed = (JSON.parse(result.stdout) as ListedMessage[]).find((m) => m.id === queueId);
      assert.ok(listed, `message ${queueId} listed:\n${result.stdout}`);
      assert.equal(listed.from, ALICE);
      const [recipient] = listed.recipients;
      assert.equal(recipient?.address, 'stuck@remote.test');
      assert.equal(recipient.status, 'deferred');
      assert.ok(recipient.attempts >= 1, `attempts ${recipient.attempts}`);
      assert.match(recipient.lastReply ?? '', /^451 4\.7\.1 mx2\.remote\.test \[127\.0\.0\.1\] said: 451 4\.7\.1 Greylisted, come back later$/);
      assert.equal(recipient.lastReplyBy, 'outbound');
      assert.ok(recipient.nextAttemptAt && !Number.isNaN(Date.parse(recipient.nextAttemptAt)), `next attempt: ${recipient.nextAttemptAt}`);
      assert.equal(listed.nextAttemptAt, recipient.nextAttemptAt);
    } finally {
      greylisting = false;
    }
    await install.sinks.remote!.waitFor((s) => s.messages.find((m) => m.message.includes(token)), 20_000, 'the message once greylisting ends');
    await install.queueEmpty();
  });

  it("bounces a 5xx with exactly one failure notice in the sender's mailbox, quoting the remote reply", async () => {
    const token = randomUUID();
    rules.set('nobody@remote.test', () => ({ code: 550, message: '5.1.1 <nobody@remote.test>: Recipient address rejected: User unknown' }));
    const queueId = await submit(token, ['nobody@remote.test']);
    const [notice] = await waitForToken(install.maildir(ALICE), token);
    await install.queueEmpty();
    const notices = await noticesAbout(token);
    assert.equal(notices.length, 1, notices.map((n) => n.file).join('\n'));
    assert.equal(notice!.file, notices[0]!.file);
    assert.ok(notice!.file.startsWith(join(install.maildir(ALICE), 'new')), notice!.file);

    const bytes = notice!.bytes;
    assert.deepEqual(fieldValues(bytes, 'From'), [`Mail Delivery System <MAILER-DAEMON@${HOSTNAME}>`]);
    assert.deepEqual(fieldValues(bytes, 'To'), [`<${ALICE}>`]);
    assert.deepEqual(fieldValues(bytes, 'Subject'), ['Undelivered Mail Returned to Sender']);
    assert.deepEqual(fieldValues(bytes, 'Auto-Submitted'), ['auto-replied']);
    assert.match(fieldValues(bytes, 'Content-Type')[0] ?? '', /^multipart\/report; report-type=delivery-status;/);
    const status = statusFields(bytes);
    assert.ok(status.includes(`Reporting-MTA: dns; ${HOSTNAME}`), status.join('\n'));
    assert.ok(status.includes('Final-Recipient: rfc822; nobody@remote.test'), status.join('\n'));
    assert.ok(status.includes('Action: failed'), status.join('\n'));
    assert.ok(status.includes('Status: 5.1.1'), status.join('\n'));
    const diagnostic = status.find((line) => line.startsWith('Diagnostic-Code: '));
    assert.equal(diagnostic, 'Diagnostic-Code: smtp; 550 5.1.1 mx2.remote.test [127.0.0.1] said: 550 5.1.1 <nobody@remote.test>: Recipient address rejected: User unknown');
    // The original's header comes back (no RET: header only), with its Subject and queue id.
    assert.match(bytes.toString('latin1'), /Content-Type: text\/rfc822-headers[\s\S]*\r\nSubject: /);
    assert.ok(bytes.includes(`id ${queueId}`), 'the returned header has our Received field with the queue id');
  });

  it('never bounces a message from the null sender: no notice anywhere, the queue empties', async () => {
    const token = randomUUID();
    rules.set('nobody-either@remote.test', () => ({ code: 550, message: '5.1.1 No such user' }));
    const before = (await readInbox(install.maildir(ALICE))).length;
    const client = await SmtpClient.open(install.port('mx'));
    let queueId: string;
    try {
      await command(client, 'EHLO app.example.test', 250, '');
      await command(client, 'MAIL FROM:<>', 250, '2.1.0');
      await command(client, 'RCPT TO:<nobody-either@remote.test>', 250, '2.1.5');
      await command(client, 'DATA', 354, '');
      client.write(`From: Mail Delivery System <MAILER-DAEMON@app.example.test>\r\nTo: nobody-either@remote.test\r\nSubject: ${token}\r\n\r\na notice about a notice\r\n.\r\n`);
      const reply = await client.reply(20_000);
      assert.equal(reply.code, 250, reply.raw);
      queueId = queueIdOf(reply.raw);
      await command(client, 'QUIT', 221, '2.0.0');
    } finally {
      client.close();
    }
    await waitFor(() => ((attempts.get('nobody-either@remote.test') ?? 0) >= 1 ? true : undefined), 'the refused delivery attempt');
    await install.queueEmpty();
    await waitForLog(install.server, (l) => l.msg === 'not bouncing a message from the null sender' && l.tid === queueId);
    // Nothing was made from it: no notice in any local mailbox, nothing at any remote.
    assert.equal((await readInbox(install.maildir(ALICE))).length, before);
    const mailRoot = join(install.dataDir, 'mail');
    for (const domain of await readdir(mailRoot)) {
      for (const user of await readdir(join(mailRoot, domain))) {
        for (const message of await readInbox(join(mailRoot, domain, user))) assert.ok(!message.bytes.includes(token), message.file);
      }
    }
    for (const sink of Object.values(install.sinks)) assert.ok(!sink.transactions.some((t) => t.message.includes(token)));
    assert.equal(attempts.get('nobody-either@remote.test'), 1, 'a 5xx is final: no second attempt');
  });

  it('bounces a recipient in a null MX domain at once, with one notice and no connection', async () => {
    const token = randomUUID();
    const connectionsBefore = Object.values(install.sinks).map((sink) => sink.connections.total);
    await submit(token, ['someone@nullmx.test']);
    await waitForToken(install.maildir(ALICE), token);
    await install.queueEmpty();
    const notices = await noticesAbout(token);
    assert.equal(notices.length, 1);
    const status = statusFields(notices[0]!.bytes);
    assert.ok(status.includes('Final-Recipient: rfc822; someone@nullmx.test'), status.join('\n'));
    assert.ok(status.includes('Action: failed'), status.join('\n'));
    assert.ok(status.includes('Status: 5.1.10'), status.join('\n'));
    assert.match(status.find((l) => l.startsWith('Diagnostic-Code: ')) ?? '', /^Diagnostic-Code: smtp; 556 5\.1\.10 /);
    assert.deepEqual(Object.values(install.sinks).map((sink) => sink.connections.total), connectionsBefore, 'no mail exchanger was contacted');
    assert.ok(install.dns.queries.includes('MX nullmx.test'));
    assert.ok(!install.dns.queries.some((q) => q === 'A nullmx.test' || q === 'AAAA nullmx.test'), 'a null MX is not followed to the domain’s address');
  });

  it('passes NOTIFY, ORCPT, RET and ENVID on to a DSN-capable mail exchanger, and leaves them out for one that is not', async () => {
    const token = randomUUID();
    const client = await submissionClient(install, { login: ALICE });
    try {
      const ehlo = await client.command('EHLO client.test');
      assert.ok(ehlo.lines.includes('DSN'), `DSN advertised on submission: ${ehlo.raw}`);
    } finally {
      client.close();
    }
    await submit(token, ['someone@dsn.test', 'other@remote.test'], {
      mail: 'RET=HDRS ENVID=QQ314159',
      rcpt: { 'someone@dsn.test': 'NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;someone@dsn.test', 'other@remote.test': 'NOTIFY=FAILURE' },
    });
    const [capable, plain] = await Promise.all([
      install.sinks.dsn!.waitFor((s) => s.messages.find((m) => m.message.includes(token)), 20_000, 'the message at the DSN-capable MX'),
      install.sinks.remote!.waitFor((s) => s.messages.find((m) => m.message.includes(token)), 20_000, 'the message at the plain MX'),
    ]);
    assert.equal(capable.mailFrom.params.RET, 'HDRS');
    assert.equal(capable.mailFrom.params.ENVID, 'QQ314159');
    assert.deepEqual(capable.recipients, [{ address: 'someone@dsn.test', params: { NOTIFY: 'SUCCESS,FAILURE', ORCPT: 'rfc822;someone@dsn.test' } }]);
    assert.equal(plain.mailFrom.params.RET, undefined);
    assert.equal(plain.mailFrom.params.ENVID, undefined);
    assert.deepEqual(plain.recipients, [{ address: 'other@remote.test', params: {} }]);

    // NOTIFY=SUCCESS: Alice hears that the message was relayed to a server that takes it from here.
    const [notice] = await waitForToken(install.maildir(ALICE), token);
    await install.queueEmpty();
    assert.equal((await noticesAbout(token)).length, 1, 'one success notice, for the recipient that asked');
    assert.deepEqual(fieldValues(notice!.bytes, 'Subject'), ['Successful Mail Delivery Report']);
    const status = statusFields(notice!.bytes);
    assert.ok(status.includes('Original-Envelope-Id: QQ314159'), status.join('\n'));
    assert.ok(status.includes('Original-Recipient: rfc822; someone@dsn.test'), status.join('\n'));
    assert.ok(status.includes('Action: relayed'), status.join('\n'));
    assert.match(await readFile(notice!.file, 'latin1'), /Final-Recipient: rfc822; someone@dsn\.test/);
  });
});
