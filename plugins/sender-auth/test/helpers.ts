/**
 * Test helpers of this plugin: DKIM key records computed from the keys, signing with an
 * independent signer (dkimpy's dkimsign) and with mailauth, and reading what arrived.
 */
import { spawn } from 'node:child_process';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { queued } from '@posthorn/testkit/fixtures/memory-queue.ts';
import type { Envelope } from '@posthorn/contracts';
import type { DKIMSignOptions } from 'mailauth';
import { dkimSign } from 'mailauth/lib/dkim/sign.js';

export const DKIMSIGN = '/usr/bin/dkimsign';

/** Why dkimsign cannot run here, or false when it can (CI installs python3-dkim). */
export function dkimsignMissing(): string | false {
  return existsSync(DKIMSIGN) ? false : `${DKIMSIGN} not installed (apt-get install python3-dkim)`;
}

/** The DKIM key record (RFC 6376 3.6.1) of an RSA key, split into character-strings of at most 255 bytes. */
export function keyRecord(privateKey: KeyObject): string[] {
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const value = `v=DKIM1; k=rsa; p=${spki.toString('base64')}`;
  const parts: string[] = [];
  for (let i = 0; i < value.length; i += 255) parts.push(value.slice(i, i + 255));
  return parts;
}

export const pem = (key: KeyObject): string => key.export({ type: 'pkcs8', format: 'pem' }).toString();

/** Signs with dkimpy's dkimsign (relaxed/relaxed); the key is written to `dir` first. */
export async function dkimpySign(message: string, options: { selector: string; domain: string; key: KeyObject; dir: string }): Promise<string> {
  const keyFile = join(options.dir, `${options.selector}.${options.domain}.pem`);
  await writeFile(keyFile, options.key.export({ type: 'pkcs1', format: 'pem' }).toString(), { mode: 0o600 });
  return new Promise((resolveSign, rejectSign) => {
    const child = spawn(DKIMSIGN, ['--hcanon', 'relaxed', '--bcanon', 'relaxed', options.selector, options.domain, keyFile], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let errors = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (errors += chunk));
    child.once('error', rejectSign);
    child.once('close', (code) => {
      if (code !== 0) return rejectSign(new Error(`dkimsign exited with ${code}: ${errors}`));
      // dkimsign keeps the message's line endings but may end its own field with a bare LF.
      resolveSign(Buffer.concat(out).toString('latin1').replace(/\r?\n/g, '\r\n'));
    });
    child.stdin.end(Buffer.from(message, 'latin1'));
  });
}

/** Signs with mailauth's dkimSign; returns the message with the signature on top. */
export async function mailauthSign(message: string, options: { selector: string; domain: string; key: KeyObject }): Promise<string> {
  // mailauth reads the key from `signatureData`; its type also declares top-level key fields.
  const request = {
    canonicalization: 'relaxed/relaxed',
    signatureData: [{ signingDomain: options.domain, selector: options.selector, privateKey: pem(options.key) }],
  } as unknown as DKIMSignOptions;
  const signed = await dkimSign(message, request);
  if (!signed.signatures) throw new Error(`dkimSign: ${signed.errors.map((e) => e.err.message).join('; ')}`);
  return signed.signatures.replace(/\r?\n/g, '\r\n') + message;
}

/** A plain test message with a unique Message-ID. */
export function message(options: { from: string; id: string; subject?: string; extra?: string; body?: string }): string {
  return (
    `From: ${options.from}\r\nTo: bob@local.test\r\nSubject: ${options.subject ?? options.id}\r\n` +
    `Date: Tue, 01 Jul 2025 10:00:00 +0000\r\nMessage-ID: <${options.id}@tests.example>\r\nMIME-Version: 1.0\r\n` +
    `Content-Type: text/plain; charset=us-ascii\r\n${options.extra ?? ''}\r\n${options.body ?? 'Hello Bob,\r\n\r\nthis is a test.\r\n'}`
  );
}

/** The queued message with this Message-ID id. */
export function arrived(id: string): { envelope: Envelope; text: string } {
  const found = queued.find((entry) => entry.message.toString('latin1').includes(`Message-ID: <${id}@tests.example>`));
  if (!found) throw new Error(`message ${id} was not queued`);
  return { envelope: found.envelope, text: found.message.toString('latin1') };
}

/** Every header field of that name, unfolded, in order. */
export function fields(text: string, name: string): string[] {
  const header = text.slice(0, text.indexOf('\r\n\r\n') + 2);
  return header
    .split(/\r\n(?![ \t])/)
    .filter((field) => field.toLowerCase().startsWith(`${name.toLowerCase()}:`))
    .map((field) => field.slice(field.indexOf(':') + 1).replace(/\r\n[ \t]/g, ' ').trim());
}

/** Our Authentication-Results field split into its authserv-id and method results. */
export function authResults(text: string, authservId = 'mx.test'): { id: string; results: string[] } {
  const ours = fields(text, 'Authentication-Results').filter((value) => value.toLowerCase().startsWith(`${authservId.toLowerCase()};`));
  if (ours.length !== 1) throw new Error(`expected one Authentication-Results field of ${authservId}, found ${ours.length}`);
  const [id, ...results] = ours[0]!.split(/\s*;\s*/);
  return { id: id!, results };
}
