import type { Logger } from '@posthorn/core';
import { type MailAccessServer, startMailAccessServer } from '@posthorn/testkit';

export const PASSWORD = 'correct horse battery staple';
export const ALICE = 'alice@example.test';
export const BOB = 'bob@example.test';
export const INBOX = (user: string) => ({ user, mailbox: 'INBOX' });

export type ImapTestServer = MailAccessServer;

/**
 * accounts-file, mailbox-maildir and imap on two port-0 listeners: `imap` (plain, clear-text
 * logins from loopback allowed unless the test says otherwise) and `imaps` (implicit TLS).
 */
export function startImapServer(options: { imap?: Record<string, unknown>; allowInsecureAuth?: boolean; users?: readonly string[]; logger?: Logger; plugins?: unknown[] } = {}): Promise<ImapTestServer> {
  return startMailAccessServer({
    protocol: 'imap',
    users: options.users ?? [ALICE, BOB],
    password: PASSWORD,
    ...(options.imap ? { options: options.imap } : {}),
    ...(options.allowInsecureAuth !== undefined ? { allowInsecureAuth: options.allowInsecureAuth } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.plugins ? { plugins: options.plugins } : {}),
  });
}

/** A small message with CRLF line endings. */
export function message(subject: string, body = 'Hello.\r\n', from = 'sender@example.org'): string {
  return `From: ${from}\r\nTo: alice@example.test\r\nSubject: ${subject}\r\nDate: Sat, 28 Nov 2026 10:00:00 +0000\r\nMessage-ID: <${subject.replace(/\W/g, '')}@example.org>\r\n\r\n${body}`;
}
