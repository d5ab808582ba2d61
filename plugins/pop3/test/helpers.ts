import { randomBytes, scryptSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Mailboxes, type MailStore } from '@posthorn/contracts';
import type { Logger } from '@posthorn/core';
import { startTestServer, tempDir, type TestServer } from '@posthorn/testkit';
import { Pop3Client } from './client.ts';

export const PASSWORD = 'correct horse battery staple';
export const ALICE = 'alice@example.test';
export const BOB = 'bob@example.test';
export const INBOX = (user: string) => ({ user, mailbox: 'INBOX' });

export interface Pop3TestServer {
  readonly server: TestServer;
  readonly store: MailStore;
  readonly dir: string;
  /** Port of the plain (STLS) listener and of the implicit-TLS one. */
  readonly port: number;
  readonly tlsPort: number;
  /** Stores a message in a user's INBOX as local delivery would; returns its UID. */
  deliver(user: string, message: string | Buffer): Promise<number>;
  stop(): Promise<void>;
}

/**
 * A cheap scrypt hash in the PHC form the accounts file takes (ln=4: tests log in hundreds of
 * times; the real cost is the account directory's business, not POP3's).
 */
export function cheapHash(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, 32, { N: 16, r: 8, p: 1 });
  const b64 = (buffer: Buffer) => buffer.toString('base64').replace(/=+$/, '');
  return `$scrypt$ln=4,r=8,p=1$${b64(salt)}$${b64(hash)}`;
}

/**
 * A server with accounts-file (users written into its file with a cheap hash), mailbox-maildir
 * and pop3 on two port-0 listeners: `pop3` (STLS,
 * clear-text logins from loopback allowed unless the test says otherwise) and `pop3s`. The
 * throttle's delays are a few ms so tests do not wait.
 */
export async function startPop3Server(options: { pop3?: Record<string, unknown>; allowInsecureAuth?: boolean; users?: readonly string[]; logger?: Logger } = {}): Promise<Pop3TestServer> {
  const dir = await tempDir('posthorn-pop3-');
  const users = (options.users ?? [ALICE, BOB]).map((address) => `  ${address}: { password: "${cheapHash(PASSWORD)}" }\n`).join('');
  await writeFile(join(dir.path, 'accounts.yaml'), `domains: [example.test]\nusers:\n${users}`);
  const server = await startTestServer(
    {
      listeners: [],
      plugins: [
        { plugin: 'accounts-file', options: { file: 'accounts.yaml' } },
        'mailbox-maildir',
        {
          plugin: 'pop3',
          options: {
            listeners: [
              { name: 'pop3', port: 0, tls: 'starttls', allowInsecureAuth: options.allowInsecureAuth ?? true },
              { name: 'pop3s', port: 0, tls: 'implicit' },
            ],
            baseDelayMs: 1,
            maxDelayMs: 4,
            ...options.pop3,
          },
        },
      ],
    },
    { dir: dir.path, ...(options.logger ? { logger: options.logger } : {}) },
  );
  const store = server.app.services.get(Mailboxes)!;
  return {
    server,
    store,
    dir: dir.path,
    port: server.port('pop3'),
    tlsPort: server.port('pop3s'),
    async deliver(user, message) {
      await store.ensureAccount(user);
      const result = await store.append(INBOX(user), typeof message === 'string' ? Buffer.from(message, 'latin1') : message);
      return result.uid;
    },
    async stop() {
      await server.stop();
      await dir.remove();
    },
  };
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
