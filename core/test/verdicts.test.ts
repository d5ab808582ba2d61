import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accept, HookSet, type QueueRequest, reject, Replies, reply, type Session, type Transaction } from '@posthorn/core';
import type { EnvelopeRecipient } from '@posthorn/contracts';
import { captureLogs } from '@posthorn/testkit';
// Verdicts is the core's internal policy object; it is not part of the public API.
import { Verdicts } from '../src/verdicts.ts';

function fixtureArgs() {
  const logs = captureLogs('debug');
  const session = { id: 's1', log: logs.logger } as unknown as Session;
  const tx = { id: 't1', session, log: logs.logger } as unknown as Transaction;
  const rcpt: EnvelopeRecipient = { address: 'bob@example.org', params: {} };
  return { logs, session, tx, rcpt };
}

/** The log line that reports a plugin failure, so the test can check who was blamed. */
function failureLine(logs: ReturnType<typeof captureLogs>): Record<string, unknown> {
  const line = logs.lines.find((l) => l.level === 'error');
  assert.ok(line, `no error logged; got ${JSON.stringify(logs.lines)}`);
  return line;
}

const malformed: [string, unknown][] = [
  ['a plain object', { nonsense: true }],
  ['a string', 'accept'],
  ['a number', 250],
  ['true', true],
  ['an unknown action', { action: 'maybe' }],
  ['reject without a reply', { action: 'reject' }],
  ['reject with a malformed reply', { action: 'reject', reply: { code: 550, enhanced: 'x', lines: ['no'] } }],
  ['reject with a mismatched class', { action: 'reject', reply: { code: 550, enhanced: '4.7.1', lines: ['no'] } }],
  ['reject with a positive reply', { action: 'reject', reply: reply(250, '2.0.0', 'Ok') }],
  ['accept with a negative reply', { action: 'accept', reply: { code: 550, enhanced: '5.7.1', lines: ['no'] } }],
  ['accept with a malformed reply', { action: 'accept', reply: 'yes' }],
];

describe('Verdicts.decide', () => {
  for (const [label, garbage] of malformed) {
    it(`treats ${label} as the plugin failing: 451 4.3.0, logged with its name`, async () => {
      const { logs, tx, rcpt } = fixtureArgs();
      const hooks = new HookSet(() => 10_000);
      hooks.tap('rcpt', 'sloppy', async () => garbage as never);
      hooks.tap('rcpt', 'never-reached', async () => accept());
      const refusal = await new Verdicts().decide(hooks, 'rcpt', Replies.relayDenied, tx, rcpt);
      assert.equal(refusal?.code, 451);
      assert.equal(refusal?.enhanced, '4.3.0');
      assert.equal(failureLine(logs).plugin, 'sloppy');
    });
  }

  it('returns the reply of the first rejecting tap', async () => {
    const { logs, tx } = fixtureArgs();
    const hooks = new HookSet(() => 10_000);
    hooks.tap('mailFrom', 'quiet', async () => undefined);
    hooks.tap('mailFrom', 'policy', async () => reject(550, '5.7.1', 'Sender refused'));
    const refusal = await new Verdicts().decide(hooks, 'mailFrom', undefined, tx);
    assert.equal(refusal?.code, 550);
    assert.equal(refusal?.enhanced, '5.7.1');
    const line = logs.find('mailFrom: rejected')[0];
    assert.equal(line?.by, 'policy');
  });

  it('accepts a reject whose reply is plain data (from another copy of the core)', async () => {
    const { logs, tx } = fixtureArgs();
    const hooks = new HookSet(() => 10_000);
    hooks.tap('mailFrom', 'remote', async () => ({ action: 'reject', reply: { code: 450, enhanced: '4.7.1', lines: ['Greylisted'] } }) as never);
    const refusal = await new Verdicts().decide(hooks, 'mailFrom', undefined, tx);
    assert.equal(refusal?.code, 450);
    assert.equal(refusal?.enhanced, '4.7.1');
  });

  it('an accept lets the command through; silence falls back to the default', async () => {
    const { logs, tx, rcpt } = fixtureArgs();
    const accepting = new HookSet(() => 10_000);
    accepting.tap('rcpt', 'owner', async () => accept());
    assert.equal(await new Verdicts().decide(accepting, 'rcpt', Replies.relayDenied, tx, rcpt), undefined);
    const silent = new HookSet(() => 10_000);
    silent.tap('rcpt', 'shrug', async () => undefined);
    assert.equal(await new Verdicts().decide(silent, 'rcpt', Replies.relayDenied, tx, rcpt), Replies.relayDenied);
    assert.equal(await new Verdicts().decide(silent, 'rcpt', undefined, tx, rcpt), undefined);
  });

  it('a timeout is a 451 4.3.0 blamed on the slow plugin', async () => {
    const { logs, tx } = fixtureArgs();
    const hooks = new HookSet(() => 50);
    hooks.tap('mailFrom', 'sleepy', () => new Promise(() => undefined));
    const refusal = await new Verdicts().decide(hooks, 'mailFrom', undefined, tx);
    assert.equal(refusal?.code, 451);
    assert.equal(refusal?.enhanced, '4.3.0');
    const line = failureLine(logs);
    assert.equal(line.plugin, 'sleepy');
    assert.equal(line.kind, 'timeout');
  });
});

describe('Verdicts.authenticate', () => {
  const request = { method: 'PLAIN', login: 'ann', password: 'secret', validatePassword: undefined };

  it('an accept without a user counts as the plugin failing', async () => {
    const { logs, session } = fixtureArgs();
    const hooks = new HookSet(() => 10_000);
    hooks.tap('auth', 'careless', async () => accept() as never);
    const outcome = await new Verdicts().authenticate(hooks, session, request);
    assert.ok('reply' in outcome);
    // A broken auth plugin is a temporary problem, not wrong credentials.
    assert.equal(outcome.reply.code, 454);
    assert.equal(outcome.reply.enhanced, '4.7.0');
    assert.equal(failureLine(logs).plugin, 'careless');
  });

  it('an accept with a user establishes it', async () => {
    const { session } = fixtureArgs();
    const hooks = new HookSet(() => 10_000);
    const user = { id: 'ann@example.org', login: 'ann', method: 'PLAIN' };
    hooks.tap('auth', 'directory', async () => ({ action: 'accept', user }));
    const outcome = await new Verdicts().authenticate(hooks, session, request);
    assert.deepEqual(outcome, { user });
  });

  it('nobody answering is a failed login, 535 5.7.8', async () => {
    const { session } = fixtureArgs();
    const outcome = await new Verdicts().authenticate(new HookSet(() => 10_000), session, request);
    assert.ok('reply' in outcome);
    assert.equal(outcome.reply.code, 535);
    assert.equal(outcome.reply.enhanced, '5.7.8');
  });

  it('a reject with a positive reply counts as the plugin failing', async () => {
    const { logs, session } = fixtureArgs();
    const hooks = new HookSet(() => 10_000);
    hooks.tap('auth', 'confused', async () => ({ action: 'reject', reply: reply(235, '2.7.0', 'Ok') }) as never);
    const outcome = await new Verdicts().authenticate(hooks, session, request);
    assert.ok('reply' in outcome);
    assert.equal(outcome.reply.code, 454);
    assert.equal(failureLine(logs).plugin, 'confused');
  });
});

describe('Verdicts.queue and deliver', () => {
  it('nobody queueing the message is 451 4.3.0 decided by the core', async () => {
    const { logs } = fixtureArgs();
    const request = { envelope: {}, message: Buffer.alloc(0), log: logs.logger } as unknown as QueueRequest;
    const outcome = await new Verdicts().queue(new HookSet(() => 10_000), request);
    assert.equal(outcome.by, 'core');
    assert.equal(outcome.verdict.action, 'reject');
    assert.ok(outcome.verdict.action === 'reject');
    assert.equal(outcome.verdict.reply.code, 451);
    assert.equal(outcome.verdict.reply.enhanced, '4.3.0');
  });

  it('a queue tap that throws is a 451 attributed to it', async () => {
    const { logs } = fixtureArgs();
    const request = { envelope: {}, message: Buffer.alloc(0), log: logs.logger } as unknown as QueueRequest;
    const hooks = new HookSet(() => 10_000);
    hooks.tap('queue', 'disk', async () => {
      throw new Error('ENOSPC');
    });
    const outcome = await new Verdicts().queue(hooks, request);
    assert.equal(outcome.by, 'disk');
    assert.ok(outcome.verdict.action === 'reject');
    assert.equal(outcome.verdict.reply.code, 451);
    assert.equal(outcome.verdict.reply.enhanced, '4.3.0');
  });

  it('nobody delivering is a temporary 451 4.3.5 from the core', async () => {
    const { logs } = fixtureArgs();
    const delivery = { log: logs.logger } as never;
    const outcome = await new Verdicts().deliver(new HookSet(() => 10_000), delivery);
    assert.equal(outcome.by, 'core');
    assert.ok(outcome.verdict.action === 'reject');
    assert.equal(outcome.verdict.reply.code, 451);
    assert.equal(outcome.verdict.reply.enhanced, '4.3.5');
  });
});
