import { fileURLToPath } from 'node:url';
import type { Logger } from '@posthorn/core';
import { SmtpClient, startTestServer, type TestServer } from '@posthorn/testkit';

export const probePlugin = fileURLToPath(new URL('./fixtures/probe.ts', import.meta.url));

/** Retries come quickly in tests. */
export const FAST_RETRY = { initial: 0.05, factor: 1, max: 0.05, jitter: 0 };

/**
 * A server with queue-fs (fast retries), outbound with the given options, and the probe
 * (accepts every recipient, records outcomes). DNS goes to the test server `dns`.
 */
export function startOutboundServer(
  dir: string,
  dns: string,
  outbound: Record<string, unknown>,
  extra: { logger?: Logger; queue?: Record<string, unknown> } = {},
): Promise<TestServer> {
  return startTestServer(
    {
      dns: { servers: [dns], timeout: 500, tries: 1 },
      plugins: [{ plugin: 'queue-fs', options: { retry: FAST_RETRY, ...extra.queue } }, { plugin: 'outbound', options: outbound }, probePlugin],
    },
    { dir, ...(extra.logger ? { logger: extra.logger } : {}) },
  );
}

/** Submits a message over SMTP; returns the queue id from the 250 reply. */
export async function send(
  port: number,
  message: string | Buffer,
  envelope: { from: string; to: readonly string[]; mailParams?: string; rcptParams?: Readonly<Record<string, string>> },
): Promise<string> {
  const client = await SmtpClient.open(port);
  try {
    // Commands in UTF-8 (SmtpClient.command writes latin1), for SMTPUTF8 addresses.
    const command = (line: string) => {
      client.write(Buffer.from(`${line}\r\n`, 'utf8'));
      return client.reply();
    };
    await expect(command('EHLO client.test'), 250);
    await expect(command(`MAIL FROM:<${envelope.from}>${envelope.mailParams ? ` ${envelope.mailParams}` : ''}`), 250);
    for (const rcpt of envelope.to) await expect(command(`RCPT TO:<${rcpt}>${envelope.rcptParams?.[rcpt] ? ` ${envelope.rcptParams[rcpt]}` : ''}`), 250);
    await expect(command('DATA'), 354);
    const body = typeof message === 'string' ? Buffer.from(message, 'utf8') : message;
    client.write(Buffer.concat([dotStuffed(body), Buffer.from('.\r\n')]));
    const reply = await client.reply();
    const id = /queued as (\S+)/.exec(reply.lines.at(-1) ?? '')?.[1];
    if (reply.code !== 250 || !id) throw new Error(`not queued: ${reply.raw}`);
    await client.command('QUIT');
    return id;
  } finally {
    client.close();
  }
}

async function expect(pending: Promise<{ code: number; raw: string }>, code: number): Promise<void> {
  const reply = await pending;
  if (reply.code !== code) throw new Error(`expected ${code}, got ${reply.raw}`);
}

function dotStuffed(message: Buffer): Buffer {
  const text = message.toString('latin1').replace(/(^|\r\n)\./g, '$1..');
  return Buffer.from(text, 'latin1');
}

export const messageText = (subject: string, body = 'hello'): string =>
  `From: sender@local.test\r\nTo: someone@example.test\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@local.test>\r\n\r\n${body}\r\n`;
