import { after, before } from 'node:test';
import type { MailStore } from '@posthorn/contracts';
import type { Logger } from '@posthorn/core';
import { type MailAccessServer, startMailAccessServer } from '@posthorn/testkit';
import { loggedInClient, type RawImapClient } from './client.ts';

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

/** One server shared by the tests of a describe block; each test takes an account of its own. */
export interface TranscriptServer {
  readonly port: number;
  readonly store: MailStore;
  deliver(user: string, message: string | Buffer, mailbox?: string): Promise<number>;
  /** An account no other test of the block has used, so tests do not see each other's mail. */
  freshUser(): string;
  /** A client logged in as `user`, closed when the block ends. */
  login(user: string): Promise<RawImapClient>;
}

/** Starts the server before the block's tests and stops it (and every client) after them. */
export function transcriptServer(prefix: string, accounts: number): TranscriptServer {
  const users = Array.from({ length: accounts }, (_, i) => `${prefix}${i}@example.test`);
  let used = 0;
  let started: ImapTestServer | undefined;
  const clients: RawImapClient[] = [];
  before(async () => {
    started = await startImapServer({ users });
  });
  after(async () => {
    for (const client of clients) client.close();
    await started?.stop();
  });
  const running = (): ImapTestServer => {
    if (!started) throw new Error('the transcript server is not running');
    return started;
  };
  return {
    get port() {
      return running().port;
    },
    get store() {
      return running().store;
    },
    deliver: (user, message, mailbox) => running().deliver(user, message, mailbox),
    freshUser() {
      const user = users[used++];
      if (!user) throw new Error(`more than ${accounts} accounts used: raise the count`);
      return user;
    },
    async login(user) {
      const client = await loggedInClient(running().port, user, PASSWORD);
      clients.push(client);
      return client;
    },
  };
}
