import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { reply } from '@posthorn/core';
import { tempDir } from '@posthorn/testkit';
import { bounceEvent, delayedEvent, deliveredEvent, envelope, type Harness, startPlugin } from './harness.ts';
import { fieldValue, parseContentType, parseReport } from './report-parser.ts';

const DEFERRED = reply(451, '4.4.1', 'No answer from host');
const HOUR = 3600_000;

/** An envelope that arrived `ageMs` ago. */
function aged(ageMs: number, params: Record<string, string> = {}, id = `d${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`) {
  return envelope({
    id,
    mailFromParams: { RET: 'FULL' },
    receivedAt: new Date(Date.now() - ageMs).toISOString(),
    recipients: [
      { address: 'bob@slow.test', params },
      { address: 'carol@slow.test', params },
    ],
  });
}

describe('delay warnings from the delayed hook', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let dsn: Harness;
  const records = () => readdir(join(dir.path, 'dsn', 'delay-warnings'));

  before(async () => {
    dir = await tempDir('posthorn-dsn-');
    dsn = await startPlugin({ delayWarning: { after: 3600 }, queueMaxAge: 86400 }, { dataDir: dir.path });
  });
  after(() => dir.remove());

  it('says nothing before `after` has passed since arrival', async () => {
    await dsn.delayed(delayedEvent(aged(HOUR - 60_000), 0, DEFERRED));
    assert.equal(dsn.queued.length, 0);
  });

  it('warns once per recipient, with Action delayed, the 4.x.x status and Will-Retry-Until', async () => {
    const env = aged(HOUR + 60_000);
    await dsn.delayed(delayedEvent(env, 0, DEFERRED, '192.0.2.1'));
    assert.equal(dsn.queued.length, 1);
    const notice = dsn.queued[0]!;
    assert.equal(notice.envelope.id, `${env.id}.dsn-delay-0`);
    assert.equal(notice.envelope.mailFrom, '');
    const report = parseReport(notice.message);
    assert.equal(fieldValue(report.top, 'Subject'), 'Delayed Mail (still being retried)');
    const block = report.status[1]!;
    assert.equal(block.action, 'delayed');
    assert.equal(block.status, '4.4.1');
    assert.equal(block['final-recipient'], 'rfc822; bob@slow.test');
    assert.equal(block['diagnostic-code'], 'smtp; 451 4.4.1 No answer from host');
    assert.equal(block['remote-mta'], undefined, 'a bare IP is no host name');
    assert.equal(Date.parse(block['will-retry-until']!), Math.floor((Date.parse(env.receivedAt) + 86400_000) / 1000) * 1000);
    assert.ok(Math.abs(Date.parse(block['last-attempt-date']!) - Date.now()) < 60_000);
    assert.equal(parseContentType(fieldValue(report.parts[2]!, 'Content-Type')!).type, 'text/rfc822-headers', 'RET=FULL concerns failures only');
    assert.match(report.prose, /keep trying until/);

    await dsn.delayed(delayedEvent(env, 0, DEFERRED));
    await dsn.delayed(delayedEvent(env, 0, DEFERRED));
    assert.equal(dsn.queued.length, 1, 'the same recipient is not warned twice');
    await dsn.delayed(delayedEvent(env, 1, DEFERRED));
    assert.equal(dsn.queued.length, 2, 'the other recipient gets its own warning');
    assert.equal(dsn.queued[1]!.envelope.id, `${env.id}.dsn-delay-1`);

    // A restart: a new plugin instance over the same data directory remembers.
    const restarted = await startPlugin({ delayWarning: { after: 3600 } }, { dataDir: dir.path });
    await restarted.delayed(delayedEvent(env, 0, DEFERRED));
    await restarted.delayed(delayedEvent(env, 1, DEFERRED));
    assert.equal(restarted.queued.length, 0, 'still once after a restart');

    // Final states forget the records: delivered for one, bounced for the other.
    assert.deepEqual((await records()).filter((name) => name.startsWith(env.id)).sort(), [`${env.id}.0`, `${env.id}.1`]);
    await dsn.delivered(deliveredEvent(env, 0, reply(250, '2.0.0', 'Ok')));
    await dsn.bounce(bounceEvent(env, [{ index: 1, reply: DEFERRED, reason: 'expired' }]));
    assert.deepEqual((await records()).filter((name) => name.startsWith(env.id)), []);
    dsn.queued.splice(0);
  });

  it('records nothing when the queue refuses, so the next deferral tries again', async () => {
    const env = aged(2 * HOUR);
    dsn.answer = () => ({ verdict: { action: 'reject', reply: reply(451, '4.3.0', 'Not now') }, by: 'fake-queue' });
    await assert.rejects(dsn.delayed(delayedEvent(env, 0, DEFERRED)), /refused the delay notice/);
    dsn.answer = () => ({ verdict: { action: 'accept' }, by: 'fake-queue' });
    await dsn.delayed(delayedEvent(env, 0, DEFERRED));
    assert.equal(dsn.queued.length, 1);
    dsn.queued.splice(0);
  });

  it('follows NOTIFY: DELAY or no NOTIFY warns; FAILURE, SUCCESS or NEVER alone does not', async () => {
    for (const [notify, expected] of [
      ['DELAY', 1],
      ['FAILURE,DELAY', 1],
      ['FAILURE', 0],
      ['SUCCESS', 0],
      ['NEVER', 0],
    ] as const) {
      await dsn.delayed(delayedEvent(aged(2 * HOUR, { NOTIFY: notify }), 0, DEFERRED));
      assert.equal(dsn.queued.splice(0).length, expected, `NOTIFY=${notify}`);
    }
  });

  it('is off with enabled: false, and never goes to the null sender', async () => {
    const off = await startPlugin({ delayWarning: { enabled: false, after: 1 } }, { dataDir: dir.path });
    await off.delayed(delayedEvent(aged(2 * HOUR), 0, DEFERRED));
    assert.equal(off.queued.length, 0);
    await dsn.delayed(delayedEvent({ ...aged(2 * HOUR), mailFrom: '' }, 0, DEFERRED));
    assert.equal(dsn.queued.length, 0);
  });

  it('omits Will-Retry-Until when the queue age is not configured', async () => {
    const plain = await startPlugin({ delayWarning: { after: 1 } }, { dataDir: dir.path });
    await plain.delayed(delayedEvent(aged(2 * HOUR), 0, DEFERRED));
    const report = parseReport(plain.queued[0]!.message);
    assert.equal(report.status[1]!['will-retry-until'], undefined);
    assert.match(report.prose, /keep trying for a while/);
  });
});

describe('success notices from the delivered hook', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let dsn: Harness;

  before(async () => {
    dir = await tempDir('posthorn-dsn-');
    dsn = await startPlugin({}, { dataDir: dir.path, localDomains: ['localhost'] });
  });
  after(() => dir.remove());

  const twoRecipients = (notify: string) =>
    envelope({
      recipients: [
        { address: 'carol@localhost', params: { NOTIFY: notify, ORCPT: 'rfc822;carol@localhost' } },
        { address: 'dave@remote.test', params: { NOTIFY: notify } },
      ],
    });

  it('reports local delivery as delivered, 2.0.0', async () => {
    const env = twoRecipients('SUCCESS,FAILURE');
    await dsn.delivered(deliveredEvent(env, 0, reply(250, '2.0.0', 'Delivered'), 'mailbox-maildir'));
    assert.equal(dsn.queued.length, 1);
    const notice = dsn.queued.splice(0)[0]!;
    assert.equal(notice.envelope.id, `${env.id}.dsn-success-0`);
    assert.equal(notice.envelope.mailFrom, '');
    const report = parseReport(notice.message);
    assert.equal(fieldValue(report.top, 'Subject'), 'Successful Mail Delivery Report');
    assert.deepEqual(report.status[1], {
      'original-recipient': 'rfc822; carol@localhost',
      'final-recipient': 'rfc822; carol@localhost',
      action: 'delivered',
      status: '2.0.0',
    });
    assert.match(report.prose, /was delivered to the recipient below/);
  });

  it('reports a hand-over to another server as relayed, with its reply and host', async () => {
    const env = twoRecipients('SUCCESS');
    await dsn.delivered(deliveredEvent(env, 1, reply(250, '2.6.0', 'Queued as 12345'), 'mx.remote.test'));
    const report = parseReport(dsn.queued.splice(0)[0]!.message);
    assert.deepEqual(report.status[1], {
      'final-recipient': 'rfc822; dave@remote.test',
      action: 'relayed',
      status: '2.6.0',
      'remote-mta': 'dns; mx.remote.test',
      'diagnostic-code': 'smtp; 250 2.6.0 Queued as 12345',
    });
    assert.match(report.prose, /does not confirm delivery/);
  });

  it('says nothing without NOTIFY=SUCCESS, and nothing to the null sender', async () => {
    const env = twoRecipients('FAILURE,DELAY');
    await dsn.delivered(deliveredEvent(env, 0, reply(250, '2.0.0', 'Delivered')));
    await dsn.delivered(deliveredEvent(envelope(), 0, reply(250, '2.0.0', 'Delivered')));
    await dsn.delivered(deliveredEvent({ ...twoRecipients('SUCCESS'), mailFrom: '' }, 0, reply(250, '2.0.0', 'Delivered')));
    assert.equal(dsn.queued.length, 0);
  });
});
