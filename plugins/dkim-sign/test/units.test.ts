import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Message, type Transaction } from '@posthorn/core';
import { authorDomains, KeyStore, parseKeygenArgs, parsePrivateKey, type SigningKey, signingTap, signMessage } from '@posthorn/plugin-dkim-sign';
import { captureLogs, mailauthVerify, startDnsServer, startTestServer, tempDir, type TestDnsServer } from '@posthorn/testkit';
import { keyRecord } from './helpers.ts';

const ed = generateKeyPairSync('ed25519').privateKey;
const edPem = ed.export({ type: 'pkcs8', format: 'pem' }).toString();
const edKey: SigningKey = { domain: 'example.test', selector: 'u1', algorithm: 'ed25519-sha256', key: ed, pem: edPem, source: 'test' };

describe('author domains', () => {
  it('takes the domain of each From mailbox, lower case, in A-labels', () => {
    assert.deepEqual(authorDomains(['Alice <alice@Example.TEST>']), ['example.test']);
    assert.deepEqual(authorDomains(['"Doe, Jane <x@evil.test>" <jane@example.test> (comment@evil.test)']), ['example.test']);
    assert.deepEqual(authorDomains(['a@one.test, B <b@two.test>']), ['one.test', 'two.test']);
    assert.deepEqual(authorDomains(['jörg@bücher.test']), ['xn--bcher-kva.test']);
    assert.deepEqual(authorDomains(['undisclosed']), []);
  });
});

describe('signing', () => {
  let dns: TestDnsServer;
  before(async () => {
    dns = await startDnsServer({ 'u1._domainkey.example.test': { TXT: [keyRecord(ed)] } });
  });
  after(() => dns.close());

  const raw = 'From: a@example.test\r\nTo: b@remote.test\r\nSubject:  spaced   subject \r\nDate: Tue, 01 Jul 2025 10:00:00 +0000\r\n\r\nbody  with   spaces \r\n';

  for (const canonicalization of ['simple/simple', 'relaxed/simple', 'simple/relaxed']) {
    it(`signs with ${canonicalization} so that the re-created field verifies`, async () => {
      const message = new Message(Buffer.from(raw));
      const [value] = await signMessage(message.toBuffer(), [edKey], { canonicalization, headers: ['From', 'To', 'Subject', 'Date'] });
      message.headers.prepend('DKIM-Signature', value!);
      const [result] = await mailauthVerify(message.toBuffer(), dns.server);
      assert.equal(result!.status.result, 'pass', result!.info);
      assert.match(value!, new RegExp(`c=${canonicalization.replace('/', '\\/')};`));
    });
  }

  it('refuses to sign half: one broken key fails the whole message', async () => {
    const broken: SigningKey = { ...edKey, selector: 'u2', pem: 'not a key' };
    await assert.rejects(signMessage(Buffer.from(raw), [edKey, broken], { canonicalization: 'relaxed/relaxed', headers: ['From'] }), /DKIM signing failed: u2\._domainkey\.example\.test/);
  });

  it('answers 451 4.3.0 and logs when signing fails', async () => {
    const logs = captureLogs();
    const broken: SigningKey = { ...edKey, pem: 'not a key' };
    const tap = signingTap({ outgoing: 'both', canonicalization: 'relaxed/relaxed', headers: ['From'] }, () => [broken]);
    const tx = { session: { user: { id: 'a@example.test', login: 'a', method: 'PLAIN' }, listener: { name: 'submission', role: 'submission' } }, log: logs.logger } as unknown as Transaction;
    const message = new Message(Buffer.from(raw));
    const verdict = await tap(tx, message);
    assert.ok(verdict && verdict.action === 'reject');
    assert.equal(verdict.reply.code, 451);
    assert.equal(verdict.reply.enhanced, '4.3.0');
    assert.equal(logs.find('dkim-sign: signing failed').length, 1);
    assert.equal(message.headers.has('DKIM-Signature'), false);
  });
});

describe('keys', () => {
  it('refuses a key of the wrong type, and short RSA keys (RFC 8301)', () => {
    assert.throws(() => parsePrivateKey(edPem, 'rsa-sha256'), /ed25519 key cannot sign rsa-sha256/);
    const short = generateKeyPairSync('rsa', { modulusLength: 512 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    assert.throws(() => parsePrivateKey(short, 'rsa-sha256'), /512 bits/);
    assert.throws(() => parsePrivateKey('garbage', 'ed25519-sha256'), /not a PEM private key/);
  });

  it('loads the key directory, skipping (and logging) what is not a usable key', async () => {
    const dir = await tempDir();
    try {
      await mkdir(join(dir.path, 'example.test'));
      await mkdir(join(dir.path, 'Upper.test'));
      await writeFile(join(dir.path, 'example.test', 'good.ed25519.pem'), edPem);
      await writeFile(join(dir.path, 'example.test', 'wrongtype.rsa.pem'), edPem);
      await writeFile(join(dir.path, 'example.test', 'README'), 'not a key');
      await writeFile(join(dir.path, 'Upper.test', 'x.ed25519.pem'), edPem);
      const logs = captureLogs();
      const store = await KeyStore.open({ configured: [], directory: dir.path, log: logs.logger });
      assert.deepEqual(
        store.all().map((k) => `${k.domain} ${k.selector} ${k.algorithm}`),
        ['example.test good ed25519-sha256'],
      );
      assert.equal(logs.find(/skipped a key file/).length, 1);
      assert.equal(logs.find(/skipped a directory/).length, 1);
    } finally {
      await dir.remove();
    }
  });

  it('reads a missing key directory as no keys', async () => {
    const store = await KeyStore.open({ configured: [], directory: '/nonexistent/posthorn-dkim', log: captureLogs().logger });
    assert.deepEqual(store.all(), []);
  });
});

describe('dkim.keygen arguments', () => {
  const now = new Date('2025-07-01T12:00:00Z');
  it('has defaults: RSA 2048 and a dated selector', () => {
    assert.deepEqual(parseKeygenArgs({ _: ['Example.ORG'] }, now), { domain: 'example.org', selector: 'rsa-20250701', algorithm: 'rsa-sha256', bits: 2048, force: false });
    assert.equal(parseKeygenArgs({ _: ['example.org'], algorithm: 'ed25519' }, now).selector, 'ed25519-20250701');
  });

  it('refuses what cannot work', () => {
    assert.throws(() => parseKeygenArgs({ _: [] }), /usage/);
    assert.throws(() => parseKeygenArgs({ _: ['localhost'] }), /not a domain/);
    assert.throws(() => parseKeygenArgs({ _: ['example.org'], selector: 'bad_selector' }), /not a valid selector/);
    assert.throws(() => parseKeygenArgs({ _: ['example.org'], algorithm: 'dsa' }), /unknown algorithm/);
    assert.throws(() => parseKeygenArgs({ _: ['example.org'], bits: '512' }), /--bits/);
    assert.throws(() => parseKeygenArgs({ _: ['example.org'], algorithm: 'ed25519', bits: '2048' }), /RSA keys only/);
    // `--selector s1` reaches a plugin command as selector: true and a second positional.
    assert.throws(() => parseKeygenArgs({ _: ['example.org', 's1'], selector: true }), /--selector needs a value/);
  });
});

describe('startup', () => {
  it('names the local domains that have no key', async () => {
    const dir = await tempDir();
    const logs = captureLogs('info');
    try {
      await writeFile(join(dir.path, 'accounts.yaml'), 'domains: [signed.test, unsigned.test]\n');
      const server = await startTestServer(
        {
          listeners: [],
          plugins: [
            { plugin: 'accounts-file', options: { file: 'accounts.yaml' } },
            { plugin: 'dkim-sign', options: { keys: [{ domain: 'signed.test', selector: 's', algorithm: 'ed25519-sha256', privateKey: edPem }] } },
          ],
        },
        { dir: dir.path, logger: logs.logger },
      );
      await server.stop();
      assert.deepEqual(
        logs.find(/^dkim-sign: no DKIM key for local domain/).map((line) => line.domain),
        ['unsigned.test'],
      );
    } finally {
      await dir.remove();
    }
  });
});

describe('options', () => {
  it('refuses a header list without From at startup', async () => {
    const dir = await tempDir();
    try {
      await assert.rejects(
        startTestServer({ listeners: [], plugins: [{ plugin: 'dkim-sign', options: { headers: ['Subject'] } }] }, { dir: dir.path }),
        /headers must include From/,
      );
    } finally {
      await dir.remove();
    }
  });
});
