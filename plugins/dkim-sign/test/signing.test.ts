import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dkimpyVerify, fixture, mailauthVerify, startDnsServer, startTestServer, tempDir, type TestDnsServer, type TestServer } from '@posthorn/testkit';
import { queued } from '@posthorn/testkit/fixtures/memory-queue.ts';
import nodemailer from 'nodemailer';
import { keyRecord, signatureTags } from './helpers.ts';

const FIXED_AUTH = fixture('fixed-auth');
const PASSWORD = 'secret-for-tests';
const USERS = ['alice@example.test', 'eve@ed.test', 'dan@dual.test', 'nora@nokey.test', 'fred@fresh.test'];

const pem = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }).toString();

function message(from: string, subject: string, extra = ''): string {
  return (
    `From: ${from}\r\nTo: Bob <bob@remote.test>\r\nSubject: ${subject}\r\nDate: Tue, 01 Jul 2025 10:00:00 +0000\r\n` +
    `Message-ID: <${subject.replace(/\W/g, '')}@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n${extra}\r\n` +
    `Hello Bob,\r\n\r\nthis  line has  double spaces   and trailing ones   \r\n.a line with a leading dot\r\n\r\n\r\n`
  );
}

/** The header section up to (not including) the empty line. */
const headerOf = (stored: Buffer) => stored.toString('latin1').slice(0, stored.indexOf('\r\n\r\n') + 2);

describe('dkim-sign: signing submitted mail', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let dns: TestDnsServer;
  let server: TestServer;
  const keys = {
    rsa: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
    ed: generateKeyPairSync('ed25519').privateKey,
    dualRsa: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
    dualEd: generateKeyPairSync('ed25519').privateKey,
  };

  before(async () => {
    dir = await tempDir();
    dns = await startDnsServer({
      'r1._domainkey.example.test': { TXT: [keyRecord(keys.rsa)] },
      'e1._domainkey.ed.test': { TXT: [keyRecord(keys.ed)] },
      'd1._domainkey.dual.test': { TXT: [keyRecord(keys.dualRsa)] },
      'd2._domainkey.dual.test': { TXT: [keyRecord(keys.dualEd)] },
    });
    // Keys from three sources: inline PEM, a PEM file named in the config, the key directory.
    await mkdir(join(dir.path, 'keys'));
    await writeFile(join(dir.path, 'keys', 'ed.pem'), pem(keys.ed));
    await mkdir(join(dir.path, 'var', 'dkim', 'dual.test'), { recursive: true });
    await writeFile(join(dir.path, 'var', 'dkim', 'dual.test', 'd1.rsa.pem'), pem(keys.dualRsa), { mode: 0o600 });
    await writeFile(join(dir.path, 'var', 'dkim', 'dual.test', 'd2.ed25519.pem'), pem(keys.dualEd), { mode: 0o600 });
    server = await startTestServer(
      {
        listeners: [
          { role: 'submission', allowInsecureAuth: true },
          { role: 'mx', reverseLookup: false },
        ],
        plugins: [
          { plugin: FIXED_AUTH, options: { users: Object.fromEntries(USERS.map((user) => [user, PASSWORD])) } },
          { plugin: fixture('memory-queue'), options: { domains: ['remote.test', 'example.test'] } },
          'headers',
          {
            plugin: 'dkim-sign',
            options: {
              keys: [
                { domain: 'example.test', selector: 'r1', algorithm: 'rsa-sha256', privateKey: pem(keys.rsa) },
                { domain: 'ED.test', selector: 'e1', algorithm: 'ed25519-sha256', privateKeyFile: 'keys/ed.pem' },
              ],
            },
          },
        ],
      },
      { dir: dir.path },
    );
  });
  after(async () => {
    await server.stop();
    await dns.close();
    await dir.remove();
  });

  async function submit(raw: string, user: string): Promise<Buffer> {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: server.port('submission'), auth: { user, pass: PASSWORD }, tls: { rejectUnauthorized: false } });
    try {
      const info = await transport.sendMail({ envelope: { from: user, to: ['bob@remote.test'] }, raw: Buffer.from(raw, 'utf8') });
      assert.match(info.response, /^250 /);
      return queued.at(-1)!.message;
    } finally {
      transport.close();
    }
  }

  async function assertVerifies(stored: Buffer, count: number): Promise<void> {
    const results = await mailauthVerify(stored, dns.server);
    assert.equal(results.length, count);
    for (const result of results) assert.equal(result.status.result, 'pass', `mailauth: ${result.info}`);
    const dkimpy = await dkimpyVerify(stored, dns.port, count);
    assert.ok(dkimpy.ok, `dkimpy: ${dkimpy.output} ${dkimpy.errors}`);
    assert.equal(dkimpy.output, Array(count).fill('ok').join(' '));
  }

  let rsaSigned: Buffer;

  it('signs with rsa-sha256: relaxed/relaxed, the usual fields, not Received; mailauth and dkimpy verify it', async () => {
    const raw = message('Alice <alice@example.test>', 'rsa signed', 'Reply-To: alice@example.test\r\nX-Mailer: test\r\n');
    rsaSigned = await submit(raw, 'alice@example.test');
    const text = rsaSigned.toString('latin1');
    assert.match(text, /^DKIM-Signature: /, 'the signature is the topmost field');
    assert.match(text, /\r\nReceived: [^]*\r\nFrom: Alice/, 'the core Received field follows it');
    assert.ok(text.endsWith(raw.slice(raw.indexOf('From:'))), 'the message itself is unchanged');
    const [tags, more] = signatureTags(rsaSigned);
    assert.equal(more, undefined);
    assert.equal(tags!.a, 'rsa-sha256');
    assert.equal(tags!.d, 'example.test');
    assert.equal(tags!.s, 'r1');
    assert.equal(tags!.c, 'relaxed/relaxed');
    const signed = tags!.h!.toLowerCase().split(':');
    for (const name of ['from', 'to', 'subject', 'date', 'message-id', 'mime-version', 'content-type', 'reply-to']) assert.ok(signed.includes(name), `${name} is signed`);
    assert.ok(!signed.includes('received'), 'Received is not signed');
    assert.ok(!signed.includes('x-mailer'));
    await assertVerifies(rsaSigned, 1);
  });

  it('signs with ed25519-sha256 (RFC 8463), and both verifiers accept it', async () => {
    const stored = await submit(message('eve@ed.test', 'ed25519 signed'), 'eve@ed.test');
    const [tags] = signatureTags(stored);
    assert.equal(tags!.a, 'ed25519-sha256');
    assert.equal(tags!.d, 'ed.test');
    assert.equal(tags!.s, 'e1');
    await assertVerifies(stored, 1);
  });

  it('fails verification when one byte of the body or of a signed field changes', async () => {
    const body = Buffer.from(rsaSigned);
    const at = body.indexOf('Hello Bob');
    body[at] = 'J'.charCodeAt(0);
    const [bodyResult] = await mailauthVerify(body, dns.server);
    assert.notEqual(bodyResult!.status.result, 'pass');
    assert.equal((await dkimpyVerify(body, dns.port)).output, 'failed');

    const header = Buffer.from(rsaSigned);
    const subject = header.indexOf('Subject: rsa signed') + 'Subject: '.length;
    header[subject] = 'R'.charCodeAt(0);
    const [headerResult] = await mailauthVerify(header, dns.server);
    assert.equal(headerResult!.status.result, 'fail');
    assert.equal((await dkimpyVerify(header, dns.port)).output, 'failed');
  });

  it('does not sign mail whose From domain has no key', async () => {
    const raw = message('nora@nokey.test', 'no key');
    const stored = await submit(raw, 'nora@nokey.test');
    assert.deepEqual(signatureTags(stored), []);
    assert.match(stored.toString('latin1'), /^Received: /);
  });

  it('signs with every key of the domain: rsa and ed25519 from the key directory', async () => {
    const stored = await submit(message('Dan <dan@dual.test>', 'dual signed'), 'dan@dual.test');
    const tags = signatureTags(stored);
    assert.deepEqual(
      tags.map((t) => [t.d, t.s, t.a]).sort(),
      [
        ['dual.test', 'd1', 'rsa-sha256'],
        ['dual.test', 'd2', 'ed25519-sha256'],
      ],
    );
    await assertVerifies(stored, 2);
  });

  it('signs the header as the headers plugin completed it (stage 0 before stage 100)', async () => {
    const raw = 'From: alice@example.test\r\nTo: bob@remote.test\r\nSubject: completed\r\nBcc: hidden@remote.test\r\n\r\nbody\r\n';
    const stored = await submit(raw, 'alice@example.test');
    const header = headerOf(stored);
    assert.match(header, /\r\nDate: /);
    assert.match(header, /\r\nMessage-ID: /);
    assert.doesNotMatch(header, /\r\nBcc: /i);
    const signed = signatureTags(stored)[0]!.h!.toLowerCase().split(':');
    assert.ok(signed.includes('date') && signed.includes('message-id'));
    await assertVerifies(stored, 1);
  });

  it('does not sign incoming mail (mx listener, no AUTH), whatever its From', async () => {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: server.port('mx'), tls: { rejectUnauthorized: false } });
    try {
      await transport.sendMail({ envelope: { from: 'alice@example.test', to: ['bob@example.test'] }, raw: message('alice@example.test', 'incoming') });
    } finally {
      transport.close();
    }
    assert.deepEqual(signatureTags(queued.at(-1)!.message), []);
  });

  it('signs with a key that dkim.keygen made while the server runs, and the printed record verifies it', async () => {
    const text = (await server.app.admin('dkim.keygen', { _: ['fresh.test'], selector: 'f1', algorithm: 'ed25519' })) as string;
    const line = /^f1\._domainkey\.fresh\.test\. IN TXT (.+)$/m.exec(text);
    assert.ok(line, text);
    const printed = [...line[1]!.matchAll(/"([^"]*)"/g)].map((m) => m[1]!);
    dns.zone['f1._domainkey.fresh.test'] = { TXT: [printed] };

    const stored = await submit(message('fred@fresh.test', 'fresh key'), 'fred@fresh.test');
    const [tags] = signatureTags(stored);
    assert.equal(tags!.s, 'f1');
    assert.equal(tags!.d, 'fresh.test');
    await assertVerifies(stored, 1);
  });
});
