/**
 * sender-auth in a running server: mail arrives over SMTP on the mx listener from 127.0.0.1,
 * every DNS answer comes from a loopback test server, and what the memory queue stored is
 * checked (header and notes). Three servers: `tagging` with the default policy, `enforcing`
 * with refusals switched on, and `trusting` that skips 127.0.0.0/8.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Notes } from '@posthorn/contracts';
import { fixture, SmtpClient, startDnsServer, startTestServer, tempDir, type TestDnsServer, type TestServer } from '@posthorn/testkit';
import { sealMessage } from 'mailauth/lib/arc/index.js';
import { arrived, authResults, dkimpySign, dkimsignMissing, fields, keyRecord, mailauthSign, message, pem } from './helpers.ts';

const keys = {
  author: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
  relaxed: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
  strictDkim: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
  plain: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
  forwarder: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
};

const SPF_PASS = 'v=spf1 ip4:127.0.0.1 -all';
const SPF_FAIL = 'v=spf1 ip4:192.0.2.1 -all';

const zone = {
  // SPF of envelope senders and HELO names (the client is 127.0.0.1)
  'pass.test': { TXT: [SPF_PASS] },
  'fail.test': { TXT: [SPF_FAIL] },
  'soft.test': { TXT: ['v=spf1 ip4:192.0.2.1 ~all'] },
  'broken.test': { rcode: 'SERVFAIL' },
  'client.test': { TXT: [SPF_PASS] },
  'forwarder.test': { TXT: [SPF_PASS] },
  'bounce.relaxed.test': { TXT: [SPF_PASS] },
  'strictspf.test': { TXT: [SPF_PASS] },
  'once.test': { TXT: [SPF_PASS] },
  'helo-once.test': { TXT: [SPF_PASS] },
  'bounce.strictspf.test': { TXT: [SPF_PASS] },
  // DKIM keys
  'sel1._domainkey.author.test': { TXT: [keyRecord(keys.author)] },
  'sel2._domainkey.mail.relaxed.test': { TXT: [keyRecord(keys.relaxed)] },
  'sel3._domainkey.mail.strictdkim.test': { TXT: [keyRecord(keys.strictDkim)] },
  'sel4._domainkey.nodmarc.test': { TXT: [keyRecord(keys.plain)] },
  'arc1._domainkey.forwarder.test': { TXT: [keyRecord(keys.forwarder)] },
  // DMARC
  '_dmarc.author.test': { TXT: ['v=DMARC1; p=reject'] },
  '_dmarc.relaxed.test': { TXT: ['v=DMARC1; p=quarantine'] },
  '_dmarc.strictspf.test': { TXT: ['v=DMARC1; p=quarantine; aspf=s'] },
  '_dmarc.strictdkim.test': { TXT: ['v=DMARC1; p=quarantine; adkim=s'] },
  '_dmarc.dnsdown.test': { rcode: 'SERVFAIL' },
  'sel5._domainkey.dnsdown.test': { rcode: 'SERVFAIL' },
};

const PASSWORD = 'secret-for-tests';

describe('sender-auth over SMTP', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let dns: TestDnsServer;
  let tagging: TestServer;
  let enforcing: TestServer;
  let trusting: TestServer;

  before(async () => {
    dir = await tempDir();
    dns = await startDnsServer(zone);
    const common = (listeners: Record<string, unknown>[], plugins: unknown[]) => ({
      dns: { servers: [dns.server], timeout: 2000, tries: 1 },
      listeners,
      plugins: [{ plugin: fixture('memory-queue'), options: { domains: ['local.test', 'remote.test'] } }, ...plugins],
    });
    tagging = await startTestServer(
      common(
        [
          { name: 'mx', role: 'mx', reverseLookup: false },
          { name: 'submission', role: 'submission', allowInsecureAuth: true },
        ],
        [{ plugin: fixture('fixed-auth'), options: { users: { 'alice@local.test': PASSWORD } } }, 'sender-auth'],
      ),
      { dir: dir.path },
    );
    enforcing = await startTestServer(
      common(
        [{ name: 'mx', role: 'mx', reverseLookup: false }],
        [
          {
            plugin: 'sender-auth',
            options: {
              policy: {
                spf: { fail: 'reject', softfail: 'junk', temperror: 'tempfail' },
                dkim: { fail: 'reject' },
                dmarc: { honorReject: true, temperror: 'tempfail' },
              },
            },
          },
        ],
      ),
      { dir: dir.path },
    );
    trusting = await startTestServer(
      common([{ name: 'mx', role: 'mx', reverseLookup: false }], [{ plugin: 'sender-auth', options: { skip: { networks: ['127.0.0.0/8', '::1'] } } }]),
      { dir: dir.path },
    );
  });
  after(async () => {
    await Promise.all([tagging?.stop(), enforcing?.stop(), trusting?.stop()]);
    await dns?.close();
    await dir?.remove();
  });

  async function send(server: TestServer, text: string, envelope: { from: string; helo?: string }) {
    const client = await SmtpClient.open(server.port('mx'));
    try {
      return await client.send(text, { from: envelope.from, to: ['bob@local.test'], helo: envelope.helo ?? 'client.test' });
    } finally {
      client.close();
    }
  }

  const note = (id: string) => arrived(id).envelope.notes[Notes.authentication] as Record<string, unknown>;

  describe('SPF', () => {
    it('records pass for MAIL FROM and for the HELO identity', async () => {
      const reply = await send(tagging, message({ from: 'a@pass.test', id: 'spf-pass' }), { from: 'a@pass.test' });
      assert.equal(reply.code, 250);
      const { id, results } = authResults(arrived('spf-pass').text);
      assert.equal(id, 'mx.test');
      assert.equal(results[0], 'spf=pass smtp.mailfrom=a@pass.test');
      assert.equal(results[1], 'spf=pass smtp.helo=client.test');
      assert.deepEqual(note('spf-pass').spf, { result: 'pass', domain: 'pass.test', helo: 'pass' });
    });

    it('checks the HELO identity for the null sender (RFC 7208 2.4)', async () => {
      const reply = await send(tagging, message({ from: 'mailer-daemon@fail.test', id: 'spf-null' }), { from: '', helo: 'client.test' });
      assert.equal(reply.code, 250);
      const { results } = authResults(arrived('spf-null').text);
      assert.equal(results[0], 'spf=pass smtp.helo=client.test');
      assert.ok(!results.some((r) => r.includes('smtp.mailfrom')), results.join('; '));
      assert.deepEqual(note('spf-null').spf, { result: 'pass', domain: 'client.test', helo: 'pass' });
    });

    it('tags an SPF fail by default', async () => {
      const reply = await send(tagging, message({ from: 'a@fail.test', id: 'spf-fail-tagged' }), { from: 'a@fail.test', helo: 'unknown.test' });
      assert.equal(reply.code, 250);
      const { results } = authResults(arrived('spf-fail-tagged').text);
      assert.equal(results[0], 'spf=fail smtp.mailfrom=a@fail.test');
      assert.equal(results[1], 'spf=none smtp.helo=unknown.test');
      assert.equal(arrived('spf-fail-tagged').envelope.notes[Notes.deliveryTarget], undefined);
    });

    it('refuses an SPF fail at MAIL FROM with 550 5.7.23 when the policy says reject', async () => {
      const client = await SmtpClient.open(enforcing.port('mx'));
      await client.command('EHLO client.test');
      const mail = await client.command('MAIL FROM:<a@fail.test>');
      assert.equal(mail.code, 550);
      assert.equal(mail.enhanced, '5.7.23');
      // The session goes on: another sender may pass.
      const next = await client.command('MAIL FROM:<a@pass.test>');
      assert.equal(next.code, 250);
      client.close();
    });

    it('answers 451 4.7.24 at MAIL FROM when the SPF lookup fails temporarily and the policy says tempfail', async () => {
      const client = await SmtpClient.open(enforcing.port('mx'));
      await client.command('EHLO client.test');
      const mail = await client.command('MAIL FROM:<a@broken.test>');
      assert.equal(mail.code, 451);
      assert.equal(mail.enhanced, '4.7.24');
      client.close();
      // With the default policy the same temperror is only recorded.
      const reply = await send(tagging, message({ from: 'a@broken.test', id: 'spf-temperror' }), { from: 'a@broken.test' });
      assert.equal(reply.code, 250);
      assert.equal(authResults(arrived('spf-temperror').text).results[0], 'spf=temperror smtp.mailfrom=a@broken.test');
    });

    it('asks DNS once per identity: MAIL FROM once per transaction, HELO once per connection', async () => {
      const before = dns.queries.length;
      const client = await SmtpClient.open(tagging.port('mx'));
      for (const id of ['spf-once-1', 'spf-once-2']) {
        const reply = await client.send(message({ from: 'a@once.test', id }), { from: 'a@once.test', to: ['bob@local.test'], helo: 'helo-once.test' });
        assert.equal(reply.code, 250);
      }
      client.close();
      const asked = dns.queries.slice(before);
      assert.equal(asked.filter((q) => q === 'TXT once.test').length, 2, asked.join(', '));
      // EHLO is sent again for the second message, with the same name.
      assert.equal(asked.filter((q) => q === 'TXT helo-once.test').length, 1, asked.join(', '));
      assert.equal(authResults(arrived('spf-once-2').text).results[1], 'spf=pass smtp.helo=helo-once.test');
    });

    it('files an SPF softfail into Junk when the policy says junk', async () => {
      const reply = await send(enforcing, message({ from: 'a@soft.test', id: 'spf-softfail-junk' }), { from: 'a@soft.test' });
      assert.equal(reply.code, 250);
      const { envelope, text } = arrived('spf-softfail-junk');
      assert.equal(authResults(text).results[0], 'spf=softfail smtp.mailfrom=a@soft.test');
      assert.deepEqual(envelope.notes[Notes.deliveryTarget], { specialUse: '\\Junk', by: 'sender-auth' });
    });
  });

  describe('DKIM', () => {
    const original = () => message({ from: 'Alice <a@author.test>', id: 'dkim-signed', body: 'Hello Bob,\r\n\r\nsigned by dkimpy.\r\n' });

    it('verifies a signature made by dkimpy, and DMARC passes on it', { skip: dkimsignMissing() }, async () => {
      const signed = await dkimpySign(original(), { selector: 'sel1', domain: 'author.test', key: keys.author, dir: dir.path });
      const before = dns.queries.length;
      const reply = await send(tagging, signed, { from: 'a@pass.test' });
      assert.equal(reply.code, 250);
      // The key came from the test server, through the server's resolver.
      assert.ok(dns.queries.slice(before).includes('TXT sel1._domainkey.author.test'));
      const b = fields(signed, 'DKIM-Signature')[0]!.match(/\bb=([^;]+)/)![1]!.replace(/\s+/g, '');
      const { results } = authResults(arrived('dkim-signed').text);
      const dkim = results.find((r) => r.startsWith('dkim='))!;
      assert.match(dkim, /^dkim=pass header\.d=author\.test header\.s=sel1 header\.a=rsa-sha256 header\.b=(\S+)$/);
      assert.equal(dkim.split('header.b=')[1]!.replace(/"/g, ''), b.slice(0, 8));
      assert.ok(results.includes('dmarc=pass policy.dmarc=reject header.from=author.test'), results.join('; '));
      const authNote = note('dkim-signed');
      assert.deepEqual(authNote.dkim, [{ result: 'pass', domain: 'author.test', selector: 'sel1', aligned: true }]);
      assert.deepEqual(authNote.dmarc, { result: 'pass', domain: 'author.test', policy: 'reject' });
    });

    it('fails a signature after one altered byte of the body, and says so', { skip: dkimsignMissing() }, async () => {
      const signed = await dkimpySign(original().replaceAll('dkim-signed', 'dkim-altered'), { selector: 'sel1', domain: 'author.test', key: keys.author, dir: dir.path });
      const altered = signed.replace('signed by dkimpy', 'signed by dkimpY');
      assert.equal(altered.length, signed.length);
      const reply = await send(tagging, altered, { from: 'a@pass.test' });
      // p=reject is not honoured by default: the message is tagged, not refused.
      assert.equal(reply.code, 250);
      const { results } = authResults(arrived('dkim-altered').text);
      assert.ok(results.some((r) => /^dkim=fail \(body hash did not verify\) header\.d=author\.test header\.s=sel1 /.test(r)), results.join('; '));
      assert.ok(results.includes('dmarc=fail policy.dmarc=reject header.from=author.test'), results.join('; '));
      assert.equal(arrived('dkim-altered').envelope.notes[Notes.deliveryTarget], undefined);
    });

    it('fails a signature after one altered byte of a signed header field', { skip: dkimsignMissing() }, async () => {
      const signed = await dkimpySign(original().replaceAll('dkim-signed', 'dkim-header'), { selector: 'sel1', domain: 'author.test', key: keys.author, dir: dir.path });
      const altered = signed.replace('Subject: dkim-header', 'Subject: dkim-headeR');
      await send(tagging, altered, { from: 'a@pass.test' });
      const dkim = authResults(arrived('dkim-header').text).results.find((r) => r.startsWith('dkim='))!;
      assert.match(dkim, /^dkim=fail \(bad signature\) header\.d=author\.test/);
    });

    it('refuses with 550 5.7.26 when DKIM and DMARC policies both refuse', { skip: dkimsignMissing() }, async () => {
      const signed = await dkimpySign(original().replaceAll('dkim-signed', 'dkim-reject'), { selector: 'sel1', domain: 'author.test', key: keys.author, dir: dir.path });
      const reply = await send(enforcing, signed.replace('signed by dkimpy', 'signed by dkimpY'), { from: 'a@pass.test' });
      // dkim.fail is reject and p=reject is honoured: two checks failed (RFC 7372).
      assert.equal(reply.code, 550);
      assert.equal(reply.enhanced, '5.7.26');
    });

    it('refuses a message whose only signature fails with 550 5.7.20 when the DKIM policy says reject', async () => {
      const signed = await mailauthSign(message({ from: 'a@nodmarc.test', id: 'dkim-only-fail', body: 'original\r\n' }), { selector: 'sel4', domain: 'nodmarc.test', key: keys.plain });
      const reply = await send(enforcing, signed.replace('original', 'Original'), { from: 'a@pass.test' });
      assert.equal(reply.code, 550);
      assert.equal(reply.enhanced, '5.7.20');
      // Unaltered, the same message passes.
      const intact = await mailauthSign(message({ from: 'a@nodmarc.test', id: 'dkim-only-pass', body: 'original\r\n' }), { selector: 'sel4', domain: 'nodmarc.test', key: keys.plain });
      assert.equal((await send(enforcing, intact, { from: 'a@pass.test' })).code, 250);
      assert.ok(authResults(arrived('dkim-only-pass').text).results.some((r) => r.startsWith('dkim=pass header.d=nodmarc.test')));
    });

    it('reports dkim=none for an unsigned message', async () => {
      await send(tagging, message({ from: 'a@nodmarc.test', id: 'dkim-unsigned' }), { from: 'a@pass.test' });
      const { results } = authResults(arrived('dkim-unsigned').text);
      assert.ok(results.includes('dkim=none'), results.join('; '));
      assert.ok(results.includes('dmarc=none header.from=nodmarc.test'), results.join('; '));
      assert.deepEqual(note('dkim-unsigned').dkim, []);
    });
  });

  describe('DMARC', () => {
    const dmarcOf = (id: string) => authResults(arrived(id).text).results.find((r) => r.startsWith('dmarc='));

    it('passes on relaxed SPF alignment (MAIL FROM in a subdomain of the author domain)', async () => {
      await send(tagging, message({ from: 'a@relaxed.test', id: 'dmarc-spf-relaxed' }), { from: 'b@bounce.relaxed.test' });
      assert.equal(dmarcOf('dmarc-spf-relaxed'), 'dmarc=pass policy.dmarc=quarantine header.from=relaxed.test');
      assert.equal(arrived('dmarc-spf-relaxed').envelope.notes[Notes.deliveryTarget], undefined);
    });

    it('fails strict SPF alignment (aspf=s) for a subdomain and files into Junk for p=quarantine', async () => {
      await send(tagging, message({ from: 'a@strictspf.test', id: 'dmarc-spf-strict-fail' }), { from: 'b@bounce.strictspf.test' });
      assert.equal(dmarcOf('dmarc-spf-strict-fail'), 'dmarc=fail policy.dmarc=quarantine header.from=strictspf.test');
      assert.deepEqual(arrived('dmarc-spf-strict-fail').envelope.notes[Notes.deliveryTarget], { specialUse: '\\Junk', by: 'sender-auth' });
    });

    it('passes strict SPF alignment when MAIL FROM is the author domain itself', async () => {
      await send(tagging, message({ from: 'a@strictspf.test', id: 'dmarc-spf-strict-pass' }), { from: 'b@strictspf.test' });
      assert.equal(dmarcOf('dmarc-spf-strict-pass'), 'dmarc=pass policy.dmarc=quarantine header.from=strictspf.test');
      assert.equal(arrived('dmarc-spf-strict-pass').envelope.notes[Notes.deliveryTarget], undefined);
    });

    it('passes on relaxed DKIM alignment (d= a subdomain of the author domain)', async () => {
      const signed = await mailauthSign(message({ from: 'a@relaxed.test', id: 'dmarc-dkim-relaxed' }), { selector: 'sel2', domain: 'mail.relaxed.test', key: keys.relaxed });
      await send(tagging, signed, { from: 'a@pass.test' });
      assert.equal(dmarcOf('dmarc-dkim-relaxed'), 'dmarc=pass policy.dmarc=quarantine header.from=relaxed.test');
      assert.deepEqual(note('dmarc-dkim-relaxed').dkim, [{ result: 'pass', domain: 'mail.relaxed.test', selector: 'sel2', aligned: true }]);
    });

    it('fails strict DKIM alignment (adkim=s) although the signature passes, and files into Junk', async () => {
      const signed = await mailauthSign(message({ from: 'a@strictdkim.test', id: 'dmarc-dkim-strict' }), { selector: 'sel3', domain: 'mail.strictdkim.test', key: keys.strictDkim });
      await send(tagging, signed, { from: 'a@pass.test' });
      const { results } = authResults(arrived('dmarc-dkim-strict').text);
      assert.ok(results.some((r) => r.startsWith('dkim=pass header.d=mail.strictdkim.test')), results.join('; '));
      assert.equal(dmarcOf('dmarc-dkim-strict'), 'dmarc=fail policy.dmarc=quarantine header.from=strictdkim.test');
      assert.deepEqual(note('dmarc-dkim-strict').dkim, [{ result: 'pass', domain: 'mail.strictdkim.test', selector: 'sel3', aligned: false }]);
      assert.deepEqual(arrived('dmarc-dkim-strict').envelope.notes[Notes.deliveryTarget], { specialUse: '\\Junk', by: 'sender-auth' });
    });

    it('reports none for a domain without a DMARC record', async () => {
      await send(tagging, message({ from: 'a@nodmarc.test', id: 'dmarc-none' }), { from: 'a@fail.test' });
      assert.equal(dmarcOf('dmarc-none'), 'dmarc=none header.from=nodmarc.test');
      assert.deepEqual(note('dmarc-none').dmarc, { result: 'none', domain: 'nodmarc.test' });
    });

    it('tags p=reject failures without honorReject, refuses them with it', async () => {
      const tagged = await send(tagging, message({ from: 'a@author.test', id: 'dmarc-reject-tagged' }), { from: 'a@pass.test' });
      assert.equal(tagged.code, 250);
      assert.equal(dmarcOf('dmarc-reject-tagged'), 'dmarc=fail policy.dmarc=reject header.from=author.test');
      assert.equal(arrived('dmarc-reject-tagged').envelope.notes[Notes.deliveryTarget], undefined);
      const refused = await send(enforcing, message({ from: 'a@author.test', id: 'dmarc-reject-refused' }), { from: 'a@pass.test' });
      assert.equal(refused.code, 550);
      assert.equal(refused.enhanced, '5.7.1');
    });

    it('records a temporary DNS failure as temperror, and defers with 451 4.4.3 when the policy says tempfail', async () => {
      const signed = await mailauthSign(message({ from: 'a@dnsdown.test', id: 'dmarc-temperror' }), { selector: 'sel5', domain: 'dnsdown.test', key: keys.plain });
      assert.equal((await send(tagging, signed, { from: 'a@pass.test' })).code, 250);
      const { results } = authResults(arrived('dmarc-temperror').text);
      assert.ok(results.some((r) => r.startsWith('dkim=temperror') && r.includes('header.d=dnsdown.test')), results.join('; '));
      assert.equal(dmarcOf('dmarc-temperror'), 'dmarc=temperror header.from=dnsdown.test');
      const deferred = await send(enforcing, signed, { from: 'a@pass.test' });
      assert.equal(deferred.code, 451);
      assert.equal(deferred.enhanced, '4.4.3');
    });

    it('reports permerror for a message with two author domains', async () => {
      await send(tagging, message({ from: 'a@author.test, b@relaxed.test', id: 'dmarc-two-domains' }), { from: 'a@pass.test' });
      assert.equal(dmarcOf('dmarc-two-domains'), 'dmarc=permerror (multiple-author-domains)');
    });
  });

  describe('ARC', () => {
    /** A list forwards Alice's signed message: tags the subject, adds a footer, seals. */
    async function forwarded(id: string): Promise<string> {
      const signed = await mailauthSign(message({ from: 'a@author.test', id, subject: 'Meeting' }), { selector: 'sel1', domain: 'author.test', key: keys.author });
      const changed = signed.replace('Subject: Meeting', 'Subject: [list] Meeting') + '-- \r\nlist footer\r\n';
      const seal = await sealMessage(changed, {
        signingDomain: 'forwarder.test',
        selector: 'arc1',
        privateKey: pem(keys.forwarder),
        authResults: 'list.forwarder.test; dkim=pass header.d=author.test; spf=pass smtp.mailfrom=a@author.test; dmarc=pass header.from=author.test',
        cv: 'none',
      });
      assert.ok(seal.length > 0, 'no ARC set made');
      return seal.toString('latin1').replace(/\r?\n/g, '\r\n') + changed;
    }

    it('verifies the chain of a forwarded message whose DKIM signature broke', async () => {
      await send(tagging, await forwarded('arc-pass'), { from: 'list@forwarder.test' });
      const { results } = authResults(arrived('arc-pass').text);
      assert.ok(results.some((r) => r.startsWith('dkim=fail')), results.join('; '));
      assert.ok(results.includes('arc=pass (i=1)'), results.join('; '));
      assert.deepEqual(note('arc-pass').arc, { result: 'pass' });
    });

    it('fails a chain that was broken after sealing', async () => {
      const broken = (await forwarded('arc-broken')).replace('list footer', 'list fOoter');
      await send(tagging, broken, { from: 'list@forwarder.test' });
      const { results } = authResults(arrived('arc-broken').text);
      assert.ok(results.includes('arc=fail (i=1 no valid signature)'), results.join('; '));
      assert.deepEqual(note('arc-broken').arc, { result: 'fail' });
    });

    it('reports arc=none without a chain', async () => {
      await send(tagging, message({ from: 'a@pass.test', id: 'arc-none' }), { from: 'a@pass.test' });
      assert.ok(authResults(arrived('arc-none').text).results.includes('arc=none'));
    });
  });

  describe('Authentication-Results from elsewhere', () => {
    const forged = [
      'Authentication-Results: mx.test; dkim=pass header.d=bank.example; dmarc=pass header.from=bank.example',
      'Authentication-Results: (looks innocent) "MX.Test." ; spf=pass smtp.mailfrom=ceo@bank.example',
      'Authentication-Results: relay.example.net; spf=pass smtp.mailfrom=someone@example.net',
      'Authentication-Results: mx.test.evil.example; spf=pass smtp.mailfrom=x@evil.example',
    ].join('\r\n');

    it('removes fields that claim our authserv-id and keeps those of other hosts in place', async () => {
      await send(tagging, message({ from: 'a@pass.test', id: 'forged', extra: `${forged}\r\n` }), { from: 'a@pass.test' });
      const { text } = arrived('forged');
      const all = fields(text, 'Authentication-Results');
      assert.equal(all.length, 3, all.join('\n'));
      assert.match(all[0]!, /^mx\.test;/);
      assert.ok(!all[0]!.includes('bank.example'), all[0]);
      assert.deepEqual(all.slice(1), ['relay.example.net; spf=pass smtp.mailfrom=someone@example.net', 'mx.test.evil.example; spf=pass smtp.mailfrom=x@evil.example']);
      // Ours is on top, above the trace field the core added.
      assert.match(text, /^Authentication-Results: mx\.test;\r\n\t/);
      assert.ok(text.indexOf('Authentication-Results: mx.test;') < text.indexOf('Received:'));
    });

    it('removes them from submitted mail too, without checking it or asking DNS', async () => {
      const before = dns.queries.length;
      const client = await SmtpClient.open(tagging.port('submission'));
      await client.command('EHLO client.test');
      const auth = await client.command(`AUTH PLAIN ${Buffer.from(`\0alice@local.test\0${PASSWORD}`).toString('base64')}`);
      assert.equal(auth.code, 235);
      const reply = await client.send(message({ from: 'alice@local.test', id: 'submitted', extra: `${forged}\r\n` }), { from: 'alice@local.test', to: ['carol@remote.test'] });
      client.close();
      assert.equal(reply.code, 250);
      const { envelope, text } = arrived('submitted');
      assert.deepEqual(
        fields(text, 'Authentication-Results').map((value) => value.split(';')[0]),
        ['relay.example.net', 'mx.test.evil.example'],
      );
      assert.equal(envelope.notes[Notes.authentication], undefined);
      assert.deepEqual(dns.queries.slice(before), []);
    });

    it('leaves mail from skipped networks alone: no checks, no DNS, no field added or removed', async () => {
      const before = dns.queries.length;
      const reply = await send(trusting, message({ from: 'a@fail.test', id: 'trusted', extra: `${forged}\r\n` }), { from: 'a@fail.test' });
      assert.equal(reply.code, 250);
      const { envelope, text } = arrived('trusted');
      assert.equal(fields(text, 'Authentication-Results').length, 4);
      assert.equal(envelope.notes[Notes.authentication], undefined);
      assert.deepEqual(dns.queries.slice(before), []);
    });
  });
});
