import { randomBytes, scryptSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Mailboxes, type MailStore } from '@posthorn/contracts';
import type { Logger } from '@posthorn/core';
import { startTestServer, type TestServer } from './server.ts';
import { tempDir } from './temp.ts';

/**
 * A cheap scrypt hash in the PHC form the accounts file takes (ln=4): tests log in hundreds of
 * times, and the real cost is the account directory's business, not the protocol's.
 */
export function cheapPasswordHash(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, 32, { N: 16, r: 8, p: 1 });
  const b64 = (buffer: Buffer) => buffer.toString('base64').replace(/=+$/, '');
  return `$scrypt$ln=4,r=8,p=1$${b64(salt)}$${b64(hash)}`;
}

export interface MailAccessServer {
  readonly server: TestServer;
  readonly store: MailStore;
  readonly dir: string;
  /** Port of the plain listener (upgraded with STARTTLS/STLS) and of the implicit-TLS one. */
  readonly port: number;
  readonly tlsPort: number;
  /** Stores a message in a user's mailbox as local delivery would; returns its UID. */
  deliver(user: string, message: string | Buffer, mailbox?: string): Promise<number>;
  stop(): Promise<void>;
}

export interface MailAccessServerOptions {
  /** The protocol plugin: `pop3`, `imap`, or a third party's. Its listeners are `<protocol>` and `<protocol>s`. */
  readonly protocol: string;
  /** Accounts in example.test-style domains, all with `password`. */
  readonly users: readonly string[];
  readonly password: string;
  /** Options of the protocol plugin besides its listeners. */
  readonly options?: Record<string, unknown>;
  /** Clear-text logins from loopback on the plain listener (default true). */
  readonly allowInsecureAuth?: boolean;
  readonly logger?: Logger;
  /** More plugins, loaded between the mailbox store and the protocol. */
  readonly plugins?: readonly unknown[];
}

/**
 * A server for a mail access protocol: accounts-file (the users written into its file with a
 * cheap hash), mailbox-maildir and the protocol plugin on two port-0 listeners. The login
 * throttle's delays are a few ms so tests do not wait.
 */
export async function startMailAccessServer(options: MailAccessServerOptions): Promise<MailAccessServer> {
  const { protocol } = options;
  const dir = await tempDir(`posthorn-${protocol}-`);
  const domains = [...new Set(options.users.map((address) => address.slice(address.lastIndexOf('@') + 1)))];
  const users = options.users.map((address) => `  ${address}: { password: "${cheapPasswordHash(options.password)}" }\n`).join('');
  await writeFile(join(dir.path, 'accounts.yaml'), `domains: [${domains.join(', ')}]\nusers:\n${users}`);
  const server = await startTestServer(
    {
      listeners: [],
      plugins: [
        { plugin: 'accounts-file', options: { file: 'accounts.yaml' } },
        'mailbox-maildir',
        ...(options.plugins ?? []),
        {
          plugin: protocol,
          options: {
            listeners: [
              { name: protocol, port: 0, tls: 'starttls', allowInsecureAuth: options.allowInsecureAuth ?? true },
              { name: `${protocol}s`, port: 0, tls: 'implicit' },
            ],
            baseDelayMs: 1,
            maxDelayMs: 4,
            ...options.options,
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
    port: server.port(protocol),
    tlsPort: server.port(`${protocol}s`),
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
