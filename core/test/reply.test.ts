import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accept, reject, Replies, reply, SmtpReply, tempfail } from '@posthorn/core';

describe('SmtpReply', () => {
  it('keeps code, enhanced code and text', () => {
    const r = new SmtpReply(550, '5.7.1', 'Relaying denied');
    assert.equal(r.code, 550);
    assert.equal(r.enhanced, '5.7.1');
    assert.deepEqual(r.lines, ['Relaying denied']);
    assert.equal(r.isPermanent, true);
    assert.equal(r.isTransient, false);
    assert.equal(r.isPositive, false);
    assert.ok(Object.isFrozen(r));
    assert.ok(Object.isFrozen(r.lines));
  });

  it('refuses an enhanced code whose class does not match the basic code', () => {
    assert.throws(() => new SmtpReply(550, '4.7.1', 'x'), RangeError);
    assert.throws(() => new SmtpReply(250, '5.0.0', 'x'), RangeError);
    assert.throws(() => new SmtpReply(451, '2.0.0', 'x'), RangeError);
    assert.throws(() => new SmtpReply(250, '4.0.0', 'x'), RangeError);
  });

  it('refuses malformed enhanced codes', () => {
    for (const bad of ['', '5', '5.7', '5.7.1.1', '3.0.0', '1.0.0', '6.0.0', '5.1000.1', '5.1.1000', '5.x.1', ' 5.7.1', '5.7.1 ', '5..1']) {
      assert.throws(() => new SmtpReply(550, bad, 'x'), RangeError, `accepted ${JSON.stringify(bad)}`);
    }
  });

  it('refuses reply codes out of range', () => {
    for (const code of [0, 199, 600, 250.5, Number.NaN]) {
      assert.throws(() => new SmtpReply(code, '2.0.0', 'x'), RangeError, `accepted ${code}`);
    }
  });

  it('refuses control characters in the text, which could split the reply', () => {
    for (const text of ['a\r\n250 2.0.0 forged', 'a\nb', 'a\rb', 'nul\x00', 'tab\there', 'del\x7f', 'esc\x1b[31m']) {
      assert.throws(() => new SmtpReply(550, '5.7.1', text), RangeError, `accepted ${JSON.stringify(text)}`);
      assert.throws(() => new SmtpReply(550, '5.7.1', ['fine', text]), RangeError, `accepted ${JSON.stringify(text)} as second line`);
    }
  });

  it('serialises a one-line reply with CRLF', () => {
    assert.equal(reply(250, '2.0.0', 'Ok').toString(), '250 2.0.0 Ok\r\n');
  });

  it('serialises a multi-line reply with hyphens on every line but the last', () => {
    const r = reply(550, '5.7.1', ['first', 'second', 'third']);
    assert.equal(r.toString(), '550-5.7.1 first\r\n550-5.7.1 second\r\n550 5.7.1 third\r\n');
    assert.equal(r.text, '5.7.1 first\n5.7.1 second\n5.7.1 third');
  });

  it('serialises an empty text as one line', () => {
    assert.equal(reply(250, '2.0.0', []).toString(), '250 2.0.0 \r\n');
  });

  it('round-trips through JSON data', () => {
    const r = reply(452, '4.5.3', 'Too many recipients');
    const data = JSON.parse(JSON.stringify(r)) as { code: number; enhanced: string; lines: string[] };
    assert.deepEqual(data, { code: 452, enhanced: '4.5.3', lines: ['Too many recipients'] });
    const back = SmtpReply.from(data);
    assert.equal(back.toString(), r.toString());
    assert.equal(SmtpReply.from(r), r);
    assert.throws(() => SmtpReply.from({ code: 452, enhanced: '5.5.3', lines: ['x'] }), RangeError);
  });
});

describe('verdict helpers', () => {
  it('accept() takes no reply or a positive one', () => {
    assert.deepEqual(accept(), { action: 'accept' });
    const positive = reply(250, '2.1.5', 'Recipient ok');
    assert.equal(accept(positive).reply, positive);
  });

  it('accept() refuses a 4xx or 5xx reply', () => {
    assert.throws(() => accept(reply(550, '5.7.1', 'no')), RangeError);
    assert.throws(() => accept(reply(451, '4.3.0', 'later')), RangeError);
  });

  it('reject() builds a refusal and refuses positive or mismatched replies', () => {
    const r = reject(550, '5.7.1', 'Relaying denied');
    assert.equal(r.action, 'reject');
    assert.equal(r.reply.code, 550);
    assert.equal(r.reply.enhanced, '5.7.1');
    assert.equal(reject(Replies.relayDenied).reply, Replies.relayDenied);
    assert.throws(() => reject(250, '2.0.0', 'Ok'), RangeError);
    assert.throws(() => reject(reply(250, '2.0.0', 'Ok')), RangeError);
    assert.throws(() => reject(550, '4.7.1', 'mismatch'), RangeError);
    assert.throws(() => reject(250, '5.0.0', 'mismatch'), RangeError);
  });

  it('tempfail() defaults to 451 4.3.0', () => {
    const r = tempfail();
    assert.equal(r.reply.code, 451);
    assert.equal(r.reply.enhanced, '4.3.0');
    const custom = tempfail('4.7.1', 'Greylisted', 450);
    assert.equal(custom.reply.code, 450);
    assert.equal(custom.reply.enhanced, '4.7.1');
  });

  it('tempfail() refuses anything that is not a temporary failure', () => {
    assert.throws(() => tempfail('5.7.1', 'permanent', 550), RangeError);
    assert.throws(() => tempfail('2.0.0', 'positive', 250), RangeError);
    assert.throws(() => tempfail('5.3.0'), RangeError);
  });
});

describe('Replies', () => {
  it('every reply the core sends has a matching enhanced code', () => {
    for (const [name, r] of Object.entries(Replies)) {
      assert.ok(r instanceof SmtpReply, name);
      assert.ok(r.code >= 400, `${name} is a refusal`);
      assert.equal(r.enhanced[0], String(r.code)[0], name);
    }
  });
});
