import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { reject, reply } from '@posthorn/core';
import { tempDir } from '@posthorn/testkit';
import { bounceEvent, envelope, type Harness, ORIGINAL, startPlugin } from './harness.ts';
import { fieldValue, parseContentType, parseReport } from './report-parser.ts';

const USER_UNKNOWN = reply(550, '5.1.1', 'No such user here');
const ORIGINAL_HEADER = ORIGINAL.subarray(0, ORIGINAL.indexOf('\r\n\r\n') + 2);

describe('failure notices from the bounce hook', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let dsn: Harness;

  before(async () => {
    dir = await tempDir('posthorn-dsn-');
    dsn = await startPlugin({}, { dataDir: dir.path });
  });
  after(() => dir.remove());

  const take = () => {
    const queued = dsn.queued.splice(0);
    assert.equal(queued.length, 1, 'exactly one notice queued');
    return queued[0]!;
  };

  it('sends one multipart/report from <> to the sender, with every field', async () => {
    const env = envelope({
      mailFromParams: { ENVID: 'QQ314159' },
      recipients: [{ address: 'bob@failing.test', params: { ORCPT: 'rfc822;Bob@Failing.test', NOTIFY: 'FAILURE' } }],
    });
    await dsn.bounce(bounceEvent(env, [{ reply: USER_UNKNOWN, by: 'mx.failing.test' }]));
    const notice = take();

    assert.equal(notice.envelope.id, 'm0abcdef0123456789.dsn-failure');
    assert.equal(notice.envelope.mailFrom, '', 'the null sender: a notice is never bounced');
    assert.deepEqual(notice.envelope.recipients, [{ address: 'alice@localhost', params: {} }]);
    assert.deepEqual(notice.envelope.mailFromParams, {}, '7-bit: no BODY=8BITMIME');

    const report = parseReport(notice.message);
    assert.equal(fieldValue(report.top, 'From'), 'Mail Delivery System <MAILER-DAEMON@mx.test>');
    assert.equal(fieldValue(report.top, 'To'), '<alice@localhost>');
    assert.equal(fieldValue(report.top, 'Subject'), 'Undelivered Mail Returned to Sender');
    assert.equal(fieldValue(report.top, 'Auto-Submitted'), 'auto-replied');
    assert.equal(fieldValue(report.top, 'Message-ID'), '<m0abcdef0123456789.dsn-failure@mx.test>');
    const date = fieldValue(report.top, 'Date')!;
    assert.match(date, /^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
    assert.ok(Math.abs(Date.parse(date) - Date.now()) < 60_000);

    assert.equal(report.status.length, 2, 'per-message block and one recipient block');
    assert.deepEqual(report.status[0], {
      'reporting-mta': 'dns; mx.test',
      'original-envelope-id': 'QQ314159',
      'arrival-date': 'Mon, 01 Jan 2024 00:00:00 +0000',
    });
    assert.deepEqual(report.status[1], {
      'original-recipient': 'rfc822; Bob@Failing.test',
      'final-recipient': 'rfc822; bob@failing.test',
      action: 'failed',
      status: '5.1.1',
      'remote-mta': 'dns; mx.failing.test',
      'diagnostic-code': 'smtp; 550 5.1.1 No such user here',
    });

    assert.equal(parseContentType(fieldValue(report.parts[2]!, 'Content-Type')!).type, 'text/rfc822-headers', 'no RET: header only');
    assert.deepEqual(report.returned, ORIGINAL_HEADER);
    assert.match(report.prose, /could not be delivered to the recipient below/);
    assert.match(report.prose, /<bob@failing\.test>/);
    assert.match(report.prose, /550 5\.1\.1 No such user here/);
    assert.match(report.prose, /header of your message is attached/);
    assert.doesNotMatch(report.prose, /m0abcdef|dsn-failure|mx\.failing/, 'no queue ids or internals in the text');
  });

  it('returns the whole message for RET=FULL, and only the header above maxReturnSize', async () => {
    await dsn.bounce(bounceEvent(envelope({ mailFromParams: { RET: 'full' } }), [{ reply: USER_UNKNOWN }]));
    const full = parseReport(take().message);
    assert.equal(parseContentType(fieldValue(full.parts[2]!, 'Content-Type')!).type, 'message/rfc822');
    assert.deepEqual(full.returned, ORIGINAL);
    assert.match(full.prose, /Your message is attached/);

    const small = await startPlugin({ maxReturnSize: 100 }, { dataDir: dir.path });
    await small.bounce(bounceEvent(envelope({ mailFromParams: { RET: 'FULL' } }), [{ reply: USER_UNKNOWN }]));
    const limited = parseReport(small.queued[0]!.message);
    assert.equal(parseContentType(fieldValue(limited.parts[2]!, 'Content-Type')!).type, 'text/rfc822-headers');
    assert.deepEqual(limited.returned, ORIGINAL_HEADER);

    await dsn.bounce(bounceEvent(envelope({ mailFromParams: { RET: 'HDRS' } }), [{ reply: USER_UNKNOWN }]));
    assert.equal(parseContentType(fieldValue(parseReport(take().message).parts[2]!, 'Content-Type')!).type, 'text/rfc822-headers');
  });

  it('labels an 8-bit original 8bit, for the part, the report and the envelope (BODY=8BITMIME)', async () => {
    const eightBit = Buffer.concat([ORIGINAL_HEADER, Buffer.from('\r\nGrüße aus Köln\r\n', 'utf8')]);
    await dsn.bounce(bounceEvent(envelope({ mailFromParams: { RET: 'FULL' } }), [{ reply: USER_UNKNOWN }], eightBit));
    const notice = take();
    assert.deepEqual(notice.envelope.mailFromParams, { BODY: '8BITMIME' });
    const report = parseReport(notice.message);
    assert.equal(fieldValue(report.parts[2]!, 'Content-Transfer-Encoding'), '8bit');
    assert.equal(fieldValue(report.top, 'Content-Transfer-Encoding'), '8bit');
    assert.deepEqual(report.returned, eightBit);
  });

  it('keeps a header with 8-bit bytes and an overlong line 7-bit through quoted-printable', async () => {
    const header = Buffer.from(`Subject: Grüße\r\nX-Long: ${'x'.repeat(2000)}\r\nFrom: a@localhost\r\n`, 'utf8');
    const message = Buffer.concat([header, Buffer.from('\r\nbody\r\n')]);
    // RET=FULL too: a line over 998 octets cannot travel as message/rfc822, so the header it is.
    await dsn.bounce(bounceEvent(envelope({ mailFromParams: { RET: 'FULL' } }), [{ reply: USER_UNKNOWN }], message));
    const notice = take();
    assert.deepEqual(notice.envelope.mailFromParams, {});
    const report = parseReport(notice.message);
    const type = parseContentType(fieldValue(report.parts[2]!, 'Content-Type')!);
    assert.equal(type.type, 'text/rfc822-headers');
    assert.equal(type.params.charset, 'utf-8');
    assert.equal(fieldValue(report.parts[2]!, 'Content-Transfer-Encoding'), 'quoted-printable');
    assert.deepEqual(report.returned, header);
  });

  it('reports expiry as failed with the last temporary code, or 4.4.7 when that code says nothing', async () => {
    const env = envelope({ recipients: [{ address: 'a@slow.test', params: {} }, { address: 'b@slow.test', params: {} }] });
    await dsn.bounce(
      bounceEvent(env, [
        { index: 0, reply: reply(451, '4.4.1', 'No answer from host'), reason: 'expired' },
        { index: 1, reply: reply(451, '4.0.0', 'Try later'), reason: 'expired' },
      ]),
    );
    const report = parseReport(take().message);
    assert.equal(report.status.length, 3, 'one notice for both recipients');
    assert.equal(report.status[1]!.action, 'failed');
    assert.equal(report.status[1]!.status, '4.4.1');
    assert.equal(report.status[1]!['diagnostic-code'], 'smtp; 451 4.4.1 No answer from host');
    assert.equal(report.status[2]!.status, '4.4.7');
    assert.equal(report.status[1]!['remote-mta'], undefined, 'no host named');
    assert.match(report.prose, /Delivery was tried for \d+ days? without success/);
  });

  it('joins a multi-line reply and keeps it 7-bit', async () => {
    await dsn.bounce(bounceEvent(envelope(), [{ reply: reply(550, '5.7.1', ['Rejected by policy', 'see https://example.test/why – sorry']) }]));
    const report = parseReport(take().message);
    assert.equal(report.status[1]!['diagnostic-code'], 'smtp; 550 5.7.1 Rejected by policy see https://example.test/why ? sorry');
  });

  it('respects NOTIFY: NEVER and SUCCESS-only recipients get no failure notice', async () => {
    const env = envelope({
      recipients: [
        { address: 'never@failing.test', params: { NOTIFY: 'NEVER' } },
        { address: 'success@failing.test', params: { NOTIFY: 'SUCCESS' } },
        { address: 'delay@failing.test', params: { NOTIFY: 'delay,failure' } },
      ],
    });
    await dsn.bounce(bounceEvent(env, [{ index: 0, reply: USER_UNKNOWN }, { index: 1, reply: USER_UNKNOWN }]));
    assert.equal(dsn.queued.length, 0, 'nobody asked for one');
    await dsn.bounce(bounceEvent(env, [0, 1, 2].map((index) => ({ index, reply: USER_UNKNOWN }))));
    const report = parseReport(take().message);
    assert.deepEqual(report.status.slice(1).map((block) => block['final-recipient']), ['rfc822; delay@failing.test']);
  });

  it('never sends a notice to the null sender', async () => {
    await dsn.bounce(bounceEvent(envelope({ mailFrom: '' }), [{ reply: USER_UNKNOWN }]));
    assert.equal(dsn.queued.length, 0);
  });

  it('throws when the queue refuses, and queues the same id when the bounce is run again', async () => {
    const env = envelope({ id: 'retry0000000000001' });
    const ids: string[] = [];
    dsn.answer = (request) => {
      ids.push(request.envelope.id);
      return { verdict: reject(451, '4.3.0', 'Message not queued'), by: 'fake-queue' };
    };
    try {
      await assert.rejects(dsn.bounce(bounceEvent(env, [{ reply: USER_UNKNOWN }])), /refused the failure notice retry0000000000001\.dsn-failure \(451 4\.3\.0/);
    } finally {
      dsn.answer = (request) => {
        ids.push(request.envelope.id);
        return { verdict: { action: 'accept' }, by: 'fake-queue' };
      };
    }
    assert.equal(dsn.queued.length, 0);
    await dsn.bounce(bounceEvent(env, [{ reply: USER_UNKNOWN }]));
    await dsn.bounce(bounceEvent(env, [{ reply: USER_UNKNOWN }]));
    assert.deepEqual(ids, Array(3).fill('retry0000000000001.dsn-failure'), 'one id, however often the bounce runs');
    dsn.queued.splice(0);
  });

  it('takes Original-Recipient and Original-Envelope-Id as decoded once, writes non-ASCII addresses as RFC 6533 utf-8', async () => {
    // smtp-server has already decoded xtext: a client's `ORCPT=rfc822;bob+2B41@x` arrives as `bob+41@x`.
    const env = envelope({
      mailFrom: 'jörg@localhost',
      mailFromParams: { ENVID: 'id+2Bwith plus' },
      recipients: [{ address: 'zoë@failing.test', params: { ORCPT: 'rfc822;bob+41@failing.test' } }],
    });
    await dsn.bounce(bounceEvent(env, [{ reply: USER_UNKNOWN }]));
    const notice = take();
    assert.deepEqual(notice.envelope.mailFromParams, { SMTPUTF8: '' }, 'a UTF-8 To field needs SMTPUTF8');
    assert.deepEqual(notice.envelope.recipients, [{ address: 'jörg@localhost', params: {} }]);
    const report = parseReport(notice.message);
    assert.equal(report.status[0]!['original-envelope-id'], 'id+2Bwith plus', 'not decoded a second time');
    assert.equal(report.status[1]!['original-recipient'], 'rfc822; bob+41@failing.test', 'not decoded a second time');
    assert.equal(report.status[1]!['final-recipient'], 'utf-8; zo\\x{EB}@failing.test');
  });

  it('ignores a malformed ORCPT instead of writing a broken field', async () => {
    await dsn.bounce(bounceEvent(envelope({ recipients: [{ address: 'bob@failing.test', params: { ORCPT: 'no-type-here' } }] }), [{ reply: USER_UNKNOWN }]));
    assert.equal(parseReport(take().message).status[1]!['original-recipient'], undefined);
  });

  it('takes the From field from the options', async () => {
    const custom = await startPlugin({ fromName: 'Postmaster, Example', fromAddress: 'postmaster@example.test' }, { dataDir: dir.path });
    await custom.bounce(bounceEvent(envelope(), [{ reply: USER_UNKNOWN }]));
    assert.equal(fieldValue(parseReport(custom.queued[0]!.message).top, 'From'), '"Postmaster, Example" <postmaster@example.test>');
  });
});
