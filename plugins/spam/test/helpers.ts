import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import { rfc5322Date } from '@posthorn/core';
import { dotStuff, type Reply, SmtpClient } from '@posthorn/testkit';

/** A message with nothing wrong in its header, so that only the tests under study score. */
export function cleanMessage(options: { subject?: string; body?: string; from?: string; extra?: string[] } = {}): string {
  return [
    `From: Sender <${options.from ?? 'sender@example.org'}>`,
    'To: bob@example.test',
    `Subject: ${options.subject ?? 'hello'}`,
    `Date: ${rfc5322Date(new Date())}`,
    `Message-ID: <${randomUUID()}@example.org>`,
    ...(options.extra ?? []),
    '',
    options.body ?? 'Just a note.',
    '',
  ].join('\r\n');
}

/** Runs MAIL, RCPT, DATA on a client that has already said EHLO; returns the final reply. */
export async function transaction(client: SmtpClient, message: string, envelope: { from?: string; to?: string } = {}): Promise<Reply> {
  const mail = await client.command(`MAIL FROM:<${envelope.from ?? 'sender@example.org'}>`);
  if (mail.code !== 250) return mail;
  const rcpt = await client.command(`RCPT TO:<${envelope.to ?? 'bob@example.test'}>`);
  if (rcpt.code !== 250) return rcpt;
  const data = await client.command('DATA');
  if (data.code !== 354) return data;
  client.write(Buffer.concat([dotStuff(Buffer.from(message, 'latin1')), Buffer.from('.\r\n')]));
  return client.reply();
}

/** Connects, says EHLO with the given name, sends one message, and hangs up. */
export async function sendOnce(port: number, message: string, options: { helo?: string; from?: string; to?: string } = {}): Promise<Reply> {
  const client = await SmtpClient.open(port);
  try {
    const ehlo = await client.command(`EHLO ${options.helo ?? 'client.test'}`);
    assert.equal(ehlo.code, 250, ehlo.raw);
    return await transaction(client, message, options);
  } finally {
    client.close();
  }
}

/** The header section of a stored message (latin1), each field with its CRLF, no blank line. */
export function headerOf(stored: Buffer): string {
  const text = stored.toString('latin1');
  return text.slice(0, text.indexOf('\r\n\r\n') + 2);
}

/** Every field of that name in a header section, raw (folding kept). */
export function fieldsNamed(header: string, name: string): string[] {
  return [...header.matchAll(new RegExp(`(?:^|\\r\\n)(${name}:(?:[^\\r]|\\r\\n[ \\t])*)`, 'gi'))].map((m) => m[1]!);
}

/** The X-Spam-* fields at the bottom of a header section, as one string. */
export function spamFields(stored: Buffer): string {
  return headerOf(stored)
    .split(/\r\n(?![ \t])/)
    .filter((field) => /^X-Spam-/i.test(field))
    .map((field) => `${field}\r\n`)
    .join('');
}

/** Replaces a file the way editors and deploy tools do: write a new one, rename it over. */
export async function replaceFile(file: string, text: string): Promise<void> {
  await writeFile(`${file}.new`, text);
  await rename(`${file}.new`, file);
}

/**
 * The X-Spam-Status value as a reader takes it: unfolded, the white space after each comma
 * (where the field was folded) dropped, other white space runs made one space.
 */
export function spamStatus(stored: Buffer): string {
  const [field] = fieldsNamed(headerOf(stored), 'X-Spam-Status');
  assert.ok(field, 'no X-Spam-Status field');
  return field.slice('X-Spam-Status:'.length).replace(/\r\n/g, '').replace(/,\s+/g, ',').replace(/\s+/g, ' ').trim();
}
