import { randomBytes, scryptSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Mailboxes, type MailStore } from '@posthorn/contracts';
import type { Logger } from '@posthorn/core';
import { startTestServer, tempDir, type TestServer } from '@posthorn/testkit';

export const PASSWORD = 'correct horse battery staple';
export const ALICE = 'alice@example.test';
export const BOB = 'bob@example.test';
export const INBOX = (user: string) => ({ user, mailbox: 'INBOX' });

export interface ImapTestServer {
  readonly server: TestServer;
  readonly store: MailStore;
  readonly dir: string;
  /** Port of the plain (STARTTLS) listener and of the implicit-TLS one. */
  readonly port: number;
  readonly tlsPort: number;
  /** Stores a message in a user's mailbox as local delivery would; returns its UID. */
  deliver(user: string, message: string | Buffer, mailbox?: string): Promise<number>;
  stop(): Promise<void>;
}

/** A cheap scrypt hash in the PHC form the accounts file takes: tests log in many times. */
export function cheapHash(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, 32, { N: 16, r: 8, p: 1 });
  const b64 = (buffer: Buffer) => buffer.toString('base64').replace(/=+$/, '');
  return `$scrypt$ln=4,r=8,p=1$${b64(salt)}$${b64(hash)}`;
}

/**
 * A server with accounts-file, mailbox-maildir and imap on two port-0 listeners: `imap`
 * (STARTTLS; clear-text logins from loopback allowed unless the test says otherwise) and
 * `imaps`. The login throttle's delays are a few ms so tests do not wait.
 */
export async function startImapServer(options: { imap?: Record<string, unknown>; allowInsecureAuth?: boolean; users?: readonly string[]; logger?: Logger; plugins?: unknown[] } = {}): Promise<ImapTestServer> {
  const dir = await tempDir('posthorn-imap-');
  const users = (options.users ?? [ALICE, BOB]).map((address) => `  ${address}: { password: "${cheapHash(PASSWORD)}" }\n`).join('');
  await writeFile(join(dir.path, 'accounts.yaml'), `domains: [example.test]\nusers:\n${users}`);
  const server = await startTestServer(
    {
      listeners: [],
      plugins: [
        { plugin: 'accounts-file', options: { file: 'accounts.yaml' } },
        'mailbox-maildir',
        ...(options.plugins ?? []),
        {
          plugin: 'imap',
          options: {
            listeners: [
              { name: 'imap', port: 0, tls: 'starttls', allowInsecureAuth: options.allowInsecureAuth ?? true },
              { name: 'imaps', port: 0, tls: 'implicit' },
            ],
            baseDelayMs: 1,
            maxDelayMs: 4,
            ...options.imap,
          },
        },
      ],
    } as never,
    { dir: dir.path, ...(options.logger ? { logger: options.logger } : {}) },
  );
  const store = server.app.services.get(Mailboxes)!;
  return {
    server,
    store,
    dir: dir.path,
    port: server.port('imap'),
    tlsPort: server.port('imaps'),
    async deliver(user, message, mailbox = 'INBOX') {
      await store.ensureAccount(user);
      const result = await store.append({ user, mailbox }, typeof message === 'string' ? Buffer.from(message, 'latin1') : message);
      return result.uid;
    },
    async stop() {
      await server.stop();
      await dir.remove();
    },
  };
}

/** A small message with CRLF line endings. */
export function message(subject: string, body = 'Hello.\r\n', from = 'sender@example.org'): string {
  return `From: ${from}\r\nTo: alice@example.test\r\nSubject: ${subject}\r\nDate: Sat, 28 Nov 2026 10:00:00 +0000\r\nMessage-ID: <${subject.replace(/\W/g, '')}@example.org>\r\n\r\n${body}`;
}
