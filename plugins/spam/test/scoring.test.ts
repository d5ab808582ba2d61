import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Notes } from '@posthorn/contracts';
import { captureLogs, fixture, reverseName, SmtpClient, startDnsServer, startTestServer, tempDir, type TestDnsServer, type TestServer } from '@posthorn/testkit';
import { queued } from '@posthorn/testkit/fixtures/memory-queue.ts';
import { cleanMessage, fieldsNamed, headerOf, replaceFile, sendOnce, spamFields, spamStatus, transaction } from './helpers.ts';

const AUTH_NOTE = fileURLToPath(new URL('./fixtures/auth-note.ts', import.meta.url));
const PASSWORD = 'secret-for-tests';

/** Two rules most tests start from: 2.5 for the subject, 3.0 for the body. */
const MONEY_RULES = `
headers:
  - { name: SUBJ_MONEY, header: Subject, pattern: "\\\\bmoney\\\\b", flags: i, score: 2.5, description: Money in the subject }
body:
  - { name: BODY_PRIZE, pattern: "you have won", flags: i, score: 3.0 }
`;

describe('spam: scoring incoming mail', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let dns: TestDnsServer;
  let server: TestServer;
  let rulesFile: string;
  const logs = captureLogs('info');

  /** Puts a new rule file in force (through the same reload SIGHUP triggers). */
  async function useRules(yaml: string): Promise<void> {
    await replaceFile(rulesFile, yaml);
    const results = (await server.app.admin('reload')) as { file: string; reloaded: boolean }[];
    assert.deepEqual(results.find((r) => r.file === rulesFile), { file: rulesFile, reloaded: true });
  }

  /** Sends on the mx listener; expects 250 and returns the stored message and its envelope. */
  async function deliver(message: string, options: { helo?: string; from?: string; listener?: string } = {}) {
    const before = queued.length;
    const reply = await sendOnce(server.port(options.listener ?? 'mx'), message, options);
    assert.equal(reply.code, 250, reply.raw);
    assert.equal(queued.length, before + 1);
    return queued.at(-1)!;
  }

  before(async () => {
    dir = await tempDir();
    rulesFile = join(dir.path, 'spam-rules.yaml');
    await replaceFile(rulesFile, '{}\n');
    dns = await startDnsServer({});
    server = await startTestServer(
      {
        dns: { servers: [dns.server], timeout: 1000 },
        listeners: [
          { role: 'mx' },
          // No reverse lookup by the listener: the plugin asks for the PTR itself.
          { name: 'mx-noreverse', role: 'mx', reverseLookup: false },
          { role: 'submission', allowInsecureAuth: true },
        ],
        plugins: [
          { plugin: fixture('fixed-auth'), options: { users: { 'alice@example.test': PASSWORD } } },
          { plugin: fixture('memory-queue'), options: { domains: ['example.test', 'remote.test'] } },
          'headers',
          AUTH_NOTE,
          { plugin: 'spam', options: { rules: 'spam-rules.yaml', dnsTimeout: 2, statsInterval: 0 } },
        ],
      },
      { dir: dir.path, logger: logs.logger },
    );
  });
  after(async () => {
    await server.stop();
    await dns.close();
    await dir.remove();
  });
  beforeEach(() => {
    // The listener's reverse lookup names a loopback client `localhost`; it resolves back.
    for (const name of Object.keys(dns.zone)) delete dns.zone[name];
    dns.zone.localhost = { A: ['127.0.0.1'] };
  });

  it('adds up the rules a message matches and writes the exact SpamAssassin fields', async () => {
    await useRules(MONEY_RULES);
    const { message, envelope } = await deliver(cleanMessage({ subject: 'Free MONEY', body: 'Congratulations, you have won!' }));
    assert.equal(
      spamFields(message),
      // Folded as SpamAssassin folds it: the whole field would be longer than 78 characters.
      'X-Spam-Flag: YES\r\nX-Spam-Score: 5.5\r\nX-Spam-Status: Yes, score=5.5 required=5.0 tests=BODY_PRIZE,SUBJ_MONEY\r\n\tautolearn=no\r\n',
    );
    // At the bottom of the header, after the message's own fields.
    assert.match(headerOf(message), /Message-ID: <[^>]+>\r\nX-Spam-Flag: YES\r\nX-Spam-Score: 5\.5\r\nX-Spam-Status: [^\r]+\r\n\tautolearn=no\r\n$/);
    assert.deepEqual(envelope.notes[Notes.spam], { score: 5.5, required: 5, tests: ['BODY_PRIZE', 'SUBJ_MONEY'], spam: true });
    assert.equal(envelope.notes[Notes.deliveryTarget], undefined, 'no junk threshold: tagged only');
    const line = logs.find('spam: scored').at(-1)!;
    assert.equal(line.level, 'info');
    assert.equal(line.score, 5.5);
    assert.deepEqual(line.tests, ['BODY_PRIZE', 'SUBJ_MONEY']);
    assert.equal(line.outcome, 'spam');
  });

  it('scores one rule alone below the threshold: no X-Spam-Flag', async () => {
    await useRules(MONEY_RULES);
    const { message } = await deliver(cleanMessage({ subject: 'money talk' }));
    assert.equal(spamFields(message), 'X-Spam-Score: 2.5\r\nX-Spam-Status: No, score=2.5 required=5.0 tests=SUBJ_MONEY autolearn=no\r\n');
  });

  it('decodes RFC 2047 words before header rules look at them', async () => {
    await useRules(MONEY_RULES);
    const { message } = await deliver(cleanMessage({ subject: '=?UTF-8?B?RnJlZSBtb25leQ==?=' }));
    assert.match(spamStatus(message), /tests=SUBJ_MONEY autolearn=no$/);
  });

  it('lets an allow entry subtract from the score', async () => {
    await useRules(`${MONEY_RULES}\nallow:\n  - { name: FRIEND, senders: ["@example.org"], score: -3 }\n`);
    const { message } = await deliver(cleanMessage({ subject: 'Free MONEY', body: 'you have won' }));
    assert.equal(spamFields(message), 'X-Spam-Score: 2.5\r\nX-Spam-Status: No, score=2.5 required=5.0 tests=BODY_PRIZE,FRIEND,SUBJ_MONEY\r\n\tautolearn=no\r\n');
  });

  it('stops at an allow entry whose action is accept', async () => {
    await useRules(`${MONEY_RULES}\nallow:\n  - { name: TRUSTED_NET, clients: [127.0.0.0/8], action: accept }\n`);
    const { message, envelope } = await deliver(cleanMessage({ subject: 'Free MONEY', body: 'you have won' }));
    assert.equal(spamFields(message), 'X-Spam-Score: 0.0\r\nX-Spam-Status: No, score=0.0 required=5.0 tests=TRUSTED_NET autolearn=no\r\n');
    assert.equal((envelope.notes[Notes.spam] as { spam: boolean }).spam, false);
  });

  it('refuses mail of a sender on a block entry with action reject', async () => {
    await useRules('block:\n  - { name: BAD_SENDER, senders: [spammer@bad.test], action: reject }\n');
    const before = queued.length;
    const reply = await sendOnce(server.port('mx'), cleanMessage({ from: 'spammer@bad.test' }), { from: 'spammer@bad.test' });
    assert.equal(reply.raw, '550 5.7.1 Message rejected as spam\r\n');
    assert.equal(queued.length, before);
  });

  it('matches sender lists against the envelope sender and the From address', async () => {
    await useRules('senders:\n  - { name: SENDER_SHADY, patterns: ["@shady.test", ".shady.test"], score: 1.5 }\n  - { name: ENVELOPE_ONLY, patterns: ["@bulk.test"], match: [envelope], score: 0.7 }\n  - { name: BOUNCE, patterns: ["<>"], score: 0.4 }\n');
    const fromOnly = await deliver(cleanMessage({ from: 'x@mail.shady.test' }), { from: 'bounce@bulk.test' });
    assert.match(spamStatus(fromOnly.message), /score=2\.2 required=5\.0 tests=ENVELOPE_ONLY,SENDER_SHADY autolearn=no$/);
    const neither = await deliver(cleanMessage({ from: 'x@bulk.test' }));
    assert.match(spamStatus(neither.message), /tests=none autolearn=no$/);
    const bounce = await deliver(cleanMessage({ from: 'mailer-daemon@shady.test' }), { from: '' });
    assert.match(spamStatus(bounce.message), /score=1\.9 required=5\.0 tests=BOUNCE,SENDER_SHADY autolearn=no$/);
  });

  it('tags a client on a DNS block list with the score of its return code', async () => {
    dns.zone[`${reverseName('127.0.0.1').replace('.in-addr.arpa', '')}.bl.test`] = { A: ['127.0.0.2'] };
    await useRules('dnsLists:\n  - name: RCVD_IN_TEST_BL\n    zone: bl.test\n    returnCodes:\n      - { codes: [127.0.0.2], name: RCVD_IN_TEST_SBL, score: 3.5 }\n      - { codes: [127.0.0.10-127.0.0.11], name: RCVD_IN_TEST_PBL, score: 0.5 }\n');
    const { message } = await deliver(cleanMessage());
    assert.equal(spamFields(message), 'X-Spam-Score: 3.5\r\nX-Spam-Status: No, score=3.5 required=5.0 tests=RCVD_IN_TEST_SBL autolearn=no\r\n');
    assert.ok(dns.queries.includes('A 1.0.0.127.bl.test'), dns.queries.join('\n'));
  });

  it('counts a list that answers SERVFAIL as no hit (and counts the failure)', async () => {
    dns.zone['1.0.0.127.broken.test'] = { rcode: 'SERVFAIL' };
    await useRules('dnsLists:\n  - { name: RCVD_IN_BROKEN, zone: broken.test, score: 4 }\n');
    const { message } = await deliver(cleanMessage());
    assert.match(spamStatus(message), /score=0\.0 required=5\.0 tests=none autolearn=no$/);
    assert.ok(dns.queries.includes('A 1.0.0.127.broken.test'));
    const stats = (await server.app.admin('spam.stats')) as { dnsErrors: Record<string, number> };
    assert.ok((stats.dnsErrors.RCVD_IN_BROKEN ?? 0) >= 1, JSON.stringify(stats));
  });

  it('finds URL domains of the body on the rule file list and on a DNS domain list', async () => {
    dns.zone['evil.test.dbl.test'] = { A: ['127.0.1.2'] };
    await useRules(
      'urls:\n  - { name: URL_SHOP, domains: [spam-shop.test], score: 2 }\ndnsLists:\n  - { name: URIBL_TEST, zone: dbl.test, kind: domain, returnCodes: [{ codes: [127.0.1.2], score: 2.5 }] }\n',
    );
    const { message } = await deliver(cleanMessage({ body: 'Visit https://www.Spam-Shop.test/offer or <a href="http://click.evil.test/x">here</a>.' }));
    assert.match(spamStatus(message), /score=4\.5 required=5\.0 tests=URIBL_TEST,URL_SHOP autolearn=no$/);
    const clean = await deliver(cleanMessage({ body: 'See https://good.test/ and https://shop.test/' }));
    assert.match(spamStatus(clean.message), /tests=none autolearn=no$/);
  });

  it('asks domain lists about the sender domain too', async () => {
    dns.zone['evil.test.dbl.test'] = { A: ['127.0.1.2'] };
    await useRules('dnsLists:\n  - { name: DBL_SENDER, zone: dbl.test, kind: domain, score: 1.2 }\n');
    const { message } = await deliver(cleanMessage({ from: 'x@evil.test' }), { from: 'x@evil.test' });
    assert.match(spamStatus(message), /score=1\.2 required=5\.0 tests=DBL_SENDER autolearn=no$/);
  });

  it('scores the header problems the headers plugin noted', async () => {
    await useRules('scores: { HDR_MISSING_DATE: 2.0 }\n');
    const raw = 'From: sender@example.org\r\nTo: bob@example.test\r\nSubject: one\r\nSubject: two\r\nMessage-ID: <a@example.org>\r\n\r\nbody\r\n';
    const { message, envelope } = await deliver(raw);
    assert.deepEqual(envelope.notes[Notes.header], { problems: ['duplicate-subject', 'missing-date'] });
    assert.deepEqual(fieldsNamed(headerOf(message), 'X-Posthorn-Notes'), ['X-Posthorn-Notes: duplicate-subject, missing-date']);
    assert.match(spamStatus(message), /score=3\.0 required=5\.0 tests=HDR_DUPLICATE_SUBJECT,HDR_MISSING_DATE autolearn=no$/);
  });

  it('removes the X-Spam-* and X-Posthorn-Notes fields a message arrives with', async () => {
    await useRules(MONEY_RULES);
    const forged = ['X-Spam-Flag: NO', 'X-Spam-Status: No, score=-50.0 required=5.0 tests=WHITELISTED', 'X-Spam-Level: ', 'x-spam-score: -50', 'X-Posthorn-Notes: none'];
    const { message } = await deliver(cleanMessage({ subject: 'money', extra: forged }));
    const header = headerOf(message);
    assert.equal(spamFields(message), 'X-Spam-Score: 2.5\r\nX-Spam-Status: No, score=2.5 required=5.0 tests=SUBJ_MONEY autolearn=no\r\n');
    assert.deepEqual(fieldsNamed(header, 'X-Posthorn-Notes'), []);
    assert.doesNotMatch(header, /WHITELISTED|-50/);
  });

  it('does not score mail our own users submit', async () => {
    await useRules(MONEY_RULES);
    const client = await SmtpClient.open(server.port('submission'));
    try {
      assert.equal((await client.command('EHLO client.test')).code, 250);
      const login = Buffer.from(`\0alice@example.test\0${PASSWORD}`).toString('base64');
      assert.equal((await client.command(`AUTH PLAIN ${login}`)).code, 235);
      const before = queued.length;
      const raw = cleanMessage({ subject: 'money', from: 'alice@example.test', extra: ['X-Spam-Flag: YES'] });
      const reply = await transaction(client, raw, { from: 'alice@example.test', to: 'carol@remote.test' });
      assert.equal(reply.code, 250, reply.raw);
      assert.equal(queued.length, before + 1);
    } finally {
      client.close();
    }
    const { message, envelope } = queued.at(-1)!;
    assert.equal(envelope.notes[Notes.spam], undefined);
    assert.equal(spamFields(message), 'X-Spam-Flag: YES\r\n', 'the user’s own field is left alone');
  });

  it('scores a reverse name that does not resolve back to the client (FCrDNS)', async () => {
    await useRules('{}\n');
    delete dns.zone.localhost;
    const { message } = await deliver(cleanMessage());
    assert.match(spamStatus(message), /score=1\.0 required=5\.0 tests=FCRDNS_FAIL autolearn=no$/);
  });

  it('asks for the reverse name itself when the listener did not, and scores its absence', async () => {
    await useRules('{}\n');
    const none = await deliver(cleanMessage(), { listener: 'mx-noreverse' });
    assert.match(spamStatus(none.message), /score=1\.0 required=5\.0 tests=RDNS_NONE autolearn=no$/);
    assert.ok(dns.queries.includes(`PTR ${reverseName('127.0.0.1')}`));
    dns.zone[reverseName('127.0.0.1')] = { PTR: ['mail.client.test'] };
    dns.zone['mail.client.test'] = { A: ['127.0.0.1'] };
    const confirmed = await deliver(cleanMessage(), { listener: 'mx-noreverse' });
    assert.match(spamStatus(confirmed.message), /tests=none autolearn=no$/);
    dns.zone['mail.client.test'] = { A: ['192.0.2.7'] };
    const wrong = await deliver(cleanMessage(), { listener: 'mx-noreverse' });
    assert.match(spamStatus(wrong.message), /tests=FCRDNS_FAIL autolearn=no$/);
  });

  it('scores nothing when the reverse lookup fails temporarily', async () => {
    await useRules('{}\n');
    dns.zone[reverseName('127.0.0.1')] = { rcode: 'SERVFAIL' };
    const { message } = await deliver(cleanMessage(), { listener: 'mx-noreverse' });
    assert.match(spamStatus(message), /tests=none autolearn=no$/);
  });

  it('scores HELO names: our own, an address literal of another host, a name that is not fully qualified', async () => {
    await useRules('scores: { HELO_NOT_FQDN: 0.7 }\n');
    assert.match(spamStatus((await deliver(cleanMessage(), { helo: 'mx.test' })).message), /score=2\.0 required=5\.0 tests=HELO_OURS autolearn=no$/);
    assert.match(spamStatus((await deliver(cleanMessage(), { helo: '[192.0.2.1]' })).message), /score=1\.0 required=5\.0 tests=HELO_IP_MISMATCH autolearn=no$/);
    assert.match(spamStatus((await deliver(cleanMessage(), { helo: '[127.0.0.1]' })).message), /tests=none autolearn=no$/);
    assert.match(spamStatus((await deliver(cleanMessage(), { helo: 'client' })).message), /score=0\.7 required=5\.0 tests=HELO_NOT_FQDN autolearn=no$/);
  });

  it('scores the authentication results another analyser noted, and nothing when there is no note', async () => {
    await useRules('scores: { SPF_FAIL: 2.5 }\n');
    const note = JSON.stringify({ spf: { result: 'fail', domain: 'example.org' }, dkim: [{ result: 'fail', domain: 'x.test' }, { result: 'pass', domain: 'example.org' }], dmarc: { result: 'pass', domain: 'example.org' } });
    const { message } = await deliver(cleanMessage({ extra: [`X-Test-Auth: ${note}`] }));
    assert.match(spamStatus(message), /score=2\.3 required=5\.0 tests=DKIM_PASS,DMARC_PASS,SPF_FAIL autolearn=no$/);
    const none = await deliver(cleanMessage());
    assert.match(spamStatus(none.message), /tests=none autolearn=no$/);
  });

  it('honours a verified allow entry only when SPF or DKIM vouched for the sender domain', async () => {
    await useRules(`${MONEY_RULES}\nallow:\n  - { name: PARTNER, senders: ["@example.org"], verified: true, action: accept }\nscores: { DKIM_PASS: 0, SPF_FAIL: 0 }\n`);
    const signed = JSON.stringify({ dkim: [{ result: 'pass', domain: 'example.org' }] });
    const vouched = await deliver(cleanMessage({ subject: 'money', extra: [`X-Test-Auth: ${signed}`] }));
    assert.match(spamStatus(vouched.message), /score=0\.0 required=5\.0 tests=PARTNER autolearn=no$/);
    const unsigned = JSON.stringify({ spf: { result: 'fail', domain: 'example.org' } });
    const forged = await deliver(cleanMessage({ subject: 'money', extra: [`X-Test-Auth: ${unsigned}`] }));
    assert.match(spamStatus(forged.message), /score=2\.5 required=5\.0 tests=SUBJ_MONEY autolearn=no$/);
  });

  it('judges a transaction by the rules in force at its MAIL FROM', async () => {
    await useRules(MONEY_RULES);
    const client = await SmtpClient.open(server.port('mx'));
    try {
      assert.equal((await client.command('EHLO client.test')).code, 250);
      assert.equal((await client.command('MAIL FROM:<sender@example.org>')).code, 250);
      // The rules change in the middle of the transaction.
      await useRules('headers:\n  - { name: SUBJ_MONEY_STRICT, header: Subject, pattern: money, score: 9 }\n');
      assert.equal((await client.command('RCPT TO:<bob@example.test>')).code, 250);
      assert.equal((await client.command('DATA')).code, 354);
      client.write(`${cleanMessage({ subject: 'money' })}.\r\n`);
      assert.equal((await client.reply()).code, 250);
      assert.match(spamStatus(queued.at(-1)!.message), /tests=SUBJ_MONEY autolearn=no$/);
      // The next transaction of the same session takes the new rules.
      assert.equal((await transaction(client, cleanMessage({ subject: 'money' }))).code, 250);
      assert.match(spamStatus(queued.at(-1)!.message), /score=9\.0 required=5\.0 tests=SUBJ_MONEY_STRICT autolearn=no$/);
    } finally {
      client.close();
    }
  });

  it('keeps hit counters and returns them from the spam.stats admin command', async () => {
    await useRules(MONEY_RULES);
    const before = (await server.app.admin('spam.stats')) as { messages: number; tests: Record<string, number>; outcomes: Record<string, number> };
    await deliver(cleanMessage({ subject: 'money', body: 'you have won' }));
    await deliver(cleanMessage({ subject: 'money' }));
    const now = (await server.app.admin('spam.stats')) as typeof before;
    assert.equal(now.messages, before.messages + 2);
    assert.equal(now.tests.SUBJ_MONEY, (before.tests.SUBJ_MONEY ?? 0) + 2);
    assert.equal(now.tests.BODY_PRIZE, (before.tests.BODY_PRIZE ?? 0) + 1);
    assert.equal(now.outcomes.spam, (before.outcomes.spam ?? 0) + 1);
    assert.equal(now.outcomes.ham, (before.outcomes.ham ?? 0) + 1);
  });
});
