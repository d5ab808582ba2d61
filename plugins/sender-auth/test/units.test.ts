import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeaderList, parseNetworks, validateWithSchema } from '@posthorn/core';
import senderAuth, {
  authResultsValue,
  authservIdOf,
  combine,
  type DkimFinding,
  dkimDecision,
  dmarcDecision,
  type DmarcPolicy,
  formatAddress,
  formatComment,
  formatValue,
  removeOwnResults,
  Replies,
  type SenderAuthOptions,
  spfDecision,
  type SpfCheck,
} from '@posthorn/plugin-sender-auth';

const defaults = (): SenderAuthOptions => {
  const outcome = validateWithSchema<SenderAuthOptions>(senderAuth.options!, {});
  assert.ok(outcome.ok);
  return outcome.value;
};

describe('options', () => {
  it('default to tagging everything, honouring p=quarantine but not p=reject', () => {
    const options = defaults();
    assert.equal(options.strict, true);
    assert.equal(options.authservId, undefined);
    assert.deepEqual(options.skip, { networks: [] });
    assert.deepEqual(options.policy, {
      spf: { fail: 'tag', softfail: 'tag', permerror: 'tag', temperror: 'tag' },
      dkim: { fail: 'tag', temperror: 'tag' },
      dmarc: { fail: 'tag', honorReject: false, honorQuarantine: true, temperror: 'tag', permerror: 'tag' },
      arc: { fail: 'tag' },
    });
  });

  it('refuse unknown keys and actions that do not fit the result', () => {
    assert.equal(validateWithSchema(senderAuth.options!, { policy: { spf: { fail: 'drop' } } }).ok, false);
    assert.equal(validateWithSchema(senderAuth.options!, { policy: { spf: { temperror: 'reject' } } }).ok, false);
    assert.equal(validateWithSchema(senderAuth.options!, { policy: { dmarc: { honourReject: true } } }).ok, false);
    assert.equal(validateWithSchema(senderAuth.options!, { authservId: 'mx.example.org; spf=pass' }).ok, false);
  });
});

describe('Authentication-Results syntax (RFC 8601)', () => {
  it('finds the authserv-id behind comments, in quotes, before a version', () => {
    assert.equal(authservIdOf('mx.test; spf=pass'), 'mx.test');
    assert.equal(authservIdOf('MX.Test;spf=pass'), 'mx.test');
    assert.equal(authservIdOf('  (a (nested) comment \\) here) mx.test 1; none'), 'mx.test');
    assert.equal(authservIdOf('"mx.test"; dkim=pass'), 'mx.test');
    assert.equal(authservIdOf('"m\\x.test" ; dkim=pass'), 'mx.test');
    assert.equal(authservIdOf('mx.test.evil.example; dkim=pass'), 'mx.test.evil.example');
    assert.equal(authservIdOf('(unterminated mx.test; spf=pass'), undefined);
    assert.equal(authservIdOf(''), undefined);
  });

  it('writes values as tokens or quoted strings, addresses as local-part@domain', () => {
    assert.equal(formatValue('example.org'), 'example.org');
    assert.equal(formatValue('ab/cd=ef'), '"ab/cd=ef"');
    assert.equal(formatValue('[192.0.2.1]'), '"[192.0.2.1]"');
    assert.equal(formatValue('say "hi"\\'), '"say \\"hi\\"\\\\"');
    assert.equal(formatAddress('alice@example.org'), 'alice@example.org');
    assert.equal(formatAddress('a b@example.org'), '"a b"@example.org');
    assert.equal(formatAddress('x;y=z@example.org'), '"x;y=z"@example.org');
    assert.equal(formatAddress('user@[192.0.2.1]'), '"user@[192.0.2.1]"');
    assert.equal(formatComment('bad (really) \\ sig\r\nnature'), '(bad \\(really\\) \\\\ sig nature)');
    assert.ok(formatComment('x'.repeat(500)).length < 130);
  });

  it('folds one result per line and says none when nothing was evaluated', () => {
    assert.equal(authResultsValue('mx.test', []), 'mx.test; none');
    assert.equal(
      authResultsValue('mx.test', [
        { method: 'spf', result: 'pass', properties: [['smtp.mailfrom', { address: 'a@example.org' }]] },
        { method: 'dkim', result: 'fail', comment: 'bad signature', properties: [['header.d', { value: 'example.org' }], ['header.b', { value: 'ab/cdefg' }]] },
      ]),
      'mx.test;\r\n\tspf=pass smtp.mailfrom=a@example.org;\r\n\tdkim=fail (bad signature) header.d=example.org header.b="ab/cdefg"',
    );
  });

  it('removes only the fields that claim our authserv-id, keeping the others in place', () => {
    const headers = HeaderList.parse(
      [
        'Received: from a by b',
        'Authentication-Results: mx.test; spf=pass',
        'Authentication-Results: other.example; spf=fail',
        'Subject: hi',
        'Authentication-Results: (x) MX.TEST.;\r\n\tdkim=pass',
        'X-Authentication-Results: mx.test; spf=pass',
      ].join('\r\n'),
    );
    assert.equal(removeOwnResults(headers, 'mx.test'), 2);
    assert.deepEqual(
      headers.fields.map((field) => field.raw),
      ['Received: from a by b', 'Authentication-Results: other.example; spf=fail', 'Subject: hi', 'X-Authentication-Results: mx.test; spf=pass'],
    );
  });
});

describe('policy', () => {
  const spf = (result: SpfCheck['result']): SpfCheck => ({ result, identity: 'mailfrom', subject: 'a@example.org', domain: 'example.org' });
  const dmarcPolicy = (overrides: Partial<DmarcPolicy> = {}): DmarcPolicy => ({ ...defaults().policy.dmarc, ...overrides });

  it('maps SPF results to RFC 7372 codes', () => {
    const policy = { fail: 'reject', softfail: 'reject', permerror: 'reject', temperror: 'tempfail' } as const;
    const codes = (['fail', 'softfail', 'permerror', 'temperror', 'pass', 'neutral', 'none'] as const).map((result) => {
      const decision = spfDecision(spf(result), policy);
      return 'reply' in decision ? `${decision.reply.code} ${decision.reply.enhanced}` : decision.action;
    });
    assert.deepEqual(codes, ['550 5.7.23', '550 5.7.23', '550 5.7.24', '451 4.7.24', 'tag', 'tag', 'tag']);
    assert.deepEqual(spfDecision(spf('fail'), { ...policy, fail: 'junk' }), { action: 'junk', because: 'spf=fail' });
    assert.deepEqual(spfDecision(spf('fail'), defaults().policy.spf), { action: 'tag' });
  });

  it('counts a DKIM failure only when no signature passes', () => {
    const sig = (result: DkimFinding['result']): DkimFinding => ({ result, domain: 'example.org', aligned: false });
    const policy = { fail: 'reject', temperror: 'tempfail' } as const;
    assert.equal(dkimDecision([sig('fail'), sig('pass')], policy).action, 'tag');
    assert.equal(dkimDecision([], policy).action, 'tag');
    assert.equal(dkimDecision([sig('neutral')], policy).action, 'tag');
    const refused = dkimDecision([sig('fail')], policy);
    assert.ok(refused.action === 'reject' && refused.reply === Replies.dkimFail);
    assert.equal(dkimDecision([sig('fail'), sig('temperror')], policy).action, 'tempfail');
  });

  it('applies the published DMARC policy as configured', () => {
    const fail = (policy: string) => ({ result: 'fail' as const, fromDomain: 'example.org', policy });
    assert.equal(dmarcDecision(fail('reject'), dmarcPolicy()).action, 'tag');
    const refused = dmarcDecision(fail('reject'), dmarcPolicy({ honorReject: true }));
    assert.ok(refused.action === 'reject' && refused.reply.code === 550 && refused.reply.enhanced === '5.7.1');
    assert.equal(dmarcDecision(fail('quarantine'), dmarcPolicy()).action, 'junk');
    assert.equal(dmarcDecision(fail('quarantine'), dmarcPolicy({ honorQuarantine: false })).action, 'tag');
    assert.equal(dmarcDecision(fail('none'), dmarcPolicy()).action, 'tag');
    assert.equal(dmarcDecision(fail('none'), dmarcPolicy({ fail: 'junk' })).action, 'junk');
    assert.equal(dmarcDecision(fail('quarantine'), dmarcPolicy({ fail: 'reject' })).action, 'reject');
    assert.equal(dmarcDecision({ result: 'pass', policy: 'reject' }, dmarcPolicy({ honorReject: true, fail: 'reject' })).action, 'tag');
    assert.equal(dmarcDecision({ result: 'temperror' }, dmarcPolicy({ temperror: 'tempfail' })).action, 'tempfail');
    assert.equal(dmarcDecision({ result: 'permerror', reason: 'multiple-from-fields' }, dmarcPolicy({ permerror: 'junk' })).action, 'junk');
  });

  it('prefers a deferral to a refusal, and names several refusals 5.7.26', () => {
    const refusal = spfDecision(spf('fail'), { fail: 'reject', softfail: 'tag', permerror: 'tag', temperror: 'tag' });
    const deferral = spfDecision(spf('temperror'), { fail: 'tag', softfail: 'tag', permerror: 'tag', temperror: 'tempfail' });
    assert.equal(combine([refusal, deferral]), deferral);
    assert.equal(combine([{ action: 'junk', because: 'x' }, refusal, { action: 'tag' }]), refusal);
    const both = combine([refusal, dmarcDecision({ result: 'fail', policy: 'reject' }, dmarcPolicy({ honorReject: true }))]);
    assert.ok(both.action === 'reject' && both.reply.enhanced === '5.7.26' && both.reply.code === 550);
    assert.equal(combine([{ action: 'tag' }]).action, 'tag');
  });
});

describe('skip networks (parsed by core with the option\'s name)', () => {
  const trustedNetworks = (entries: string[]) => parseNetworks(entries, 'sender-auth: skip.networks');
  it('matches IPv4, IPv4-mapped IPv6 and IPv6 clients', () => {
    const trusted = trustedNetworks(['192.0.2.0/24', '2001:db8::/32', '198.51.100.7']);
    assert.ok(trusted.contains('192.0.2.200'));
    assert.ok(trusted.contains('::ffff:192.0.2.1'));
    assert.ok(trusted.contains('2001:db8::25'));
    assert.ok(trusted.contains('198.51.100.7'));
    assert.ok(!trusted.contains('198.51.100.8'));
    assert.ok(!trusted.contains('127.0.0.1'));
    assert.ok(!trustedNetworks([]).contains('127.0.0.1'));
  });

  it('refuses an entry that is no network', () => {
    assert.throws(() => trustedNetworks(['192.0.2.0/33']), /skip\.networks.*192\.0\.2\.0\/33/);
    assert.throws(() => trustedNetworks(['localhost']), /skip\.networks/);
  });
});
