import type { Logger } from '@posthorn/core';
import { type MailAccessServer, startMailAccessServer } from '@posthorn/testkit';
import { Pop3Client } from './client.ts';

export const PASSWORD = 'correct horse battery staple';
export const ALICE = 'alice@example.test';
export const BOB = 'bob@example.test';
export const INBOX = (user: string) => ({ user, mailbox: 'INBOX' });

export type Pop3TestServer = MailAccessServer;

/**
 * accounts-file, mailbox-maildir and pop3 on two port-0 listeners: `pop3` (plain, clear-text
 * logins from loopback allowed unless the test says otherwise) and `pop3s` (implicit TLS).
 */
export function startPop3Server(options: { pop3?: Record<string, unknown>; allowInsecureAuth?: boolean; users?: readonly string[]; logger?: Logger } = {}): Promise<Pop3TestServer> {
  return startMailAccessServer({
    protocol: 'pop3',
    users: options.users ?? [ALICE, BOB],
    password: PASSWORD,
    ...(options.pop3 ? { options: options.pop3 } : {}),
    ...(options.allowInsecureAuth !== undefined ? { allowInsecureAuth: options.allowInsecureAuth } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
}

/** A small message with CRLF line endings. */
export function message(subject: string, body = 'Hello.\r\n'): string {
  return `From: sender@example.org\r\nTo: alice@example.test\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@example.org>\r\n\r\n${body}`;
}

/**
 * Connects and logs in, trying again while the maildrop is still locked by a session whose
 * connection the server has not seen close yet (a client's close reaches the server a moment
 * after the client's own socket reports it). Fails if the lock is not released in time.
 */
export async function loginWhenFree(port: number, user: string, timeoutMs = 10_000): Promise<{ client: Pop3Client; status: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { client } = await Pop3Client.connect(port);
    const status = await client.login(user, PASSWORD);
    if (!status.includes('[IN-USE]') || Date.now() > deadline) return { client, status };
    await client.quit();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
