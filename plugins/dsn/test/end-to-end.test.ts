import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Mailboxes, type MailStore, Queue, type MessageQueue } from '@posthorn/contracts';
import { reply, silentLogger } from '@posthorn/core';
import { SmtpClient, startTestServer, tempDir, type TestServer } from '@posthorn/testkit';
import { state } from './fixtures/routes.ts';
import { fieldValue, type ParsedReport, parseContentType, parseReport } from './report-parser.ts';

const ACCOUNTS = `
domains: [localhost]
users:
  alice@localhost: { name: Alice }
  bob@localhost: { name: Bob }
`;
const ROUTES = fileURLToPath(new URL('./fixtures/routes.ts', import.meta.url));
const ALICE_INBOX = { user: 'alice@localhost', mailbox: 'INBOX' };

interface Rcpt {
  readonly address: string;
  readonly params?: string;
}

describe('notices end to end: queue-fs, local delivery and dsn in one server', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: TestServer;
  let store: MailStore;
  let queue: MessageQueue;

  before(async () => {
    dir = await tempDir('posthorn-dsn-e2e-');
    await writeFile(join(dir.path, 'accounts.yaml'), ACCOUNTS);
    server = await startTestServer(
      {
        plugins: [
          { plugin: 'accounts-file', options: { file: 'accounts.yaml' } },
          'mailbox-maildir',
          ROUTES,
          // Tiny times: a slow.test recipient is retried every 50 ms and expires after 1 s; the
          // delay warning is due from 0.1 s, so many deferrals fall in the window.
          { plugin: 'queue-fs', options: { retry: { initial: 0.05, factor: 1, max: 0.05, jitter: 0 }, maxAge: 1 } },
          { plugin: 'dsn', options: { delayWarning: { after: 0.1 }, queueMaxAge: 1 } },
        ],
      },
      { dir: dir.path, logger: silentLogger() },
    );
    store = server.app.services.get(Mailboxes)!;
    queue = server.app.services.get(Queue)!;
  });
  after(async () => {
    await server.stop();
    await dir.remove();
  });

  /** Sends one message; resolves to its queue id. */
  async function send(from: string, rcpts: readonly Rcpt[], subject: string, mailParams = ''): Promise<string> {
    const client = await SmtpClient.open(server.port());
    try {
      assert.equal((await client.command('EHLO client.test')).code, 250);
      assert.equal((await client.command(`MAIL FROM:<${from}>${mailParams ? ` ${mailParams}` : ''}`)).code, 250);
      for (const rcpt of rcpts) assert.equal((await client.command(`RCPT TO:<${rcpt.address}>${rcpt.params ? ` ${rcpt.params}` : ''}`)).code, 250, rcpt.address);
      assert.equal((await client.command('DATA')).code, 354);
      client.write(`From: Alice <alice@localhost>\r\nTo: someone\r\nSubject: ${subject}\r\nMessage-ID: <${subject}@localhost>\r\n\r\nHello.\r\n.\r\n`);
      const done = await client.reply();
      assert.equal(done.code, 250, done.raw);
      const id = /queued as (\S+)/.exec(done.raw)?.[1];
      assert.ok(id, done.raw);
      return id;
    } finally {
      client.close();
    }
  }

  /** Waits until the queue is empty: the message and every notice it caused are final. */
  async function settled(): Promise<void> {
    const deadline = Date.now() + 15_000;
    while ((await queue.list()).length > 0) {
      assert.ok(Date.now() < deadline, 'the queue did not empty in time');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Notices in alice's INBOX about the message with this subject (its Message-ID), parsed. */
  async function noticesAbout(subject: string): Promise<ParsedReport[]> {
    const found: ParsedReport[] = [];
    for (const meta of await store.listMessages(ALICE_INBOX)) {
      const raw = await store.readMessage(ALICE_INBOX, meta.uid);
      if (!raw.includes('multipart/report')) continue;
      const report = parseReport(raw);
      if (report.returned.includes(`Message-ID: <${subject}@localhost>`)) found.push(report);
    }
    return found;
  }

  const actions = (reports: readonly ParsedReport[]) => reports.map((r) => r.status[1]!.action).sort();

  it('bounces a failed recipient to a local sender exactly once, though the first enqueue is refused', async () => {
    state.refuseNotices = 1;
    const id = await send('alice@localhost', [{ address: 'bob@failing.test', params: 'ORCPT=rfc822;bob+2B41@failing.test' }], 'failed1', 'RET=FULL ENVID=env+2Bid');
    await settled();
    assert.deepEqual(state.refused, [`${id}.dsn-failure`], 'the first try was refused, so the bounce ran again');
    assert.ok(state.queued.includes(`${id}.dsn-failure`));

    const notices = await noticesAbout('failed1');
    assert.equal(notices.length, 1, 'exactly one notice');
    const report = notices[0]!;
    assert.equal(fieldValue(report.top, 'From'), 'Mail Delivery System <MAILER-DAEMON@mx.test>');
    assert.equal(fieldValue(report.top, 'To'), '<alice@localhost>');
    assert.equal(fieldValue(report.top, 'Subject'), 'Undelivered Mail Returned to Sender');
    assert.equal(fieldValue(report.top, 'Auto-Submitted'), 'auto-replied');
    assert.equal(report.status[0]!['reporting-mta'], 'dns; mx.test');
    // The client's xtext (`+2B`) is decoded exactly once on the way.
    assert.equal(report.status[0]!['original-envelope-id'], 'env+id');
    assert.ok(Date.parse(report.status[0]!['arrival-date']!) > Date.now() - 60_000);
    assert.deepEqual(report.status[1], {
      'original-recipient': 'rfc822; bob+41@failing.test',
      'final-recipient': 'rfc822; bob@failing.test',
      action: 'failed',
      status: '5.1.1',
      'diagnostic-code': 'smtp; 550 5.1.1 No such user here',
    });
    assert.equal(parseContentType(fieldValue(report.parts[2]!, 'Content-Type')!).type, 'message/rfc822', 'RET=FULL');
    assert.match(report.returned.toString(), /^Received: .*\r\n[\s\S]*\r\n\r\nHello\.\r\n$/);
    assert.match(report.prose, /<bob@failing\.test> The mail system reported: 550 5\.1\.1 No such user here/);
  });

  it('stores no second notice when the same bounce runs again after the first was delivered', async () => {
    const id = await send('alice@localhost', [{ address: 'bob@failing.test' }], 'again1');
    await settled();
    assert.equal((await noticesAbout('again1')).length, 1);
    // As after a crash between the notice and queue-fs recording the bounce: the same event again.
    const original = Buffer.from('From: Alice <alice@localhost>\r\nSubject: again1\r\nMessage-ID: <again1@localhost>\r\n\r\nHello.\r\n');
    const envelope = {
      id,
      mailFrom: 'alice@localhost',
      mailFromParams: {},
      recipients: [{ address: 'bob@failing.test', params: {} }],
      receivedAt: new Date().toISOString(),
      origin: { listener: 'mx', role: 'mx', remoteAddress: '127.0.0.1', tls: false },
      notes: {},
    };
    const event = {
      envelope,
      failures: [{ recipient: envelope.recipients[0]!, reply: reply(550, '5.1.1', 'No such user here'), reason: 'failed' as const, by: undefined }],
      read: async () => original,
      log: silentLogger(),
    };
    // One at a time: a repeat while the first copy is being removed from the queue hits a
    // queue-fs race (see the README's limits), which is not what this test is about.
    await server.app.lifecycle.bounce(event);
    await settled();
    await server.app.lifecycle.bounce(event);
    await settled();
    assert.equal((await noticesAbout('again1')).length, 1, 'the notice id is the same, and local delivery dedupes on it');
  });

  it('sends nothing for a message from the null sender, or for NOTIFY=NEVER', async () => {
    const before = (await store.status(ALICE_INBOX)).messages;
    const fromNull = await send('', [{ address: 'bob@failing.test' }], 'null1');
    const never = await send('alice@localhost', [{ address: 'bob@failing.test', params: 'NOTIFY=NEVER' }], 'never1');
    await settled();
    assert.ok(!state.queued.some((queued) => queued.startsWith(`${fromNull}.`) || queued.startsWith(`${never}.`)), 'no notice was queued');
    assert.equal((await store.status(ALICE_INBOX)).messages, before);
  });

  it('reports expiry as failed with the last temporary status', async () => {
    const id = await send('alice@localhost', [{ address: 'x@slow.test', params: 'NOTIFY=FAILURE' }], 'expired1');
    await settled();
    const notices = await noticesAbout('expired1');
    assert.deepEqual(actions(notices), ['failed'], 'NOTIFY=FAILURE: no delay warning');
    const block = notices[0]!.status[1]!;
    assert.equal(block.status, '4.4.1');
    assert.equal(block['diagnostic-code'], 'smtp; 451 4.4.1 No answer from host');
    assert.match(notices[0]!.prose, /Delivery was tried for less than a minute without success/);
    assert.ok(!state.queued.includes(`${id}.dsn-delay-0`));
  });

  it('warns of a delay once, then bounces at expiry', async () => {
    const id = await send('alice@localhost', [{ address: 'y@slow.test' }], 'delayed1');
    await settled();
    const notices = await noticesAbout('delayed1');
    assert.deepEqual(actions(notices), ['delayed', 'failed'], 'one warning (though deferred many times), one bounce');
    const warning = notices.find((r) => r.status[1]!.action === 'delayed')!;
    assert.equal(fieldValue(warning.top, 'Subject'), 'Delayed Mail (still being retried)');
    assert.equal(warning.status[1]!.status, '4.4.1');
    const arrival = Date.parse(warning.status[0]!['arrival-date']!);
    assert.equal(Date.parse(warning.status[1]!['will-retry-until']!) - arrival, 1000, 'arrival + queueMaxAge');
    assert.equal(state.queued.filter((queued) => queued === `${id}.dsn-delay-0`).length, 1);
  });

  it('confirms delivery for NOTIFY=SUCCESS: delivered locally, relayed remotely', async () => {
    await send(
      'alice@localhost',
      [
        { address: 'bob@localhost', params: 'NOTIFY=SUCCESS,FAILURE' },
        { address: 'carol@relay.test', params: 'NOTIFY=SUCCESS' },
        { address: 'dave@relay.test' },
      ],
      'success1',
    );
    await settled();
    const notices = await noticesAbout('success1');
    assert.deepEqual(actions(notices), ['delivered', 'relayed'], 'nothing for dave (no NOTIFY)');
    const delivered = notices.find((r) => r.status[1]!.action === 'delivered')!;
    assert.equal(fieldValue(delivered.top, 'Subject'), 'Successful Mail Delivery Report');
    assert.equal(delivered.status[1]!['final-recipient'], 'rfc822; bob@localhost');
    assert.equal(delivered.status[1]!.status, '2.0.0');
    const relayed = notices.find((r) => r.status[1]!.action === 'relayed')!;
    assert.equal(relayed.status[1]!['final-recipient'], 'rfc822; carol@relay.test');
    assert.equal(relayed.status[1]!['diagnostic-code'], 'smtp; 250 2.0.0 Queued on the far side');
    assert.equal((await store.status({ user: 'bob@localhost', mailbox: 'INBOX' })).messages, 1, 'bob got the message itself');
  });
});
