import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { parseDocumentText, RuleSetError, validateWithSchema } from '@posthorn/core';
import { type AccessFileData, accessFileSchema, compileAccessList, compileHostPatterns, type EntryData, firstMatch, STAGES } from '../src/index.ts';

/** Validates like the rule-set loader does (defaults filled), then compiles. */
function compile(rules: unknown[]) {
  const checked = validateWithSchema<AccessFileData>(accessFileSchema, { rules });
  assert.ok(checked.ok, JSON.stringify(!checked.ok && checked.issues));
  return compileAccessList(checked.value);
}

function issuesOf(rules: EntryData[]): { pointer: string; message: string }[] {
  try {
    compile(rules);
  } catch (err) {
    assert.ok(err instanceof RuleSetError, String(err));
    return [...err.issues];
  }
  return assert.fail('compiled without problems');
}

describe('access rules: stages', () => {
  it('checks an entry at the latest stage of what it names', () => {
    const list = compile([
      { client: '192.0.2.0/24', action: 'reject' },
      { helo: 'bad.example', action: 'reject' },
      { client: '192.0.2.0/24', sender: '@example.org', action: 'reject' },
      { sender: '<>', recipient: 'x@example.org', action: 'reject' },
      { client: '192.0.2.1', recipient: '@example.org', action: 'allow' },
    ]);
    assert.deepEqual(
      list.entries.map((e) => STAGES[e.stage]),
      ['connect', 'helo', 'mailFrom', 'rcpt', 'rcpt'],
    );
  });
});

describe('access rules: matching', () => {
  const list = compile([
    { client: ['192.0.2.0/24', '2001:db8::/32'], sender: ['@spam.example', '<>'], action: 'reject' },
    { helo: ['.dynamic.example', '[192.0.2.9]'], action: 'tempfail' },
    { sender: 'ceo@example.org', action: 'allow' },
    { recipient: ['abuse@', '.example.net'], action: 'reject' },
  ]);
  const [spam, dynamic, ceo, recipient] = list.entries;

  it('needs every matcher an entry names, and one item of each list', () => {
    assert.equal(spam!.matches({ client: '192.0.2.5', sender: 'x@spam.example' }), true);
    assert.equal(spam!.matches({ client: '2001:db8::5', sender: '' }), true, 'the null sender as <>');
    assert.equal(spam!.matches({ client: '198.51.100.1', sender: 'x@spam.example' }), false, 'another client');
    assert.equal(spam!.matches({ client: '192.0.2.5', sender: 'x@example.org' }), false, 'another sender');
    assert.equal(spam!.matches({ client: '192.0.2.5' }), false, 'the sender is not known yet');
  });

  it('matches HELO names, subdomains and address literals', () => {
    for (const helo of ['host-1.dynamic.example', 'A.B.DYNAMIC.EXAMPLE', '[192.0.2.9]']) assert.equal(dynamic!.matches({ client: '198.51.100.1', helo }), true, helo);
    for (const helo of ['dynamic.example', 'static.example', '[192.0.2.10]']) assert.equal(dynamic!.matches({ client: '198.51.100.1', helo }), false, helo);
  });

  it('matches recipients by local part and domain suffix', () => {
    assert.equal(recipient!.matches({ client: '1.2.3.4', sender: 'a@b.example', recipient: 'Abuse@example.org' }), true);
    assert.equal(recipient!.matches({ client: '1.2.3.4', sender: 'a@b.example', recipient: 'x@mail.example.net' }), true);
    assert.equal(recipient!.matches({ client: '1.2.3.4', sender: 'a@b.example', recipient: 'x@example.org' }), false);
    assert.equal(ceo!.matches({ client: '1.2.3.4', sender: 'CEO@Example.org' }), true);
  });

  it('lets the first entry in file order decide, whatever stage it belongs to', () => {
    const ordered = compile([
      { sender: '@spam.example', action: 'reject' },
      { client: '127.0.0.0/8', action: 'allow' },
      { recipient: 'blocked@localhost', action: 'reject' },
    ]);
    // At connect only the client entry can be checked: it allows.
    assert.equal(firstMatch(ordered, { client: '127.0.0.1' }, 0, 0)?.index, 1);
    // At MAIL FROM the sender entry comes first in the file and wins over the allow.
    assert.equal(firstMatch(ordered, { client: '127.0.0.1', sender: 'x@spam.example' }, 0, 2)?.action, 'reject');
    // An allow that decided earlier covers the entries after it.
    assert.equal(firstMatch(ordered, { client: '127.0.0.1', sender: 'x@ok.example', recipient: 'blocked@localhost' }, 3, 3, 1), undefined);
  });
});

describe('access rules: replies', () => {
  it('uses 554/421 at connect and 550/451 later, with 5.7.1/4.7.1, by default', () => {
    const list = compile([
      { client: '192.0.2.1', action: 'reject' },
      { client: '192.0.2.2', action: 'tempfail' },
      { sender: '@a.example', action: 'reject' },
      { recipient: '@b.example', action: 'tempfail' },
    ]);
    const replies = list.entries.map((e) => e.replyAt(e.stage).toString());
    assert.deepEqual(replies, [
      '554 5.7.1 Access denied\r\n',
      '421 4.7.1 Access temporarily denied, try again later\r\n',
      '550 5.7.1 Access denied\r\n',
      '451 4.7.1 Access temporarily denied, try again later\r\n',
    ]);
    // A connect entry that fires again at MAIL FROM (a new file mid-session) uses that stage's code.
    assert.equal(list.entries[1]!.replyAt(2).code, 451);
    assert.equal(list.entries[0]!.replyAt(2).code, 550);
  });

  it('takes a custom code, enhanced code and text that fit the action and stage', () => {
    const list = compile([
      { sender: '@a.example', action: 'reject', reply: { code: 553, enhanced: '5.7.0', text: 'Sender domain refused' } },
      { client: '192.0.2.1', action: 'tempfail', reply: { text: 'Maintenance, come back soon' } },
    ]);
    assert.equal(list.entries[0]!.replyAt(2).toString(), '553 5.7.0 Sender domain refused\r\n');
    assert.equal(list.entries[1]!.replyAt(0).toString(), '421 4.7.1 Maintenance, come back soon\r\n');
    assert.equal(list.entries[1]!.replyAt(2).toString(), '451 4.7.1 Maintenance, come back soon\r\n', 'not 421 outside the greeting');
  });

  it('refuses codes that do not fit, naming the pointer of each', () => {
    const issues = issuesOf([
      { sender: '@a.example', action: 'tempfail', reply: { code: 550 } },
      { sender: '@a.example', action: 'reject', reply: { code: 451 } },
      { client: '192.0.2.1', action: 'reject', reply: { code: 550 } },
      { sender: '@a.example', action: 'tempfail', reply: { code: 421 } },
      { sender: '@a.example', action: 'reject', reply: { code: 550, enhanced: '4.7.1' } },
      { sender: '@a.example', action: 'allow', reply: { text: 'hello' } },
    ]);
    assert.deepEqual(
      issues.map((i) => i.pointer),
      ['/rules/0/reply/code', '/rules/1/reply/code', '/rules/2/reply/code', '/rules/3/reply/code', '/rules/4/reply/enhanced', '/rules/5/reply'],
    );
    assert.match(issues[0]!.message, /tempfail entry checked at mailFrom replies 450, 451, not 550/);
    assert.match(issues[2]!.message, /reject entry checked at connect replies 554, not 550/);
  });

  it('the schema refuses a malformed enhanced code and control characters in the text', () => {
    for (const reply of [{ enhanced: '5.7' }, { enhanced: '6.7.1' }, { text: 'two\r\n250 lines' }, { code: 'x' }, {}]) {
      const checked = validateWithSchema(accessFileSchema, { rules: [{ sender: '@a.example', action: 'reject', reply }] });
      assert.equal(checked.ok, false, JSON.stringify(reply));
    }
  });
});

describe('access rules: bad entries', () => {
  it('reports each bad network, pattern and empty entry by pointer', () => {
    const issues = issuesOf([
      { client: ['192.0.2.0/24', '192.0.2.0/33'], action: 'reject' },
      { client: 'example.org', action: 'reject' },
      { helo: 'not a name', action: 'reject' },
      { sender: ['<>', 'example.org'], action: 'reject' },
      { recipient: '@', action: 'reject' },
      { action: 'reject' },
    ]);
    assert.deepEqual(
      issues.map((i) => i.pointer),
      ['/rules/0/client/1', '/rules/1/client', '/rules/2/helo', '/rules/3/sender/1', '/rules/4/recipient', '/rules/5'],
    );
  });

  it('host patterns refuse what is not a name', () => {
    assert.deepEqual(
      compileHostPatterns(['ok.example', '.ok.example', '[::1]', 'bad name', '.']).invalid.map((i) => i.index),
      [3, 4],
    );
  });
});

describe('the shipped example', () => {
  it('config/examples/rules/access.yaml is a valid access list that does what its comments say', async () => {
    const parsed = parseDocumentText(await readFile(new URL('../../../config/examples/rules/access.yaml', import.meta.url), 'utf8'));
    assert.ok(parsed.ok);
    const list = compile((parsed.document.data as { rules: unknown[] }).rules);
    const decide = (facts: Parameters<typeof firstMatch>[1]) => firstMatch(list, facts, 0, 3)?.action;
    assert.equal(decide({ client: '2001:db8:100::5', sender: 'x@spam.example' }), 'allow');
    assert.equal(decide({ client: '198.51.100.23' }), 'reject');
    assert.equal(decide({ client: '203.0.113.1', helo: 'h1.dyn.example.net' }), 'reject');
    assert.equal(decide({ client: '203.0.113.1', helo: 'mx.example.com', sender: 'a@mail.spam.example' }), 'reject');
    assert.equal(decide({ client: '203.0.113.1', helo: 'mx.example.com', sender: 'a@partner.example', recipient: 'internal-only@example.org' }), 'allow');
    assert.equal(decide({ client: '203.0.113.1', helo: 'mx.example.com', sender: 'a@other.example', recipient: 'internal-only@example.org' }), 'reject');
    assert.equal(decide({ client: '203.0.113.1', helo: 'mx.example.com', sender: 'a@other.example', recipient: 'bob@example.org' }), undefined);
  });
});
