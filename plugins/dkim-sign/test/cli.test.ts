import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dkimpyVerify, mailauthVerify, runPosthorn, type RunResult, startDnsServer, tempDir, type TestDnsServer } from '@posthorn/testkit';
import { dkimSign } from 'mailauth/lib/dkim/sign.js';

const explain = (result: RunResult) => `exit ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;

/** The character-strings of the TXT record line the command printed for `name`. */
function printedRecord(stdout: string, name: string): string[] {
  const line = stdout.split('\n').find((l) => l.startsWith(`${name} IN TXT `) || l.startsWith(`${name}\tIN\tTXT\t`));
  assert.ok(line, `no record for ${name} in:\n${stdout}`);
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
}

describe('dkim keygen and dns-records through the posthorn CLI', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let dns: TestDnsServer;
  let config: string;
  const posthorn = (...args: string[]) => runPosthorn(['--config', config, ...args]);

  before(async () => {
    dir = await tempDir();
    dns = await startDnsServer();
    config = join(dir.path, 'posthorn.config.json');
    await writeFile(join(dir.path, 'accounts.yaml'), 'domains: [example.org]\n');
    await writeFile(
      config,
      JSON.stringify({ hostname: 'mx.example.org', dataDir: './var', plugins: [{ plugin: 'accounts-file', options: { file: 'accounts.yaml' } }, 'dkim-sign'] }),
    );
  });
  after(async () => {
    await dns.close();
    await dir.remove();
  });

  /** Signs a message with a key file as mailauth would, then checks it against `record`. */
  async function assertRecordVerifies(keyFile: string, selector: string, record: string[]): Promise<void> {
    dns.zone[`${selector}._domainkey.example.org`] = { TXT: [record] };
    const message = Buffer.from('From: a@example.org\r\nTo: b@example.net\r\nSubject: key check\r\n\r\nhello\r\n');
    const signed = await dkimSign(message, { signatureData: [{ signingDomain: 'example.org', selector, privateKey: await readFile(keyFile) }] } as never);
    assert.deepEqual(signed.errors, []);
    const full = Buffer.concat([Buffer.from(signed.signatures), message]);
    const [result] = await mailauthVerify(full, dns.server);
    assert.equal(result!.status.result, 'pass', result!.info);
    const dkimpy = await dkimpyVerify(full, dns.port);
    assert.equal(dkimpy.output, 'ok', dkimpy.errors);
  }

  it('generates an Ed25519 key file (mode 0600) and prints the record that verifies its signatures', async () => {
    const result = await posthorn('dkim', 'keygen', 'example.org', '--selector', 'ed1', '--algorithm', 'ed25519');
    assert.equal(result.code, 0, explain(result));
    const file = join(dir.path, 'var', 'dkim', 'example.org', 'ed1.ed25519.pem');
    assert.ok(result.stdout.includes(`Wrote ${file} (ed25519-sha256)`), result.stdout);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal(createPrivateKey(await readFile(file)).asymmetricKeyType, 'ed25519');
    const record = printedRecord(result.stdout, 'ed1._domainkey.example.org.');
    assert.equal(record.length, 1);
    assert.match(record[0]!, /^v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=$/);
    assert.equal(Buffer.from(record[0]!.split('p=')[1]!, 'base64').length, 32, 'the raw 32-byte public key (RFC 8463 3.4)');
    await assertRecordVerifies(file, 'ed1', record);
  });

  it('generates a 2048-bit RSA key by default and splits its record into 255-byte strings', async () => {
    const result = await posthorn('dkim', 'keygen', 'example.org', '--selector=rsa1');
    assert.equal(result.code, 0, explain(result));
    const file = join(dir.path, 'var', 'dkim', 'example.org', 'rsa1.rsa.pem');
    assert.equal(createPrivateKey(await readFile(file)).asymmetricKeyDetails?.modulusLength, 2048);
    const record = printedRecord(result.stdout, 'rsa1._domainkey.example.org.');
    assert.ok(record.length > 1);
    for (const part of record) assert.ok(part.length <= 255);
    assert.match(record.join(''), /^v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]+$/);
    await assertRecordVerifies(file, 'rsa1', record);
  });

  it('refuses to overwrite a key file unless --force is given', async () => {
    const file = join(dir.path, 'var', 'dkim', 'example.org', 'ed1.ed25519.pem');
    const before = await readFile(file, 'utf8');
    const refused = await posthorn('dkim', 'keygen', 'example.org', '--selector=ed1', '--algorithm=ed25519');
    assert.equal(refused.code, 1, explain(refused));
    assert.match(refused.stderr, /exists; use --force/);
    assert.equal(await readFile(file, 'utf8'), before);

    const forced = await posthorn('dkim', 'keygen', 'example.org', '--selector=ed1', '--algorithm=ed25519', '--force');
    assert.equal(forced.code, 0, explain(forced));
    assert.notEqual(await readFile(file, 'utf8'), before);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    await assertRecordVerifies(file, 'ed1', printedRecord(forced.stdout, 'ed1._domainkey.example.org.'));
  });

  it('refuses a selector that a key of the other algorithm already uses (one DNS name, one key)', async () => {
    const result = await posthorn('dkim', 'keygen', 'example.org', '--selector=ed1', '--algorithm=rsa');
    assert.equal(result.code, 1, explain(result));
    assert.match(result.stderr, /selector ed1 of example\.org already has an ed25519-sha256 key/);
  });

  it('lists the DKIM records of every key of the domain in dns-records', async () => {
    const result = await posthorn('dns-records');
    assert.equal(result.code, 0, explain(result));
    for (const selector of ['ed1', 'rsa1']) {
      const file = join(dir.path, 'var', 'dkim', 'example.org', `${selector}.${selector === 'ed1' ? 'ed25519' : 'rsa'}.pem`);
      await assertRecordVerifies(file, selector, printedRecord(result.stdout, `${selector}._domainkey.example.org.`));
    }
    assert.match(result.stdout, /; DKIM public key, selector ed1 \(ed25519-sha256\)/);
  });
});
