import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Message, RuleSetError, validateWithSchema } from '@posthorn/core';
import {
  bodyText,
  checkHelo,
  compileRules,
  decodeEncodedWords,
  domainsToAsk,
  interpret,
  reversedAddress,
  ruleFileSchema,
  statusValue,
  urlHosts,
  type DnsList,
} from '@posthorn/plugin-spam';
import { compileSenders } from '../src/senders.ts';

const DEFAULTS = { thresholds: { required: 5 }, dnsLists: [] };

/** Validates like the rule set does, then compiles; returns the issues of a refused file. */
function compile(data: unknown, defaults = DEFAULTS) {
  const checked = validateWithSchema(ruleFileSchema, data);
  if (!checked.ok) return { issues: checked.issues };
  try {
    return { rules: compileRules(checked.value as never, defaults) };
  } catch (err) {
    if (err instanceof RuleSetError) return { issues: err.issues };
    throw err;
  }
}

describe('DNS list names (RFC 5782)', () => {
  it('reverses IPv4 octets', () => {
    assert.equal(reversedAddress('192.0.2.99'), '99.2.0.192');
    assert.equal(reversedAddress('::ffff:127.0.0.2'), '2.0.0.127');
  });

  it('reverses the 32 nibbles of an IPv6 address', () => {
    // RFC 5782 2.4's example.
    assert.equal(reversedAddress('2001:db8:1:2:3:4:567:89ab'), 'b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2');
    assert.equal(reversedAddress('::1'), `1${'.0'.repeat(31)}`);
  });

  it('returns nothing for what is no address', () => {
    assert.equal(reversedAddress('localhost'), undefined);
  });
});

describe('DNS list answers', () => {
  const list: DnsList = {
    name: 'ZEN',
    zone: 'zen.test',
    kind: 'ip',
    score: 1,
    codes: [
      { name: 'ZEN_SBL', score: 3, ranges: [{ from: 0x7f000002, to: 0x7f000003 }] },
      { name: 'ZEN_PBL', score: 0.5, ranges: [{ from: 0x7f00000a, to: 0x7f00000b }] },
    ],
  };

  it('maps each return code to its test, once per test', () => {
    assert.deepEqual(interpret(list, ['127.0.0.2', '127.0.0.3', '127.0.0.10']).map((h) => [h.test, h.score]), [
      ['ZEN_SBL', 3],
      ['ZEN_PBL', 0.5],
    ]);
  });

  it('gives other 127/8 codes the list score, and ignores error codes and answers outside 127/8', () => {
    assert.deepEqual(interpret(list, ['127.0.0.9']).map((h) => [h.test, h.score]), [['ZEN', 1]]);
    assert.deepEqual(interpret(list, ['127.255.255.254', '192.0.2.1', '10.0.0.2']), []);
    assert.deepEqual(interpret({ ...list, score: undefined }, ['127.0.0.9']), []);
  });

  it('asks about sender domains first, then URL hosts with their parents, within the limit', () => {
    assert.deepEqual(domainsToAsk(['mail.example.org'], ['a.b.spam.test', 'x.test'], 5), ['mail.example.org', 'example.org', 'a.b.spam.test', 'b.spam.test', 'spam.test']);
    assert.deepEqual(domainsToAsk([], ['example.org'], 0), []);
  });
});

describe('X-Spam-Status', () => {
  it('has the SpamAssassin form, tests sorted', () => {
    assert.equal(statusValue(true, 7.25, 5, ['RULE_B', 'RULE_A']), 'Yes, score=7.3 required=5.0 tests=RULE_A,RULE_B autolearn=no');
    assert.equal(statusValue(false, -0.04, 5, []), 'No, score=0.0 required=5.0 tests=none autolearn=no');
  });

  it('folds after commas with a TAB, keeping lines within 78 characters', () => {
    const tests = Array.from({ length: 12 }, (_, i) => `SOME_LONG_TEST_NAME_${String(i).padStart(2, '0')}`);
    const value = statusValue(true, 12, 5, tests);
    const lines = `X-Spam-Status: ${value}`.split('\r\n');
    assert.ok(lines.length > 3);
    for (const line of lines) assert.ok(line.length <= 78, line);
    for (const line of lines.slice(1)) assert.match(line, /^\t/);
    // Unfolded (the CRLF removed, the TAB kept as white space) it lists every test, in order.
    assert.match(value.replace(/\r\n/g, ''), new RegExp(`^Yes, score=12\\.0 required=5\\.0 tests=${tests.join(',\\t?')}[ \t]autolearn=no$`));
  });
});

describe('HELO checks', () => {
  it('finds an address literal that is not the client', () => {
    assert.equal(checkHelo('[192.0.2.1]', '127.0.0.1', 'mx.test'), 'ip-mismatch');
    assert.equal(checkHelo('[127.0.0.1]', '::ffff:127.0.0.1', 'mx.test'), undefined);
    assert.equal(checkHelo('[IPv6:2001:db8::1]', '2001:0db8:0:0::1', 'mx.test'), undefined);
  });

  it('finds our own name, and names that are not fully qualified', () => {
    assert.equal(checkHelo('MX.test.', '127.0.0.1', 'mx.test'), 'ours');
    assert.equal(checkHelo('client', '127.0.0.1', 'mx.test'), 'not-fqdn');
    assert.equal(checkHelo('192.0.2.1', '127.0.0.1', 'mx.test'), 'not-fqdn');
    assert.equal(checkHelo('mail.example.org', '127.0.0.1', 'mx.test'), undefined);
  });
});

describe('text', () => {
  it('decodes RFC 2047 encoded words, joining adjacent ones', () => {
    assert.equal(decodeEncodedWords('=?UTF-8?B?R3LDvMOfZQ==?= =?iso-8859-1?Q?_und_Gr=FC=DFe?= end'), 'Grüße und Grüße end');
    assert.equal(decodeEncodedWords('=?no-such-charset?B?eA==?='), '=?no-such-charset?B?eA==?=');
  });

  it('decodes the text parts of a multipart body and leaves other parts out', () => {
    const html = Buffer.from('<a href="https://Click.Spam.TEST/x">Gewinn</a>').toString('base64');
    const raw = [
      'From: a@example.org',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      'preamble https://preamble.test/',
      '--b1',
      'Content-Type: text/plain; charset=iso-8859-1',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      'Gr=FC=DFe, see www.example.org/x =',
      'and more',
      '--b1',
      'Content-Type: text/html; charset=utf-8',
      'Content-Transfer-Encoding: base64',
      '',
      html,
      '--b1',
      'Content-Type: application/octet-stream',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('https://attachment.test/').toString('base64'),
      '--b1--',
      'epilogue https://epilogue.test/',
      '',
    ].join('\r\n');
    const text = bodyText(new Message(Buffer.from(raw, 'latin1')), 65536);
    assert.match(text, /Grüße, see www\.example\.org\/x and more/);
    assert.match(text, /Gewinn/);
    assert.doesNotMatch(text, /attachment|preamble|epilogue/);
    assert.deepEqual(urlHosts(text), ['www.example.org', 'click.spam.test']);
  });

  it('looks at no more of the body than the limit', () => {
    const raw = `Subject: x\r\n\r\n${'a'.repeat(2000)} https://late.test/\r\n`;
    assert.deepEqual(urlHosts(bodyText(new Message(Buffer.from(raw)), 1024)), []);
    assert.deepEqual(urlHosts(bodyText(new Message(Buffer.from(raw)), 4096)), ['late.test']);
  });
});

describe('rule file compilation', () => {
  it('accepts an empty file: the built-in tests with their default scores', () => {
    const { rules } = compile({});
    assert.equal(rules?.thresholds.required, 5);
    assert.equal(rules?.scores.get('RDNS_NONE'), 1);
    assert.equal(rules?.scores.get('HDR_MISSING_DATE'), 0.5);
  });

  it('lets the file set thresholds over the options and change built-in scores', () => {
    const { rules } = compile({ thresholds: { junk: 8 }, scores: { RDNS_NONE: 0, HDR_SOMETHING_NEW: 2 } }, { thresholds: { required: 4, junk: 6 } as never, dnsLists: [] });
    assert.deepEqual(rules?.thresholds, { required: 4, junk: 8, reject: undefined });
    assert.equal(rules?.scores.get('RDNS_NONE'), 0);
    assert.equal(rules?.scores.get('HDR_SOMETHING_NEW'), 2);
  });

  it('reports each problem with its JSON pointer', () => {
    const { issues } = compile({
      thresholds: { reject: 1 },
      scores: { SPF_FAILL: 1 },
      body: [{ name: 'BAD_RE', pattern: '([', score: 1 }],
      headers: [{ name: 'SPF_FAIL', header: 'Subject', pattern: 'x', score: 1 }],
      urls: [{ name: 'BAD_RE', domains: ['spam.test'], score: 1 }],
      allow: [{ name: 'NET', clients: ['10.0.0.0/33'], score: -1 }, { name: 'BOTH', senders: ['@a.test'], score: -1, action: 'accept' }],
      block: [{ name: 'NOTHING', score: 1 }],
      dnsLists: [{ name: 'L', zone: 'l.test', returnCodes: [{ codes: ['127.0.0.5-127.0.0.2'], score: 1 }] }, { name: 'M', zone: 'm.test' }],
    });
    assert.deepEqual(
      issues?.map((i) => i.pointer),
      ['/thresholds/reject', '/scores/SPF_FAILL', '/headers/0/name', '/body/0/pattern', '/urls/0/name', '/allow/0/clients/0', '/allow/1', '/block/0', '/dnsLists/0/returnCodes/0/codes/0', '/dnsLists/1'],
    );
  });

  it('refuses stateful regular expression flags and bad names through the schema', () => {
    const { issues } = compile({ body: [{ name: 'has space', pattern: 'x', flags: 'g', score: 1 }] });
    assert.deepEqual(issues?.map((i) => i.pointer).sort(), ['/body/0/flags', '/body/0/name']);
  });
});

describe('sender patterns (the syntax of the access list)', () => {
  const matcher = compileSenders(['alice@Example.org', '@bulk.test', '.shady.test', 'postmaster@', '<>', '@bücher.example']);
  assert.ok(!('invalid' in matcher));

  it('matches addresses, domains, subdomains, local parts and the null sender', () => {
    assert.equal(matcher.match('ALICE@example.ORG'), 'alice@Example.org');
    assert.equal(matcher.match('bob@example.org'), undefined);
    assert.equal(matcher.match('x@bulk.test'), '@bulk.test');
    assert.equal(matcher.match('x@mail.bulk.test'), undefined, '@domain is that domain only');
    assert.equal(matcher.match('x@mail.shady.test'), '.shady.test');
    assert.equal(matcher.match('x@shady.test'), undefined, '.domain is the domains below it');
    assert.equal(matcher.match('Postmaster@anywhere.test'), 'postmaster@');
    assert.equal(matcher.match(''), '<>');
    assert.equal(matcher.match('x@xn--bcher-kva.example'), '@bücher.example');
  });

  it('refuses a bare domain and other things that are no pattern', () => {
    assert.deepEqual(compileSenders(['@ok.test', 'example.org']), { invalid: 1 });
    assert.deepEqual(compileSenders(['a b@example.org']), { invalid: 0 });
    assert.deepEqual(compileSenders(['@']), { invalid: 0 });
  });
});

describe('the example rule file', () => {
  it('config/examples/rules/spam-rules.yaml is valid', async () => {
    const { readFile } = await import('node:fs/promises');
    const { parseDocumentText } = await import('@posthorn/core');
    const text = await readFile(new URL('../../../config/examples/rules/spam-rules.yaml', import.meta.url), 'utf8');
    const parsed = parseDocumentText(text);
    assert.ok(parsed.ok);
    const { rules, issues } = compile(parsed.document.data);
    assert.deepEqual(issues, undefined);
    assert.equal(rules?.thresholds.junk, 8);
    assert.equal(rules?.dnsLists.length, 3);
  });
});
