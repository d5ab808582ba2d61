import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Envelope } from '@posthorn/contracts';
import { type Logger, silentLogger } from '@posthorn/core';
import { SmtpClient, startTestServer, type TestServer } from '@posthorn/testkit';
import type { StoredMessage } from '../src/log-index.ts';
import { readLog } from '../src/recovery.ts';
import { segmentName, segmentSeq } from '../src/segment-files.ts';

export const recorderPlugin = fileURLToPath(new URL('./fixtures/recorder.ts', import.meta.url));

/** A server with queue-fs on `queueDir` and the recorder as the only deliverer. */
export function startQueueServer(dir: string, queueOptions: Record<string, unknown>, logger?: Logger): Promise<TestServer> {
  return startTestServer(
    { plugins: [{ plugin: 'queue-fs', options: queueOptions }, recorderPlugin] },
    { dir, ...(logger ? { logger } : {}) },
  );
}

/** Sends one message over SMTP; returns the queue id from the 250 reply (or throws on anything else). */
export async function send(port: number, message: string | Buffer, envelope: { from: string; to: readonly string[] }): Promise<string> {
  const client = await SmtpClient.open(port);
  try {
    const reply = await client.send(message, envelope);
    const id = /queued as (\S+)/.exec(reply.lines.at(-1) ?? '')?.[1];
    if (reply.code !== 250 || !id) throw new Error(`not queued: ${reply.raw}`);
    return id;
  } finally {
    client.close();
  }
}

/** Polls until `check` holds; files have no change event to wait for. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resume) => setTimeout(resume, 10));
  }
}

/** What the log on disk says is queued, read the way a CLI command reads it (nothing changed). */
export async function onDisk(queueDir: string): Promise<Map<string, StoredMessage>> {
  return (await readLog(queueDir, silentLogger(), { repair: false })).index.live;
}

/** The message as the log on disk holds it (record place and last state), or undefined once it left the queue. */
export async function queuedOnDisk(queueDir: string, id: string): Promise<StoredMessage | undefined> {
  return (await onDisk(queueDir)).get(id);
}

/** Segment files in the queue directory, oldest first. */
export async function segmentFiles(queueDir: string): Promise<string[]> {
  return (await readdir(queueDir)).filter((name) => segmentSeq(name) !== undefined).sort();
}

/** Sequence number for a segment after every existing one. */
export async function nextSegment(queueDir: string): Promise<number> {
  const seqs = (await segmentFiles(queueDir).catch(() => [])).map((name) => segmentSeq(name)!);
  return Math.max(0, ...seqs) + 1;
}

/** Writes a segment file made of the given framed records (tests that prepare a queue by hand). */
export async function writeSegment(queueDir: string, seq: number, records: readonly (readonly Buffer[])[]): Promise<string> {
  const path = join(queueDir, segmentName(seq));
  await writeFile(path, Buffer.concat(records.flat()));
  return path;
}

export function envelopeFor(id: string, recipients: string[], mailFrom = 'sender@example.org'): Envelope {
  return {
    id,
    mailFrom,
    mailFromParams: {},
    recipients: recipients.map((address) => ({ address, params: {} })),
    receivedAt: new Date().toISOString(),
    origin: { listener: 'test', role: 'mx', remoteAddress: '127.0.0.1', tls: false },
    notes: {},
  };
}

export const messageText = (subject: string, body = 'hello'): string => `From: sender@example.org\r\nTo: rcpt@example.test\r\nSubject: ${subject}\r\n\r\n${body}\r\n`;

export { join };
